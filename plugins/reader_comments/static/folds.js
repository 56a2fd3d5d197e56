// Progressive enhancement for long threads: a link to a comment inside a folded
// "N more replies" part opens every fold around it, then shows the comment.
// Without this script the folds still open by hand and their text is in the page.
(function () {
  "use strict";

  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (id.indexOf("comment-") !== 0) { return; }
    var target = document.getElementById(id);
    if (!target) { return; }
    var opened = false;
    for (var node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) {
        node.open = true;
        opened = true;
      }
    }
    if (opened) {
      target.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", reveal);
  reveal();
}());
