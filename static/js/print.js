/* The printable forms: the Print button calls the browser's print dialog (shown only when scripts run). */
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
