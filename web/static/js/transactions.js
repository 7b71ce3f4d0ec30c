// Prints the trace labels page. The button is wired here because the Content-Security-Policy
// forbids inline handlers; without script the browser's own print command does the same.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var target = e.target;
    if (target && target.closest && target.closest("[data-print]")) {
      window.print();
    }
  });
})();
