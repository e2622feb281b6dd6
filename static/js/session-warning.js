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
      // The sentences are written, translated, in the box's data- attributes (templates/base_app.html).
      var minutes = Math.round(warnBefore / 60);
      text.textContent = minutes > 1 ? box.dataset.warnMinutes.replace("{minutes}", minutes)
        : minutes === 1 ? box.dataset.warnMinute : box.dataset.warnSoon;
      stay.hidden = false;
      box.hidden = false;
    }, (seconds - warnBefore) * 1000);
    endTimer = setTimeout(function () {
      text.textContent = box.dataset.ended;
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
