// "Was this helpful?": shown only when storycast serve answers /api/kb/token (the page is served
// by it, under /kb/). On a static host the request fails and the form stays hidden.
(function () {
  "use strict";
  var form = document.querySelector("form.helpful");
  if (!form || !window.fetch) return;
  var status = form.querySelector(".helpful-status");
  fetch("/api/kb/token", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (tokens) {
      if (!tokens || !tokens.ok || !tokens.csrf) return;
      form.hidden = false;
      var choice = null;
      form.querySelectorAll("button").forEach(function (b) {
        b.addEventListener("click", function () { choice = b.value === "true"; });
      });
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (choice === null) return;
        fetch("/api/kb/helpful", {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-Storycast-Viewer": tokens.viewer,
            "X-CSRF-Token": tokens.csrf
          },
          body: JSON.stringify({ story: form.dataset.story, lang: form.dataset.lang, helpful: choice })
        }).then(function (r) {
          status.textContent = r.ok ? form.dataset.thanks : form.dataset.failed;
          if (r.ok) form.querySelectorAll("button").forEach(function (b) {
            b.setAttribute("aria-pressed", String((b.value === "true") === choice));
          });
        }, function () { status.textContent = form.dataset.failed; });
      });
    })
    .catch(function () { /* no server: no vote */ });
})();
