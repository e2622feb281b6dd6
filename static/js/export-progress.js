/* Keeps an export's progress bar up to date while it is prepared, then offers the download.
 *
 * Progressive enhancement: without this script the page still shows where the export had got to
 * and a "Check again" link. The numbers change silently; only the end (ready or failed) is
 * announced to screen readers, through the page's status region.
 */
(function () {
  "use strict";

  var box = document.getElementById("export-progress");
  if (!box || box.getAttribute("data-finished") === "true" || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var label = document.getElementById("export-status-label");
  var rows = document.getElementById("export-status-rows");
  var bar = document.getElementById("export-bar");
  var refresh = document.getElementById("export-refresh");
  var announce = document.getElementById("export-announce");
  var ready = document.getElementById("export-ready");
  var download = document.getElementById("export-download");
  var delay = 1000;
  var failures = 0;

  function number(value) {
    return value === null || value === undefined ? "…" : Number(value).toLocaleString("en-GB");
  }

  function show(data) {
    label.textContent = data.status_label;
    if (bar) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
    }
    if (data.finished) {
      if (rows) {
        rows.textContent = data.rows_written !== null ? ": " + number(data.rows_written) + " rows" : "";
      }
      if (bar) {
        bar.hidden = true;
      }
      if (refresh) {
        refresh.hidden = true;
      }
      if (data.download_url && ready && download) {
        download.href = data.download_url;
        ready.hidden = false;
        announce.textContent = "Your export is ready to download.";
        download.focus();
      } else if (data.error) {
        announce.textContent = data.error;
        var message = document.createElement("p");
        message.className = "mb-0 mt-2 export-error";
        message.textContent = data.error + " ";
        var again = document.createElement("a");
        again.href = refresh ? refresh.querySelector("a").href : window.location.href;
        again.textContent = "Reload this page";
        message.appendChild(again);
        box.appendChild(message);
      } else {
        announce.textContent = data.status_label;
      }
      return true;
    }
    if (rows) {
      rows.textContent = ": " + number(data.rows_written) + " of " + number(data.rows_expected) + " rows (" + data.percent + "%)";
    }
    return false;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (!show(data)) {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        failures += 1;
        // The "Check again" link still works; keep trying, more slowly.
        window.setTimeout(poll, Math.min(delay * Math.pow(2, failures), 30000));
      });
  }

  window.setTimeout(poll, delay);
})();
