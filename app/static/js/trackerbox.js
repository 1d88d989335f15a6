// Page behaviour that needs no inline script: confirmations, the week grid's keyboard
// moves and the running timer display.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Arrow keys move between the cells of the week grid, like a spreadsheet.
  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!cell.classList || !cell.classList.contains("cell")) { return; }
    var row = Number(cell.getAttribute("data-row"));
    var col = Number(cell.getAttribute("data-col"));
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (event.altKey || event.ctrlKey) {
      moves.ArrowLeft = [0, -1];
      moves.ArrowRight = [0, 1];
    }
    var move = moves[event.key];
    if (!move) { return; }
    var next = document.querySelector('.cell[data-row="' + (row + move[0]) + '"][data-col="' + (col + move[1]) + '"]');
    if (next) {
      event.preventDefault();
      next.focus();
      next.select();
    }
  });

  // A running timer shows its elapsed time, updated every second.
  function tick() {
    var nodes = document.querySelectorAll("[data-timer-start]");
    nodes.forEach(function (node) {
      var start = Date.parse(node.getAttribute("data-timer-start"));
      var seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
      var h = Math.floor(seconds / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      node.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
  });
}());
