// Before a sign-in runs out on a page with a form to write in, say so, and offer to stay signed in.
// Without this script nothing is lost either: a form sent after the sign-in ran out is kept and
// offered again once the person has signed in.
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box || !document.querySelector("form[method=post] textarea")) {
    return;
  }
  var seconds = parseInt(box.getAttribute("data-session-seconds"), 10) || 1800;
  var warnBefore = Math.min(300, Math.floor(seconds / 2));
  var text = box.querySelector("[data-text]");
  var stay = box.querySelector("[data-keepalive]");
  var warnTimer, endTimer;

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = setTimeout(function () {
      var minutes = Math.round(warnBefore / 60);
      var when = minutes > 1 ? minutes + " minutes" : minutes === 1 ? "a minute" : "less than a minute";
      text.textContent = "For your privacy, you'll be signed out in " + when +
        " unless you carry on. What you've written here won't be lost.";
      stay.hidden = false;
      box.hidden = false;
    }, (seconds - warnBefore) * 1000);
    endTimer = setTimeout(function () {
      text.textContent = "Your sign-in has run out. When you send this, you'll be asked to sign in again, " +
        "and what you wrote will be kept and offered to you.";
      stay.hidden = true;
      box.hidden = false;
    }, seconds * 1000);
  }

  stay.addEventListener("click", function () {
    fetch(stay.getAttribute("data-keepalive"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.ok) {
          start();
        }
      });
  });
  start();
})();
