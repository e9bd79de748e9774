// The week grid without reloads (templates/duty/week.html): a cell's "Add" form and its "×" links are
// sent with fetch, and the server's new cell replaces the old one. Without this script the same form
// posts and redirects, and "×" opens a confirmation page.
(function () {
  "use strict";
  const HEADERS = { "X-Requested-With": "fetch", "Accept": "application/json" };
  const csrf = () => document.querySelector("meta[name=csrf-token]").content;

  async function send(url, body, cellId) {
    const cell = document.getElementById(cellId);
    let reply;
    try {
      const response = await fetch(url, { method: "POST", body, headers: HEADERS, credentials: "same-origin" });
      reply = await response.json();
    } catch (err) {
      return null;  // no usable answer: the caller falls back to the plain page
    }
    const holder = document.createElement("div");
    holder.innerHTML = reply.html;
    const fresh = holder.firstElementChild;
    cell.replaceWith(fresh);
    if (reply.error) {
      const p = fresh.querySelector(".cell-error");
      p.textContent = reply.error;
      p.hidden = false;
    }
    return { reply, fresh };
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-cell]");
    if (!form) return;
    event.preventDefault();
    const body = new FormData(form);
    if (!body.get("person_id")) return;
    const done = await send(form.action, body, form.dataset.cell);
    if (!done) { form.submit(); return; }
    if (done.reply.warnings.length) {
      if (window.confirm(done.reply.warnings.join("\n") + "\n\n" + form.dataset.ask)) {
        body.set("confirm", "1");
        await send(form.action, body, form.dataset.cell);
      }
    }
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-remove]");
    if (!link) return;
    event.preventDefault();
    if (!window.confirm(link.dataset.ask)) return;
    const body = new FormData();
    body.set("csrf_token", csrf());
    send(link.dataset.remove, body, link.closest(".cell").id).then((done) => {
      if (!done) window.location.href = link.href;  // the confirmation page
    });
  });
})();
