// The duty app: one tap to check in or out, online or offline.
// A tap becomes an item {client_uuid, kind, occurred_at (this phone's time), lat/lon?} stored in
// IndexedDB first, then sent in a batch to /api/v1/checkins; the server is idempotent on
// client_uuid, so a retry after a lost answer never double-counts.
// One tap is one tap: a second tap while the first is handled, and for 2 s after, is ignored; a
// check-out asks first ("Đã trực 3 giờ 12 phút — Ra ca?") and is sent as confirmed.
// The page tells the truth: whenever the network returns, the page is shown again or a request's
// outcome is unknown, it re-reads the state from the server and says when ("Cập nhật lúc 14:05").
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const $ = (id) => document.getElementById(id);
  const fmt = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => v[k]);
  const LOCK_MS = 2000, ARM_MS = 1000, CONFIRM_MS = 30000, TIMEOUT_MS = 15000;
  let state = JSON.parse(localStorage.getItem("duty-state") || "null");
  let syncing = false, again = false;
  let doubt = false;  // a request's outcome is unknown: what the server holds must be re-read
  let handling = false, lockedUntil = 0, confirming = null;
  let retry = null, retryDelay = 5000;  // while items wait or in doubt: retry after 5 s, 10 s, … up to 60 s

  const Q = OfflineQueue.open("tcn-duty"), uuid = OfflineQueue.uuid;
  const queued = Q.all, enqueue = Q.put, dequeue = Q.remove;

  // A fetch that gives up after TIMEOUT_MS; a throw means the outcome is unknown.
  async function request(url, options) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      return await fetch(url, Object.assign({ credentials: "same-origin", signal: abort.signal }, options));
    } catch (e) { doubt = true; throw e; } finally { clearTimeout(timer); }
  }

  const errors = () => JSON.parse(localStorage.getItem("duty-rejected") || "[]");
  const setErrors = (list) => localStorage.setItem("duty-rejected", JSON.stringify(list.slice(-10)));

  function li(text) { const el = document.createElement("li"); el.textContent = text; return el; }
  // A call button: a real link to the phone's dialler, a thumb's size.
  function call(name, phone, what) {
    const a = document.createElement("a");
    a.className = "call"; a.href = "tel:" + phone; a.textContent = what ? `${name} (${what})` : name;
    a.setAttribute("aria-label", fmt(T.call, { name }));
    return a;
  }
  // One shift: its time (and team, when my shifts are in more than one), my role, and whom to call.
  function shiftItem(s, showTeam, extra, calls) {
    const el = li(`${s.local}${showTeam && s.team ? " · " + s.team : ""}${extra ? extra(s) : ""}`);
    if (s.role) {
      const me = document.createElement("small");
      me.textContent = fmt(T.you_are, { role: T[s.role] || s.role });
      el.append(me);
    }
    const file = document.createElement("a");  // this shift alone, for a calendar without the feed
    file.className = "ics"; file.href = `/duty/shifts/${s.id}.ics`; file.textContent = T.ics;
    file.setAttribute("aria-label", fmt(T.ics_label, { when: s.local }));
    el.append(file);
    const people = !calls ? [] : (s.others || []).map((p) => call(p.name, p.phone, T[p.role]))
      .concat((s.leads || []).map((p) => call(p.name, p.phone, T.lead)));
    if (people.length) {
      const row = document.createElement("div");
      row.className = "calls"; row.append(...people);
      el.append(row);
    }
    const changes = changeRow(s);
    if (changes) el.append(changes);
    return el;
  }
  // A change to my rota from here (online only: the server decides, then the state is re-read).
  // One tap is one tap: the button is disabled at once. When the server answers with rest warnings
  // (less than 8 h between shifts, more than 12 h in a row), the person confirms before anything is saved.
  function post(url, body) {
    return request(url, { method: "POST", body: JSON.stringify(body || {}),
      headers: { "Content-Type": "application/json", "X-CSRFToken": state.csrf_token } });
  }
  function button(text, cls, onTap) {
    const b = document.createElement("button");
    b.type = "button"; b.className = cls; b.textContent = text;
    b.disabled = !navigator.onLine;
    b.addEventListener("click", async () => {
      if (b.disabled) return;
      b.disabled = true;
      await onTap(b);
      await refresh();
      render();
    });
    return b;
  }
  async function act(url, body, what) {
    try {
      let r = await post(url, body);
      if (r.status === 409) {
        const b = await r.clone().json().catch(() => ({}));
        if (b.needs_confirmation) {
          if (!window.confirm(`${b.error}\n${T.confirm_anyway}`)) return;
          r = await post(url, Object.assign({}, body, { confirmed: true }));
        }
      }
      if (!r.ok) {  // too late, taken by someone else, two shifts at once: say why
        const b = await r.json().catch(() => ({}));
        setErrors(errors().concat([{ id: url, when: what, error: b.error || T.not_taken }]));
      }
    } catch (e) { /* the outcome is unknown: the re-read shows what the server holds */ }
  }
  // An open shift of my team (an empty place, or one a teammate gave back), taken with one tap.
  function openItem(s, showTeam) {
    const by = (s.given_back_by || []).length ? ` · ${fmt(T.given_back_by, { name: s.given_back_by.join(", ") })}` : "";
    const el = li(`${s.local}${showTeam && s.team ? " · " + s.team : ""} (${s.staffed}/${s.required} ${T.staffed})${by}`);
    el.append(button(T.take, "take", () => act(`/api/v1/shifts/${s.id}/claim`, {}, s.local)));
    return el;
  }
  // On my next shifts: give it back ("Không thể trực") or ask a teammate ("Đổi ca"); or, once
  // asked, what is waiting and a way to withdraw it.
  function changeRow(s) {
    const row = document.createElement("div");
    row.className = "shift-actions";
    if (s.change) {
      const note = document.createElement("p");
      note.className = "change-note";
      note.textContent = s.change.kind === "give_back" ? fmt(T.given_back, { t: s.change.deadline })
        : fmt(T.asked_teammate, { name: s.change.to });
      row.append(note, button(T.withdraw, "take secondary",
                              () => act(`/api/v1/shift-changes/${s.change.id}/cancel`, {}, s.local)));
      return row;
    }
    if (!s.can_change) return null;
    const mates = (state.teammates || {})[String(s.team_id)] || [];
    row.append(button(T.give_back, "take secondary", () => act(`/api/v1/shifts/${s.id}/give-back`, {}, s.local)));
    if (mates.length) {
      const pick = document.createElement("details");
      const summary = document.createElement("summary");
      summary.className = "take secondary"; summary.textContent = T.swap;
      const label = document.createElement("label");
      label.textContent = T.swap_with;
      const select = document.createElement("select");
      select.append(...mates.map((m) => { const o = document.createElement("option"); o.value = m.id;
                                          o.textContent = m.name; return o; }));
      label.append(select);
      const send = button(T.swap_send, "take primary",
                          () => act(`/api/v1/shifts/${s.id}/swap`, { person_id: Number(select.value) }, s.local));
      pick.append(summary, label, send);
      row.append(pick);
    }
    return row;
  }
  // A teammate asks me to take their shift: one tap to take it, or say no.
  function askedItem(c) {
    const el = li(fmt(T.asks_you, { name: c.from, when: c.when }));
    const row = document.createElement("div");
    row.className = "shift-actions";
    row.append(button(T.accept, "take primary", () => act(`/api/v1/shift-changes/${c.id}/accept`, {}, c.when)),
               button(T.decline, "take secondary", () => act(`/api/v1/shift-changes/${c.id}/decline`, {}, c.when)));
    el.append(row);
    return el;
  }

  // Calls on the shifts that matter now: every current one, and the next one (`calls` of them).
  function list(id, shifts, extra, showTeam = true, calls = 0) {
    const ul = $(id);
    ul.replaceChildren(...(shifts.length ? shifts.map((s, i) => shiftItem(s, showTeam, extra, i < calls))
                                         : [li(T.none)]));
  }
  // A team I lead: who is on duty now (to call) and today's shifts that still lack people.
  function ledTeam(t) {
    const el = document.createElement("li");
    const head = document.createElement("a");
    head.href = t.rota; head.className = "team-link"; head.textContent = t.team;
    const onDuty = document.createElement("p");
    onDuty.textContent = t.on_duty.length ? fmt(T.on_duty_now, { n: t.on_duty.length }) : T.nobody_on_duty;
    const calls = document.createElement("div");
    calls.className = "calls";
    calls.append(...t.on_duty.map((p) => call(p.name, p.phone, fmt(T.since, { t: p.since }))));
    const gaps = document.createElement("p");
    gaps.className = t.gaps_today.length ? "gap" : "muted";
    gaps.textContent = t.gaps_today.length
      ? fmt(T.gaps_today, { list: t.gaps_today.map((s) => `${s.local} (${s.staffed}/${s.required})`).join(", ") })
      : T.no_gaps_today;
    el.append(head, onDuty, calls, gaps);
    return el;
  }
  function errorItem(r, i) {
    const el = li(`${T.rejected}: ${r.when} — ${r.error}`);
    const x = document.createElement("button");
    x.type = "button"; x.className = "dismiss"; x.textContent = "×"; x.setAttribute("aria-label", T.dismiss);
    x.addEventListener("click", () => { setErrors(errors().filter((e, j) => (e.id || j) !== (r.id || i))); render(); });
    el.append(x);
    return el;
  }

  const onDutyNow = (items) => {
    const last = items[items.length - 1];
    return last ? last.kind === "in" : !!(state && state.on_duty);
  };
  const locked = () => handling || Date.now() < lockedUntil;

  async function render() {
    const items = await queued();
    const last = items[items.length - 1];
    const onDuty = onDutyNow(items);
    if (confirming && !onDuty) closeConfirm();  // the server says the session is over already
    const tap = $("tap");
    tap.textContent = onDuty ? T.check_out : T.check_in;
    tap.classList.toggle("out", onDuty);
    tap.disabled = locked();
    tap.setAttribute("aria-busy", String(locked()));
    tap.hidden = !!confirming;
    $("confirm").hidden = !confirming;
    $("state").textContent = last ? (last.kind === "in" ? T.queued_state : T.queued_out)
      : state && state.on_duty ? fmt(T.on_duty_since, { t: state.session ? state.session.local : "…" }) : T.off_duty;
    $("queue").hidden = !items.length;
    $("queue").textContent = fmt(T.waiting, { n: items.length });
    $("offline").hidden = navigator.onLine;
    const updated = localStorage.getItem("duty-updated");
    $("updated").textContent = updated ? fmt(T.updated, { t: updated }) : "";
    $("rejected").replaceChildren(...errors().map(errorItem));
    if (state) {
      $("who").textContent = state.person.full_name;
      // "Now" holds the shifts a check-in counts for, from an hour before they start: say which have not
      const oneTeam = new Set(state.current.concat(state.upcoming).map((s) => s.team)).size <= 1;
      list("current", state.current, (s) => Date.parse(s.starts_at) > Date.now()
        ? ` · ${fmt(T.starts_at, { t: clock(s.starts_at) })}` : "", !oneTeam, state.current.length);
      list("upcoming", state.upcoming, null, !oneTeam, 1);
      const oneOpenTeam = new Set(state.open_shifts.map((s) => s.team)).size <= 1;
      const asked = state.asked || [];
      $("asked-card").hidden = !asked.length;
      $("asked").replaceChildren(...asked.map(askedItem));
      $("open").replaceChildren(...(state.open_shifts.length ? state.open_shifts.map((s) => openItem(s, !oneOpenTeam))
                                                             : [li(T.none)]));
      $("led-card").hidden = !state.led.length;
      $("led").replaceChildren(...state.led.map(ledTeam));
      $("province").hidden = !state.province;
      if (state.province) $("province-link").href = state.province;
      const hours = new Intl.NumberFormat(document.documentElement.lang || "vi", { maximumFractionDigits: 1 });
      $("hours-this").textContent = fmt(T.hours, { h: hours.format(state.hours.this_month) });
      $("hours-last").textContent = fmt(T.hours, { h: hours.format(state.hours.last_month) });
    }
  }

  // Re-read the state from the server; true when it answered.
  async function refresh() {
    try {
      const r = await request("/api/v1/duty/me", { headers: { Accept: "application/json" } });
      if (r.status === 401) { $("login").hidden = false; return false; }
      if (!r.ok) return false;
      state = await r.json();
      doubt = false;
      localStorage.setItem("duty-state", JSON.stringify(state));
      localStorage.setItem("duty-updated", state.server_time.slice(11, 16));
      $("login").hidden = true;
      return true;
    } catch (e) { return false; }  // offline: keep the last known state, and say how old it is
  }

  // What the server now holds after a batch, before it is re-read (that read may fail too).
  function assume(item, moot) {
    if (moot && state.on_duty === (item.kind === "in")) return;  // already so: keep what is known
    state.on_duty = item.kind === "in";
    state.session = !state.on_duty ? null
      : moot ? { local: "…" } : { started_at: item.occurred_at, local: localTime(item.occurred_at) };
    localStorage.setItem("duty-state", JSON.stringify(state));
  }
  const clock = (iso) => new Date(iso).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false,
    timeZone: "Asia/Ho_Chi_Minh" });
  const localTime = (iso) => new Date(iso).toLocaleString("vi-VN", { day: "2-digit", month: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh" }).replace(",", "");

  // Send what waits, in batches; true when the server answered every batch.
  async function send(items) {
    while (items.length) {
      const batch = items.slice(0, 500);
      let r;
      try {
        r = await request("/api/v1/checkins", {
          method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": state.csrf_token },
          body: JSON.stringify({ items: batch.map(({ unsure, ...item }) => item) }),
        });
      } catch (e) { return false; }  // the server may have stored it: it is sent again, and answered "duplicate"
      if (r.status === 401) { $("login").hidden = false; return false; }
      if (!r.ok) return false;  // e.g. an expired CSRF token: the re-read fetches a fresh one
      let body;
      try { body = await r.json(); } catch (e) { doubt = true; return false; }  // the answer was cut off
      const fresh = [];
      body.results.forEach((x) => {
        const item = batch.find((i) => i.client_uuid === x.client_uuid);
        // A tap made while unsure that finds the server already where it asked is no error.
        const moot = item && item.unsure && (x.code === "already_checked_in" || x.code === "not_checked_in");
        if (x.status === "rejected" && !moot) {
          fresh.push({ id: x.client_uuid, when: item ? localTime(item.occurred_at) : "", error: x.error });
        } else if (item) assume(item, moot);
      });
      setErrors(fresh);  // errors of earlier syncs are stale now
      await dequeue(body.results.map((x) => x.client_uuid).filter(Boolean));
      items = items.slice(500);
    }
    return true;
  }

  // The browser's "online" event is a hint, not a promise (captive portals, a flaky 3G link, a
  // network switch the page never hears about), so while anything waits we also retry on a timer.
  function retryLater() {
    clearTimeout(retry);
    retry = setTimeout(sync, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  async function sync() {
    if (syncing) { again = true; return; }
    syncing = true;
    let ok = true;
    try {
      const items = await queued();
      if (items.length && state) ok = await send(items);
      ok = (await refresh()) && ok;
    } finally {
      syncing = false;
      render();
    }
    if (again) { again = false; return sync(); }
    if (ok && !(await queued()).length) { retryDelay = 5000; clearTimeout(retry); } else retryLater();
  }

  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition((p) => resolve(p.coords), () => resolve(null),
        { timeout: 3000, maximumAge: 60000 });
    });
  }

  async function record(kind, confirmed) {
    const item = { client_uuid: uuid(), kind, occurred_at: new Date().toISOString(),
                   unsure: doubt || !navigator.onLine };
    if (confirmed) item.confirmed = true;
    const coords = await position();
    if (coords) Object.assign(item, { lat: coords.latitude, lon: coords.longitude, accuracy_m: coords.accuracy });
    await enqueue(item);
  }

  // Ignore taps while one is handled and for LOCK_MS after; the button shows it (disabled, busy).
  // The confirm step's buttons answer at once (the check-out one once armed), then lock the tap.
  async function handle(fn, confirmStep) {
    if (confirmStep ? handling || !confirming : locked()) return;
    handling = true;
    render();
    try { await fn(); } finally {
      handling = false;
      lockedUntil = Date.now() + LOCK_MS;
      render();
      setTimeout(render, LOCK_MS + 20);
    }
  }

  function duration(iso) {
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? fmt(T.ask_out_hours, { h, m }) : fmt(T.ask_out, { m });
  }

  function ask(items) {
    const last = items[items.length - 1];
    const since = last && last.kind === "in" ? last.occurred_at : state && state.session && state.session.started_at;
    $("confirm-text").textContent = since ? duration(since) : T.ask_out_plain;
    const yes = $("confirm-out");
    yes.disabled = true;  // armed after a moment: the second tap of a double tap lands on nothing
    setTimeout(() => { yes.disabled = false; }, ARM_MS);
    confirming = setTimeout(() => { confirming = null; render(); }, CONFIRM_MS);
  }
  function closeConfirm() { clearTimeout(confirming); confirming = null; }

  $("tap").addEventListener("click", () => handle(async () => {
    const items = await queued();
    if (onDutyNow(items)) { ask(items); return; }
    await record("in");
    sync();
  }));
  $("confirm-out").addEventListener("click", () => handle(async () => {
    closeConfirm();
    await record("out", true);
    sync();
  }, true));
  $("cancel-out").addEventListener("click", () => handle(async () => closeConfirm(), true));

  // Notifications (Web Push): the button subscribes this device with the server's VAPID key and
  // hands the subscription to the server; again, it unsubscribes. Needs HTTPS and a browser with a
  // push service: where subscribing fails the card says so (SMS and calls remain the fallback).
  const b64key = (s) => Uint8Array.from(atob((s + "=".repeat((4 - s.length % 4) % 4)).replace(/-/g, "+")
    .replace(/_/g, "/")), (c) => c.charCodeAt(0));
  async function pushApi(method, body) {
    const r = await request("/api/v1/push" + (body ? "/subscriptions" : ""), { method, headers: Object.assign(
      { Accept: "application/json" }, body ? { "Content-Type": "application/json", "X-CSRFToken": state.csrf_token } : {}),
      body: body ? JSON.stringify(body) : undefined });
    if (!r.ok) throw new Error("push api " + r.status);
    return r.json();
  }
  async function pushSetup() {
    const card = $("push-card"), button = $("push"), note = $("push-state");
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      card.hidden = false; button.hidden = true; note.textContent = T.push_unsupported; return;
    }
    let info;
    try { info = await pushApi("GET"); } catch (e) { return; }
    if (!info.enabled) return;  // push is off on this server: nothing to offer
    const registration = await navigator.serviceWorker.ready;
    let sub = await registration.pushManager.getSubscription().catch(() => null);
    // Each opening tells the server this device's subscription (the same one again changes nothing): it may
    // have forgotten it, or the browser may have rotated it without giving the worker the old one (sw.js).
    if (sub) pushApi("POST", sub.toJSON()).catch(() => {});
    const show = (text) => {
      card.hidden = false;
      button.textContent = sub ? T.push_disable : T.push_enable;
      note.textContent = text || (sub ? T.push_on : T.push_off);
    };
    show();
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      button.disabled = true;
      try {
        if (sub) {
          const endpoint = sub.endpoint;
          await sub.unsubscribe().catch(() => {});
          sub = null;
          await pushApi("DELETE", { endpoint }).catch(() => {});
          return show();
        }
        if (await Notification.requestPermission() !== "granted") return show(T.push_denied);
        try {
          sub = await registration.pushManager.subscribe({ userVisibleOnly: true,
                                                           applicationServerKey: b64key(info.public_key) });
        } catch (e) { sub = null; return show(T.push_failed); }
        try { await pushApi("POST", sub.toJSON()); } catch (e) { return show(T.push_failed); }
        show();
      } finally { button.disabled = false; }
    });
  }

  window.addEventListener("online", () => { retryDelay = 5000; render(); sync(); });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/duty/sw.js", { scope: "/duty/" });
  render().then(sync).then(() => { if (state) pushSetup(); });
})();
