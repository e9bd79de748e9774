// The duty app: one tap to check in or out, online or offline.
// A tap becomes an item {client_uuid, kind, occurred_at (this phone's time), lat/lon?} stored in
// IndexedDB first, then sent in a batch to /api/v1/checkins; the server is idempotent on
// client_uuid, so a retry after a lost answer never double-counts.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  let state = JSON.parse(localStorage.getItem("duty-state") || "null");
  let syncing = false;
  let retry = null, retryDelay = 5000;  // while items wait: retry after 5 s, 10 s, … up to 60 s

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function db() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("tcn-duty", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "client_uuid" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function store(mode, fn) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const tx = conn.transaction("queue", mode);
      const result = fn(tx.objectStore("queue"));
      tx.oncomplete = () => resolve(result && result.result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const queued = () => store("readonly", (s) => s.getAll()).then((items) =>
    (items || []).sort((a, b) => a.occurred_at.localeCompare(b.occurred_at)));
  const enqueue = (item) => store("readwrite", (s) => s.put(item));
  const dequeue = (ids) => store("readwrite", (s) => ids.forEach((id) => s.delete(id)));

  function li(text, href) {
    const el = document.createElement("li");
    if (href) { const a = document.createElement("a"); a.href = href; a.textContent = text; el.append(a); }
    else el.textContent = text;
    return el;
  }
  function list(id, shifts, extra) {
    const ul = $(id);
    ul.replaceChildren(...(shifts.length ? shifts.map((s) => li(`${s.local} · ${s.team || ""}${extra ? extra(s) : ""}`))
                                         : [li(T.none)]));
  }

  async function render() {
    const items = await queued();
    const last = items[items.length - 1];
    const onDuty = last ? last.kind === "in" : !!(state && state.on_duty);
    const tap = $("tap");
    tap.textContent = onDuty ? T.check_out : T.check_in;
    tap.classList.toggle("out", onDuty);
    tap.disabled = false;
    $("state").textContent = last ? (last.kind === "in" ? T.queued_state : T.queued_out)
      : state && state.on_duty ? fmt(T.on_duty_since, { t: state.session.local }) : T.off_duty;
    $("queue").hidden = !items.length;
    $("queue").textContent = fmt(T.waiting, { n: items.length });
    $("offline").hidden = navigator.onLine;
    const rejected = JSON.parse(localStorage.getItem("duty-rejected") || "[]");
    $("rejected").replaceChildren(...rejected.map((r) => li(`${T.rejected}: ${r.when} — ${r.error}`)));
    if (state) {
      $("who").textContent = state.person.full_name;
      list("current", state.current);
      list("upcoming", state.upcoming);
      list("open", state.open_shifts, (s) => ` (${s.staffed}/${s.required} ${T.staffed})`);
    }
  }

  async function refresh() {
    try {
      const r = await fetch("/api/v1/duty/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.status === 401) { $("login").hidden = false; return; }
      if (!r.ok) return;
      state = await r.json();
      localStorage.setItem("duty-state", JSON.stringify(state));
      $("login").hidden = true;
    } catch (e) { /* offline: keep the last known state */ }
    render();
  }

  // The browser's "online" event is a hint, not a promise (captive portals, a flaky 3G link, a
  // network switch the page never hears about), so while anything waits we also retry on a timer.
  function retryLater() {
    clearTimeout(retry);
    retry = setTimeout(sync, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  async function sync() {
    if (syncing || !state) return;
    const items = await queued();
    if (!items.length) { retryDelay = 5000; return; }
    syncing = true;
    let sent = false;
    try {
      const r = await fetch("/api/v1/checkins", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": state.csrf_token },
        body: JSON.stringify({ items: items.slice(0, 500) }),
      });
      if (r.status === 401) { $("login").hidden = false; return; }
      if (!r.ok) { await refresh(); return; }  // e.g. an expired CSRF token: fetch a fresh one
      const body = await r.json();
      const rejected = JSON.parse(localStorage.getItem("duty-rejected") || "[]");
      body.results.filter((x) => x.status === "rejected").forEach((x) => {
        const item = items.find((i) => i.client_uuid === x.client_uuid);
        rejected.push({ when: item ? new Date(item.occurred_at).toLocaleString() : "", error: x.error });
      });
      localStorage.setItem("duty-rejected", JSON.stringify(rejected.slice(-10)));
      await dequeue(body.results.map((x) => x.client_uuid).filter(Boolean));
      sent = true;
      await refresh();
    } catch (e) { /* offline: try again later */ } finally {
      syncing = false;
      render();
      if (sent) { retryDelay = 5000; if ((await queued()).length) sync(); } else retryLater();
    }
  }

  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), () => resolve(null),
        { timeout: 3000, maximumAge: 60000 });
    });
  }

  $("tap").addEventListener("click", async () => {
    const tap = $("tap");
    tap.disabled = true;
    const items = await queued();
    const last = items[items.length - 1];
    const onDuty = last ? last.kind === "in" : !!(state && state.on_duty);
    const item = { client_uuid: uuid(), kind: onDuty ? "out" : "in", occurred_at: new Date().toISOString() };
    const coords = await position();
    if (coords) Object.assign(item, { lat: coords.latitude, lon: coords.longitude, accuracy_m: coords.accuracy });
    await enqueue(item);
    await render();
    sync();
  });

  window.addEventListener("online", () => { retryDelay = 5000; render(); sync(); });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/duty/sw.js", { scope: "/duty/" });
  render().then(refresh).then(sync);
})();
