// Messages on a task's conversation that survive a dropped network (the task page's #comment-form).
// Without this script the form posts as usual. With it, a message becomes an item {client_uuid, body,
// photo (the file itself, kept in IndexedDB), occurred_at} stored first, shown as waiting, then sent
// to the JSON API as multipart form data; the server stores a client_uuid once, so a resend after a
// lost answer is harmless. Sent on load, when the network returns, when the page is shown again and
// on a timer; once this task's messages are in, the page reloads to show them in the thread.
(function () {
  "use strict";
  const form = document.getElementById("comment-form");
  if (!form || !window.indexedDB || !window.fetch || !window.FormData || !window.crypto || !crypto.getRandomValues) return;
  const T = JSON.parse(document.getElementById("comment-i18n").textContent);
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const list = document.getElementById("pending-comments");
  const MAX_PHOTO = 10 * 1024 * 1024, TIMEOUT_MS = 60000;  // a photo on a slow line takes a while
  let sending = false, retry = null, retryDelay = 5000;
  const refused = [];

  const Q = OfflineQueue.open("tcn-comments");
  const mine = (items) => items.filter((i) => i.api === form.dataset.api);
  const label = (i) => `${i.body || ""}${i.photo ? " [" + T.photo + "]" : ""}`.trim();

  async function render() {
    const rows = mine(await Q.all()).map((i) => {
      const el = document.createElement("li");
      el.textContent = `${label(i)} — ${T.waiting}`;
      return el;
    }).concat(refused.map((r) => {
      const el = document.createElement("li");
      el.className = "error";
      el.textContent = `${T.refused}: ${r.label} — ${r.error}`;
      return el;
    }));
    list.replaceChildren(...rows);
    list.hidden = !rows.length;
  }

  async function post(item) {
    const data = new FormData();
    data.append("body", item.body || "");
    data.append("client_uuid", item.client_uuid);
    data.append("occurred_at", item.occurred_at);
    if (item.photo) data.append("photo", item.photo, item.photo.name || "photo.jpg");
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      return await fetch(item.api, { method: "POST", credentials: "same-origin", signal: abort.signal,
                                     headers: { Accept: "application/json", "X-CSRFToken": csrf }, body: data });
    } finally { clearTimeout(timer); }
  }

  // Send what waits, oldest first; stops at the first message whose outcome is unknown.
  async function send() {
    if (sending) return;
    sending = true;
    let done = false, sentHere = false;
    try {
      for (const item of await Q.all()) {
        let r;
        try { r = await post(item); } catch (e) { return; }  // offline, or no answer: resent later
        if (r.ok) {
          await Q.remove(item.client_uuid);
          sentHere = sentHere || item.api === form.dataset.api;
        } else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 429) {
          const body = await r.json().catch(() => ({}));  // refused for good (e.g. not a photo): say so
          refused.push({ label: label(item), error: body.error || r.status });
          await Q.remove(item.client_uuid);
        } else return;  // signed out, too many requests, server trouble: try again later
      }
      done = true;
    } finally {
      sending = false;
      await render();
      clearTimeout(retry);
      if (done) retryDelay = 5000; else {
        retry = setTimeout(send, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    }
    if (done && sentHere && !refused.length && !form.elements.body.value) location.reload();
  }

  form.addEventListener("submit", async (event) => {
    const body = form.elements.body.value.trim(), photo = form.elements.photo.files[0] || null;
    if (!body && !photo) return;  // let the server explain what is missing
    if (photo && photo.size > MAX_PHOTO) return;  // …or that the photo is too large
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;  // one tap is one message
    try {
      await Q.put({ client_uuid: OfflineQueue.uuid(), api: form.dataset.api, body, photo,
                    occurred_at: new Date().toISOString() });
      form.reset();
      await render();
    } finally { button.disabled = false; }
    retryDelay = 5000;
    send();
  });
  window.addEventListener("online", () => { retryDelay = 5000; send(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) send(); });
  render().then(send);
})();
