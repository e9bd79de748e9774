// Small behaviours of the server-rendered pages, declared in the markup by data attributes, so
// the Content-Security-Policy allows no inline script or handler (coordination/web/security.py):
//   <form data-confirm="Question?">       asks before submitting
//   <input data-select>                    selects its text when tapped (links and tokens to copy)
//   <button data-copy="ID" data-copied="…"> copies the value of #ID, then says so
//   <button data-print>                    prints the page
//   <form data-busy>                       on submit, disables its buttons and shows its hidden <progress>
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.dataset.busy !== undefined) {
      form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      form.querySelectorAll("progress[hidden]").forEach((p) => { p.hidden = false; });
    }
  });
  document.addEventListener("click", (event) => {
    const el = event.target.closest("[data-select], [data-copy], [data-print]");
    if (!el) return;
    if (el.dataset.select !== undefined) el.select();
    if (el.dataset.print !== undefined) window.print();
    if (el.dataset.copy !== undefined) {
      const source = document.getElementById(el.dataset.copy);
      if (navigator.clipboard && source) navigator.clipboard.writeText(source.value);
      el.textContent = el.dataset.copied;
    }
  });
})();
