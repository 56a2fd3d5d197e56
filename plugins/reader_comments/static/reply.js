// Progressive enhancement for the comment form: "Reply to" buttons set reply_to.
// Without this script every comment is still readable and top-level comments still post.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  if (!form) { return; }
  var field = document.getElementById("comment-reply-to");
  var status = document.getElementById("comment-form-replying");
  var label = status.querySelector(".comment-form-replying-text");
  var cancel = status.querySelector(".comment-form-cancel");
  var first = document.getElementById("comment-author");

  function replyTo(id, name) {
    field.value = id;
    label.textContent = "Replying to " + name;
    status.hidden = false;
    form.scrollIntoView({ block: "start" });
    first.focus();
  }

  function clearReply() {
    field.value = "";
    label.textContent = "";
    status.hidden = true;
  }

  var buttons = document.querySelectorAll(".comment-reply");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      replyTo(button.getAttribute("data-reply-to"), button.getAttribute("data-reply-name"));
    });
  }
  cancel.addEventListener("click", function () {
    clearReply();
    first.focus();
  });
})();
