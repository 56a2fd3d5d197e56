// Progressive enhancement for the comment form: show how many characters are left in the comment.
// Without this script the form still states the limit and the browser still enforces it (maxlength).
(function () {
  "use strict";
  var body = document.getElementById("comment-body");
  var counter = document.getElementById("comment-body-counter");
  if (!body || !counter) { return; }
  var limit = parseInt(body.getAttribute("maxlength"), 10);
  var timer = null;

  function show() {
    var left = limit - body.value.length;
    counter.textContent = left.toLocaleString("en") + (left === 1 ? " character left" : " characters left");
    counter.classList.toggle("comment-counter--low", left < limit / 10);
  }

  counter.hidden = false;
  show();
  // Screen readers hear the count once typing pauses, not on every key.
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(show, 400);
  });
})();
