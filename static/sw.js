// Minimal service worker: makes the app installable. The offline outbox arrives with its own issue.
const VERSION = "v1";
self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", () => {});
