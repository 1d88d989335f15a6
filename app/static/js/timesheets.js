// Week grid helpers: live row and day totals while typing, and Left/Right arrow moves
// between cells when the caret is already at the start or end of the text.
// The server recomputes every total on save; these figures are only a preview.
(function () {
  "use strict";

  // Mirrors app.durations.parse_duration for the common forms: 1:30, 1.5, 1,5, 90m, 1h30m.
  function parseSeconds(text) {
    var raw = text.trim().toLowerCase();
    if (raw === "") { return 0; }
    var match = raw.match(/^(\d{1,4}):([0-5]\d)(?::([0-5]\d))?$/);
    if (match) { return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] || 0); }
    if (/^\d+(?:[.,]\d+)?$/.test(raw)) { return Math.round(Number(raw.replace(",", ".")) * 3600); }
    match = raw.match(/^(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$/);
    if (match && (match[1] || match[2])) {
      return Math.round(Number((match[1] || "0").replace(",", ".")) * 3600) + Number(match[2] || 0) * 60;
    }
    return null;
  }

  function format(seconds) {
    if (!seconds) { return "0:00"; }
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    return hours + ":" + String(minutes).padStart(2, "0");
  }

  function cellSeconds(node) {
    if (node.tagName === "INPUT") {
      var seconds = parseSeconds(node.value);
      node.classList.toggle("invalid", seconds === null);
      return seconds === null ? 0 : seconds;
    }
    return Number(node.getAttribute("data-seconds")) || 0;
  }

  function recompute(table) {
    var rows = {};
    var days = {};
    var week = 0;
    table.querySelectorAll("[data-row][data-col]").forEach(function (node) {
      var seconds = cellSeconds(node);
      var row = node.getAttribute("data-row");
      var day = node.getAttribute("data-col");
      rows[row] = (rows[row] || 0) + seconds;
      days[day] = (days[day] || 0) + seconds;
      week += seconds;
    });
    table.querySelectorAll("[data-row-total]").forEach(function (node) {
      node.textContent = format(rows[node.getAttribute("data-row-total")]);
    });
    table.querySelectorAll("[data-day-total]").forEach(function (node) {
      node.textContent = format(days[node.getAttribute("data-day-total")]);
    });
    var total = table.querySelector("[data-week-total]");
    if (total) { total.textContent = format(week); }
  }

  function moveSideways(event) {
    var cell = event.target;
    if (event.altKey || event.ctrlKey || !cell.classList.contains("cell")) { return; }
    var atStart = cell.selectionStart === 0 && cell.selectionEnd === 0;
    var atEnd = cell.selectionStart === cell.value.length && cell.selectionEnd === cell.value.length;
    var step = (event.key === "ArrowLeft" && atStart) ? -1 : (event.key === "ArrowRight" && atEnd) ? 1 : 0;
    if (!step) { return; }
    var row = cell.getAttribute("data-row");
    var col = Number(cell.getAttribute("data-col")) + step;
    var next = document.querySelector('input.cell[data-row="' + row + '"][data-col="' + col + '"]');
    if (next) {
      event.preventDefault();
      next.focus();
      next.select();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("table.week-grid");
    if (!table) { return; }
    // After a rejected save the page shows the typed values, so the totals follow them at once.
    recompute(table);
    var dirty = false;
    table.addEventListener("input", function () {
      recompute(table);
      dirty = true;
    });
    table.addEventListener("keydown", moveSideways);
    // Typed but unsaved cells would be lost by "Add row", the week links or closing the
    // tab, so the browser shows a confirmation first. Saving the grid itself clears the warning.
    var gridForm = table.closest("form");
    if (gridForm) {
      gridForm.addEventListener("submit", function () { dirty = false; });
    }
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
}());
