// Service worker for the duty app (/duty/): the shell and its assets are served from the cache
// at once and refreshed in the background (stale-while-revalidate). API calls always go to the
// network; the page queues check-ins in IndexedDB while offline.
const CACHE = "tcn-duty-v7";
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
