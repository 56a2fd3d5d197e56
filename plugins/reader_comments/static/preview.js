// Progressive enhancement for the comment form's Preview button: ask the comment service to render the
// comment and show it above the buttons, without leaving the page. Without this script the button posts
// the form to the service's preview page, which shows the same rendering with the form filled in.
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  var area = document.getElementById("comment-preview");
  if (!form || !area || !window.fetch || !window.URLSearchParams) { return; }
  var button = form.querySelector(".comment-preview-button");
  if (!button) { return; }

  function show(heading, content) {
    area.textContent = "";
    var title = document.createElement("h4");
    title.textContent = heading;
    area.appendChild(title);
    area.appendChild(content);
    area.hidden = false;
  }

  function problems(errors) {
    var list = document.createElement("ul");
    list.className = "intake-errors";
    Object.keys(errors || {}).forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = errors[name];
      list.appendChild(item);
    });
    return list;
  }

  button.addEventListener("click", function (event) {
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    fetch(button.formAction, {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString()
    }).then(function (reply) {
      return reply.json().then(function (answer) { return { ok: reply.ok, answer: answer }; });
    }).then(function (result) {
      if (result.ok) {
        // The service's renderer sanitized this markup, exactly as the build will when the comment is published.
        var body = document.createElement("div");
        body.className = "comment-body comment-preview-body";
        body.innerHTML = result.answer.html;
        show("Preview (not sent yet)", body);
      } else {
        show("This comment cannot be previewed", problems(result.answer.errors));
      }
    }).catch(function () {
      show("The preview could not be shown", document.createTextNode("The comment service did not answer; your text is still in the form."));
    });
  });
})();
