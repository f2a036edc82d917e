/* Service worker: keeps the app shell and the signed-in leader's pages for use with no network, and replays the
   outbox (static/js/outbox.js) on Background Sync, on start and when a page asks.

   /_/sw-config.js gives the shell's versioned URLs and the version; a new shell changes it, the browser installs
   this worker again under new cache names and "activate" deletes the old ones. The outbox lives in IndexedDB,
   never in a cache, so an upgrade cannot orphan what waits in it. */
importScripts("/_/sw-config.js");
importScripts(self.SW_CONFIG.text, self.SW_CONFIG.outbox);

const CFG = self.SW_CONFIG;
const SHELL = "shell-" + CFG.version;
const PAGES = "pages-" + CFG.version;
const OURS = ["shell-", "pages-"];
const NAV_TIMEOUT = 6000;
const WARM_FRESH = 15 * 60 * 1000;
const WARM_MAX = 40;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // A versioned URL never changes: whatever the HTTP cache holds for it (the page just loaded it) will do.
    const shell = CFG.shell.map((url) => new Request(url, { cache: url.includes("?v=") ? "force-cache" : "default" }));
    // The offline page is rendered for nobody in particular: no cookie goes with it.
    await cache.addAll([...shell, new Request(CFG.offline, { credentials: "omit" })]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    const pages = await caches.open(PAGES);
    for (const name of names) {
      // The leader's pages move to the new version: they must still open offline right after an upgrade.
      if (name.startsWith("pages-") && name !== PAGES) {
        const old = await caches.open(name);
        for (const request of await old.keys()) {
          if (!(await pages.match(request))) {
            const response = await old.match(request);
            if (response) await pages.put(request, response);
          }
        }
      }
    }
    await Promise.all(names.filter((n) => OURS.some((p) => n.startsWith(p)) && n !== SHELL && n !== PAGES)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
    await self.Outbox.replay({ force: true }).catch(() => {});
  })());
});

function clearPages() {
  return caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith("pages-"))
    .map((n) => caches.delete(n))));
}

function pageKey(url) {
  const u = new URL(url);
  u.hash = "";
  return new Request(u.href);
}

function keepable(response) {
  return response && response.status === 200 && response.type === "basic"
    && response.headers.get("X-Offline-Page") === "1"
    && !/no-store/.test(response.headers.get("Cache-Control") || "")
    && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function keepPage(url, response) {
  if (!keepable(response)) return;
  if (new URL(url).pathname === "/login") return;
  if (response.redirected) {
    // A response that went through a redirect cannot answer a navigation later: keep a plain copy.
    response = new Response(await response.blob(), { status: response.status, statusText: response.statusText,
                                                      headers: response.headers });
  }
  const cache = await caches.open(PAGES);
  await cache.put(pageKey(url), response);
}

async function cachedPage(url) {
  const cache = await caches.open(PAGES);
  return cache.match(pageKey(url));
}

async function offlinePage() {
  return (await caches.match(CFG.offline, { cacheName: SHELL }))
    || new Response("Không có mạng / No network", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/* Network first; the kept copy when the network fails (or hangs, for a page we have). */
async function pageRequest(event, isNavigation) {
  const request = event.request;
  const network = fetch(request).then((response) => {
    const url = response.redirected ? response.url : request.url;
    event.waitUntil(keepPage(url, response.clone()).catch(() => {}));
    return response;
  });
  const cached = await cachedPage(request.url);
  if (cached) {
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NAV_TIMEOUT));
    const first = await Promise.race([network.catch(() => null), timeout]);
    if (first && first.status < 500) return first;
    event.waitUntil(network.catch(() => {}));
    return cached;
  }
  try {
    return await network;
  } catch (err) {
    return isNavigation ? offlinePage() : Response.error();
  }
}

/* Versioned static files never change: the cache first. An old page may ask for an older version of a file: it
   gets the current one rather than nothing. */
async function staticRequest(request) {
  const shell = await caches.open(SHELL);
  const hit = await shell.match(request);
  if (hit) return hit;
  try {
    const response = await fetch(request);
    if (response.ok && new URL(request.url).searchParams.has("v")) await shell.put(request, response.clone());
    return response;
  } catch (err) {
    return (await shell.match(request, { ignoreSearch: true })) || Response.error();
  }
}

async function loginRequest(event) {
  const response = await fetch(event.request);
  // A new session starts with no pages of the previous one kept (they may be somebody else's).
  const signedIn = response.type === "opaqueredirect"
    || (response.redirected && new URL(response.url).pathname !== "/login");
  if (signedIn) {
    await clearPages();
    // htmx followed the redirect: the home page is here already, keep it rather than fetch it again.
    if (response.redirected) event.waitUntil(keepPage(response.url, response.clone()).catch(() => {}));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (url.pathname === "/logout" || url.pathname === "/logout-everywhere") event.waitUntil(clearPages());
    else if (url.pathname === "/login") event.respondWith(loginRequest(event));
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest" || url.pathname === "/_/text.js") {
    event.respondWith(staticRequest(request));
    return;
  }
  if (url.pathname === "/sw.js" || url.pathname.startsWith("/_/")) return;
  const headers = request.headers;
  const boosted = headers.get("HX-Request") === "true"
    && (headers.has("HX-Boosted") || headers.has("HX-History-Restore-Request"));
  if (request.mode === "navigate") event.respondWith(pageRequest(event, true));
  else if (boosted) event.respondWith(pageRequest(event, false));
  // Anything else (htmx fragments, JSON) goes to the network and is never kept.
});

/* One level deeper for the count minutes: the list of the area's minutes links one form per contest. */
const WARM_DEEPER = /^\/reports\/\d+\/count$/;
const WARM_CHILD = /href="(\/reports\/\d+\/count\/\d+)"/g;

function deeper(urls, html) {
  for (const match of html.matchAll(WARM_CHILD)) {
    if (!urls.includes(match[1]) && urls.length < WARM_MAX * 2) urls.push(match[1]);
  }
}

/* After sign-in the page sends the links it shows; the leader's forms are fetched now so they open offline. */
async function warm(urls) {
  const pages = await caches.open(PAGES);
  const shell = await caches.open(SHELL);
  urls = urls.slice(0, WARM_MAX);
  for (let i = 0; i < urls.length; i++) {
    const href = urls[i];
    const key = pageKey(new URL(href, self.location.origin).href);
    const have = await pages.match(key);
    const date = have && Date.parse(have.headers.get("Date") || "");
    if (have && date && Date.now() - date < WARM_FRESH) {
      if (WARM_DEEPER.test(new URL(key.url).pathname)) deeper(urls, await have.text());
      continue;
    }
    let response;
    try {
      response = await fetch(key.url, { credentials: "same-origin", redirect: "follow",
                                        headers: { "X-Offline-Warm": "1" } });
    } catch (err) {
      return;
    }
    if (response.redirected || !keepable(response)) continue;
    const html = await response.clone().text();
    await pages.put(key, response);
    if (WARM_DEEPER.test(new URL(key.url).pathname)) deeper(urls, html);
    // The scripts and styles of that page too (e.g. a form's own script).
    for (const match of html.matchAll(/(?:src|href)="(\/static\/[^"]+\?v=[^"]+)"/g)) {
      const asset = match[1].replace(/&amp;/g, "&");
      if (!(await shell.match(asset))) {
        try {
          const r = await fetch(asset);
          if (r.ok) await shell.put(asset, r);
        } catch (err) {
          return;
        }
      }
    }
  }
}

/* The readiness check (webapp/readiness): keep the station's pages now, then say which of them and of the shell are
   still missing, and which version this worker runs. */
async function readiness(urls) {
  await warm(urls).catch(() => {});
  const pages = await caches.open(PAGES);
  const shell = await caches.open(SHELL);
  const missing = [];
  for (const url of [...CFG.shell, CFG.offline]) if (!(await shell.match(url))) missing.push(url);
  for (const href of urls) {
    if (!(await pages.match(pageKey(new URL(href, self.location.origin).href)))) missing.push(href);
  }
  return { version: CFG.version, missing };
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "readiness" && event.ports && event.ports[0]) {
    const port = event.ports[0];
    const urls = Array.isArray(data.urls) ? data.urls.slice(0, WARM_MAX) : [];
    event.waitUntil(readiness(urls).then((r) => port.postMessage(r),
                                         () => port.postMessage({ version: CFG.version, missing: urls })));
    return;
  }
  if (data.type === "replay") event.waitUntil(self.Outbox.replay({ force: !!data.force }).catch(() => {}));
  else if (data.type === "warm" && Array.isArray(data.urls)) event.waitUntil(warm(data.urls).catch(() => {}));
  else if (data.type === "clear-pages") event.waitUntil(clearPages());
});

self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(self.Outbox.replay({ force: true }).then((summary) => {
    // A rejected promise makes the browser try the sync again later.
    if (summary && summary.offline) throw new Error("still offline");
  }));
});
