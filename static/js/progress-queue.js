// Progress reports that survive a dropped network (the task page's #progress-form).
// Without this script the form posts as usual. With it, a report becomes an item {client_uuid,
// delta, note, occurred_at (this phone's time)} stored in IndexedDB first, shown as waiting, then
// sent to the JSON API; the server counts a client_uuid once, so a resend after a lost answer is
// harmless. Whatever waits is sent on load, when the network returns, when the page is shown again
// and on a timer; once this task's reports are in, the page reloads to show the server's figures.
(function () {
  "use strict";
  const form = document.getElementById("progress-form");
  if (!form || !window.indexedDB || !window.fetch || !window.crypto || !crypto.getRandomValues) return;
  const T = JSON.parse(document.getElementById("progress-i18n").textContent);
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const list = document.getElementById("pending");
  const TIMEOUT_MS = 15000;
  let sending = false, retry = null, retryDelay = 5000;
  const refused = [];

  const Q = OfflineQueue.open("tcn-reports"), uuid = OfflineQueue.uuid;
  const queued = Q.all, enqueue = Q.put, dequeue = Q.remove;
  const mine = (items) => items.filter((i) => i.api === form.dataset.api);
  const hhmm = (iso) => new Date(iso).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: "Asia/Ho_Chi_Minh" });

  async function render() {
    const rows = mine(await queued()).map((i) => {
      const el = document.createElement("li");
      el.textContent = `+${i.delta}${i.note ? " · " + i.note : ""} — ${T.waiting} (${hhmm(i.occurred_at)})`;
      return el;
    }).concat(refused.map((r) => {
      const el = document.createElement("li");
      el.className = "error";
      el.textContent = `${T.refused}: +${r.delta} — ${r.error}`;
      return el;
    }));
    list.replaceChildren(...rows);
    list.hidden = !rows.length;
  }

  async function post(item) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      return await fetch(item.api, {
        method: "POST", credentials: "same-origin", signal: abort.signal,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ delta: item.delta, note: item.note || null, client_uuid: item.client_uuid,
                               occurred_at: item.occurred_at }),
      });
    } finally { clearTimeout(timer); }
  }

  // Send what waits, oldest first; stops at the first report whose outcome is unknown.
  async function send() {
    if (sending) return;
    sending = true;
    let done = false, sentHere = false;
    try {
      for (const item of await queued()) {
        let r;
        try { r = await post(item); } catch (e) { return; }  // offline, or no answer: it may be stored; resent later
        if (r.ok) {
          await dequeue(item.client_uuid);
          sentHere = sentHere || item.api === form.dataset.api;
        } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 429) {
          const body = await r.json().catch(() => ({}));  // refused for good (e.g. the task is done): say so
          refused.push({ delta: item.delta, error: body.error || r.status });
          await dequeue(item.client_uuid);
        } else return;  // signed out, too many requests, server trouble: try again later
      }
      done = true;
    } finally {
      sending = false;
      await render();
      if (done) { clearTimeout(retry); retryDelay = 5000; } else {
        clearTimeout(retry);
        retry = setTimeout(send, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    }
    if (done && sentHere && !refused.length && !form.elements.delta.value) location.reload();
  }

  form.addEventListener("submit", async (event) => {
    const delta = form.elements.delta.value.trim();
    if (!/^[0-9]{1,7}$/.test(delta) || Number(delta) < 1) return;  // let the server explain what is wrong
    const bound = Number(form.dataset.bound), confirmed = form.elements.confirm && form.elements.confirm.checked;
    if (bound && Number(delta) > bound && !confirmed) return;  // far above the target: the server asks to confirm
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;  // one tap is one report
    try {
      await enqueue({ client_uuid: uuid(), api: form.dataset.api, delta: Number(delta),
                      note: form.elements.note.value.trim(), occurred_at: new Date().toISOString() });
      form.elements.delta.value = "";
      form.elements.note.value = "";
      await render();
    } finally { button.disabled = false; }
    retryDelay = 5000;
    send();
  });
  window.addEventListener("online", () => { retryDelay = 5000; send(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) send(); });
  render().then(send);
})();
