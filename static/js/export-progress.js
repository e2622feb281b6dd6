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
  // The words come, translated, from the box's data- attributes; English if the page gives none.
  var words = {
    rowsDone: box.getAttribute("data-text-rows-done") || ": {rows} rows",
    rowsProgress: box.getAttribute("data-text-rows-progress") || ": {written} of {expected} rows ({percent}%)",
    ready: box.getAttribute("data-text-ready") || "Your export is ready to download.",
    reload: box.getAttribute("data-text-reload") || "Reload this page"
  };
  var locale = document.documentElement.lang || "en-GB";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }
  var failures = 0;

  function number(value) {
    return value === null || value === undefined ? "…" : Number(value).toLocaleString(locale);
  }

  function show(data) {
    label.textContent = data.status_label;
    if (bar) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
    }
    if (data.finished) {
      if (rows) {
        rows.textContent = data.rows_written !== null ? fill(words.rowsDone, { rows: number(data.rows_written) }) : "";
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
        announce.textContent = words.ready;
        download.focus();
      } else if (data.error) {
        announce.textContent = data.error;
        var message = document.createElement("p");
        message.className = "mb-0 mt-2 export-error";
        message.textContent = data.error + " ";
        var again = document.createElement("a");
        again.href = refresh ? refresh.querySelector("a").href : window.location.href;
        again.textContent = words.reload;
        message.appendChild(again);
        box.appendChild(message);
      } else {
        announce.textContent = data.status_label;
      }
      return true;
    }
    if (rows) {
      rows.textContent = fill(words.rowsProgress, {
        written: number(data.rows_written), expected: number(data.rows_expected), percent: data.percent
      });
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
