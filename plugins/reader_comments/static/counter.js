// Progressive enhancement for the comment form: show how many characters are left in the comment,
// stop typing at the limit, and say so when a paste or a drop was cut to fit it.
// Without this script the form still states the limit, nothing is cut, and the service refuses a
// comment that is too long with a message saying by how much, keeping the whole text in the form.
(function () {
  "use strict";
  var body = document.getElementById("comment-body");
  var counter = document.getElementById("comment-body-counter");
  var cut = document.getElementById("comment-body-cut");
  if (!body || !counter) { return; }
  var limit = parseInt(body.getAttribute("data-maxlength") || body.getAttribute("maxlength"), 10);
  if (!(limit > 0)) { return; }
  var timer = null;

  function count(n, one, many) {
    return n.toLocaleString("en") + (n === 1 ? one : many);
  }

  function show() {
    var left = limit - body.value.length;
    counter.textContent = left >= 0 ? count(left, " character left", " characters left")
      : count(-left, " character too many", " characters too many");
    counter.classList.toggle("comment-counter--low", left < limit / 10);
  }

  // Text arriving at once (a paste or a drop): the browser keeps only what fits; say how much it left out.
  function arriving(text) {
    if (!cut) { return; }
    var kept = body.value.length - (body.selectionEnd - body.selectionStart);
    var over = kept + text.length - limit;
    cut.hidden = over <= 0;
    cut.textContent = over > 0
      ? "Only the first part of what you pasted fits: the last " + count(over, " character was", " characters were") +
        " left out (the limit is " + limit.toLocaleString("en") + " characters). Shorten the text, then paste it again."
      : "";
  }

  body.setAttribute("maxlength", String(limit));
  counter.hidden = false;
  show();
  body.addEventListener("paste", function (event) {
    arriving(event.clipboardData ? event.clipboardData.getData("text/plain") : "");
  });
  body.addEventListener("drop", function (event) {
    arriving(event.dataTransfer ? event.dataTransfer.getData("text/plain") : "");
  });
  // Screen readers hear the count once typing pauses, not on every key.
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(show, 400);
  });
})();
