// Public or shared computers: open TrackerBox in its own window from the sign-in page,
// and on the page shown after signing out clear this site's browser storage and close
// that window. The window is opened with a fixed name, so the signed-out page knows it
// may close it (browsers let a script close only windows that a script opened).
(function () {
  "use strict";
  var WINDOW_NAME = "trackerbox-public";

  function openOwnWindow(event) {
    var url = event.currentTarget.getAttribute("data-url");
    var opened = window.open(url, WINDOW_NAME, "popup,width=1100,height=800");
    if (opened) {
      opened.focus();
    }
  }

  function clearStorage() {
    try {
      window.localStorage.clear();
      window.sessionStorage.clear();
    } catch (error) {
      // Storage may be disabled by the browser; then there is nothing to clear.
    }
  }

  function closeOwnWindow() {
    if (window.name !== WINDOW_NAME) {
      return;
    }
    window.name = "";
    window.close();
    // Still open: the browser refused to close it, so ask the person to do it.
    var hint = document.getElementById("close-hint");
    if (hint) {
      hint.hidden = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("open-public-window");
    if (button) {
      button.addEventListener("click", openOwnWindow);
    }
    if (document.body.getAttribute("data-signed-out") === "public") {
      clearStorage();
      closeOwnWindow();
    }
  });
})();
