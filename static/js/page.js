// Small behaviours of the server-rendered pages, declared in the markup by data attributes, so
// the Content-Security-Policy allows no inline script or handler (coordination/web/security.py):
//   <form data-confirm="Question?">       asks before submitting
//   <input data-select>                    selects its text when tapped (links and tokens to copy)
//   <button data-copy="ID" data-copied="…"> copies the value of #ID, then says so
//   <button data-print>                    prints the page
//   <form data-busy>                       on submit, disables its buttons and shows its hidden <progress>
//   <div data-keyboard-for="ID">           its buttons [data-inputmode] pick the phone's keyboard for #ID
//                                          (a phone number's keypad or letters), remembered on this phone
//   <button class="menu-button">           on a phone, opens and closes the header's full menu
//   <table class="stack">                  on a phone each row becomes a card: every cell is labelled with
//                                          its column's heading (data-label), the headings row hidden
//   <main data-errors-title="…">           a form sent back with errors gets a summary at its top,
//                                          linking to each bad field, and the first bad field the focus
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  const menu = document.querySelector(".menu-button");
  if (menu) {
    const header = menu.closest("header");
    const open = (yes) => { header.classList.toggle("menu-open", yes); menu.setAttribute("aria-expanded", String(yes)); };
    menu.hidden = false;
    menu.addEventListener("click", () => open(menu.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && header.classList.contains("menu-open")) { open(false); menu.focus(); }
    });
  }
  function errorSummary() {
    const main = document.querySelector("main[data-errors-title]");
    const first = main && main.querySelector("form .field.has-error, form p.error[role=alert]");
    if (!first) return;
    const form = first.closest("form");
    const box = document.createElement("div");
    box.className = "error-summary"; box.setAttribute("role", "alert"); box.tabIndex = -1;
    const title = document.createElement("p");
    title.textContent = main.dataset.errorsTitle;
    const list = document.createElement("ul");
    form.querySelectorAll(".field.has-error").forEach((field) => {
      const input = field.querySelector("input, select, textarea");
      const label = field.querySelector("label");
      const a = document.createElement("a");
      a.href = "#" + (input ? input.id : "");
      a.textContent = (label ? label.textContent.trim() + ": " : "") + field.querySelector("p.error").textContent;
      const item = document.createElement("li"); item.append(a); list.append(item);
    });
    box.append(title, list);
    form.prepend(box);
    form.closest("details")?.setAttribute("open", "");
    box.scrollIntoView({ block: "start" });
    const bad = form.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea");
    (bad || box).focus({ preventScroll: true });
  }
  errorSummary();
  document.querySelectorAll("table.stack").forEach((table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((tr) => {
      [...tr.children].forEach((td, i) => { if (heads[i] && td.colSpan === 1) td.dataset.label = heads[i]; });
    });
  });
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
  function keyboard(group, mode, focus) {
    const input = document.getElementById(group.dataset.keyboardFor);
    if (!input) return;
    input.inputMode = mode;
    group.querySelectorAll("[data-inputmode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.inputmode === mode)));
    if (focus) input.focus();
  }
  document.querySelectorAll("[data-keyboard-for]").forEach((group) => {
    group.hidden = false;
    keyboard(group, localStorage.getItem("login-keyboard") || "tel", false);
    group.addEventListener("click", (event) => {
      const b = event.target.closest("[data-inputmode]");
      if (!b) return;
      localStorage.setItem("login-keyboard", b.dataset.inputmode);
      keyboard(group, b.dataset.inputmode, true);
    });
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
