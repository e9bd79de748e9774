// One way to keep work on the phone until the server has it: an IndexedDB store of items keyed by
// a UUID the phone makes (the server counts a UUID once, so a resend after a lost answer is
// harmless). Used by the duty app's check-in taps and the task page's progress reports.
window.OfflineQueue = (function () {
  "use strict";
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // The queue in database `name`: all() oldest first (by the phone's occurred_at), put(item), remove(id or ids).
  function open(name) {
    function db() {
      return new Promise((resolve, reject) => {
        const req = indexedDB.open(name, 1);
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
    return {
      all: () => store("readonly", (s) => s.getAll()).then((items) =>
        (items || []).sort((a, b) => a.occurred_at.localeCompare(b.occurred_at))),
      put: (item) => store("readwrite", (s) => s.put(item)),
      remove: (ids) => store("readwrite", (s) => [].concat(ids).forEach((id) => s.delete(id))),
    };
  }
  return { uuid, open };
})();
