// Service worker for the duty app (/duty/): the shell and its assets are served from the cache
// at once and refreshed in the background (stale-while-revalidate). API calls always go to the
// network; the page queues check-ins in IndexedDB while offline.
// Push (issue 20 §2): a push carries an alert as JSON {title, body, tag, urgent, url, ack, actions};
// it is shown as a notification whose "Nhận xử lý" action POSTs the alert's signed acknowledgement
// (the same token as the SMS link) without opening anything, and "Mở" opens the alert's page.
// When the browser rotates the subscription (pushsubscriptionchange), the worker subscribes again
// with the same application server key and the server swaps the old endpoint for the new one.
const CACHE = "tcn-duty-v10";
const SHELL = ["/duty/", "/static/css/app.css", "/static/js/offline-queue.js", "/static/duty/app.js", "/duty/manifest.webmanifest",
               "/static/duty/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(url.pathname);
    const fresh = fetch(event.request).then((response) => {
      if (response.ok && !response.redirected) cache.put(url.pathname, response.clone());
      return response;
    }).catch(() => cached);
    return cached || fresh;
  }));
});

const ICON = "/static/duty/icon.svg";
const TITLE = "Tổ Công nghệ cộng đồng";

// Every push shows a notification (Chromium requires it: userVisibleOnly), even one that does not parse.
function showAlert(data) {
  const d = data && typeof data === "object" ? data : { body: "Có thông báo mới", url: "/duty/" };
  const actions = (Array.isArray(d.actions) ? d.actions : []).filter((a) => a.action !== "ack" || d.ack);
  return self.registration.showNotification(d.title || TITLE, {
    body: d.body || "", tag: d.tag || undefined, renotify: !!d.tag, requireInteraction: !!d.urgent,
    icon: ICON, badge: ICON, actions: actions.slice(0, 2),
    data: { url: d.url || "/duty/", ack: d.ack || null, tag: d.tag || null, id: d.id || null },
  });
}

self.addEventListener("push", (event) => {
  let data = null;
  try { data = event.data ? event.data.json() : null; } catch (e) { data = null; }
  event.waitUntil(showAlert(data));
});

async function openPage(url) {
  const target = new URL(url || "/duty/", self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => w.url === target);
  if (open) return open.focus().then(() => "focused");
  await self.clients.openWindow(target);
  return "opened";
}

// A tap on the notification or one of its actions. "ack": POST the acknowledgement and say what
// became of it in the notification's place; if the network fails, open the alert's page instead
// (its button acknowledges too). Anything else: open the page. Resolves to what was done.
async function handleClick(notification, action) {
  const d = notification.data || {};
  // The answer replaces the notification (same tag); closing it first would close the answer too.
  if (!(action === "ack" && d.ack && d.tag)) notification.close();
  if (action === "ack" && d.ack) {
    try {
      const r = await fetch(d.ack, { method: "POST", credentials: "omit", headers: { Accept: "application/json" } });
      const body = await r.json().catch(() => ({}));
      if (body.status) {
        await self.registration.showNotification(TITLE, { body: body.text || "", tag: d.tag || undefined,
                                                          icon: ICON, data: { url: d.url || "/duty/" } });
        return body.status;
      }
    } catch (e) { /* offline or no answer: the page lets them try again */ }
    return openPage(d.url).then(() => "unsent", () => "unsent");
  }
  return openPage(d.url);
}

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleClick(event.notification, event.action));
});

// The browser replaced (or dropped) this device's push subscription: subscribe again with the same
// application server key, and have the server put the new subscription in the old one's place. There
// is no session to rely on here (no CSRF token in a worker; the login may have ended days ago), so
// the old subscription proves who we are: its endpoint and auth secret, which only this browser and
// the server know. Without an old subscription the page sends the new one at its next opening
// (app.js). Resolves to the server's answer status, or "no-old" / "failed".
async function renewSubscription(event) {
  const old = event.oldSubscription || null;
  let fresh = event.newSubscription || null;
  if (!fresh) {
    let key = old && old.options ? old.options.applicationServerKey : null;
    if (!key) {  // the old one's key is gone with it: the server says which (a signed-in session can ask)
      const r = await fetch("/api/v1/push", { credentials: "same-origin", headers: { Accept: "application/json" } });
      const info = r.ok ? await r.json() : {};
      if (!info.public_key) return "failed";
      key = info.public_key;
    }
    fresh = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  const was = old ? old.toJSON() : null;
  if (!was || !was.keys || !was.keys.auth) return "no-old";
  const r = await fetch("/api/v1/push/renewals", {
    method: "POST", credentials: "omit", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ old: { endpoint: was.endpoint, auth: was.keys.auth }, subscription: fresh.toJSON() }),
  });
  return r.status;
}

self.addEventListener("pushsubscriptionchange", (event) => {
  const done = renewSubscription(event).catch(() => "failed");
  try { event.waitUntil(done); } catch (e) { /* an event dispatched by a test is not the browser's: no waitUntil */ }
});
