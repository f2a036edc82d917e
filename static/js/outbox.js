/* The outbox: submissions kept in IndexedDB until the server has acknowledged them (house-style §3.9).
   The same file runs in the pages (window.Outbox) and in the service worker (importScripts), so both replay
   with the same rules; a Web Lock (or, without it, a lease in IndexedDB) keeps them from sending at once. */
(function (root) {
  "use strict";

  var DB_NAME = "baucu-outbox";
  var DB_VERSION = 1;
  var LOCK_NAME = "baucu-outbox-replay";
  var CHANNEL = "baucu-outbox";
  var BACKOFF_MIN = 2000;
  var BACKOFF_MAX = 5 * 60 * 1000;
  var LEASE_MS = 3 * 60 * 1000;
  var SENT_KEEP = 200;
  var TIMEOUT = { numbers: 30000, photo: 180000, token: 15000 };
  var STATE = { WAITING: "waiting", SENDING: "sending", NEEDS_FIX: "needs_fix", SENT: "sent" };

  function lang() {
    var l = root.document && root.document.documentElement.lang;
    if (!l && root.navigator) l = root.navigator.language;
    return (l || "vi").slice(0, 2) === "en" ? "en" : "vi";
  }

  function t(key, arg) {
    // From the catalog (webapp/offline/js_text.py, /_/text.js), loaded before this file in the pages and the
    // service worker alike.
    var s = root.APP_TEXT[lang()].outbox[key];
    return arg === undefined ? s : s.replace("%s", arg);
  }

  // ---- IndexedDB -------------------------------------------------------------------------------------------
  var dbPromise = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("items")) {
          var items = db.createObjectStore("items", { keyPath: "id", autoIncrement: true });
          items.createIndex("uuid", "client_uuid", { unique: true });
        }
        if (!db.objectStoreNames.contains("sent")) db.createObjectStore("sent", { keyPath: "client_uuid" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      };
      req.onsuccess = function () {
        var db = req.result;
        // iOS closes IndexedDB under memory pressure; the next call opens it again.
        db.onclose = function () { dbPromise = null; };
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }

  function attempt(stores, mode, body) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(stores, mode);
        var box = { value: undefined };
        tx.oncomplete = function () { resolve(box.value); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("IndexedDB transaction aborted")); };
        body(tx, box);
      });
    });
  }

  function run(stores, mode, body) {
    return attempt(stores, mode, body).catch(function (err) {
      if (err && (err.name === "InvalidStateError" || err.name === "UnknownError")) {
        dbPromise = null;
        return attempt(stores, mode, body);
      }
      throw err;
    });
  }

  function items() {
    return run(["items"], "readonly", function (tx, box) {
      tx.objectStore("items").getAll().onsuccess = function (e) {
        box.value = e.target.result.sort(function (a, b) { return a.id - b.id; });
      };
    });
  }

  function sentItems() {
    return run(["sent"], "readonly", function (tx, box) {
      tx.objectStore("sent").getAll().onsuccess = function (e) {
        box.value = e.target.result.sort(function (a, b) { return b.sent_at - a.sent_at; });
      };
    });
  }

  function get(id) {
    return run(["items"], "readonly", function (tx, box) {
      tx.objectStore("items").get(id).onsuccess = function (e) { box.value = e.target.result; };
    });
  }

  function findSent(uuid) {
    return run(["sent"], "readonly", function (tx, box) {
      tx.objectStore("sent").get(uuid).onsuccess = function (e) { box.value = e.target.result; };
    });
  }

  function update(id, patch) {
    return run(["items"], "readwrite", function (tx, box) {
      var store = tx.objectStore("items");
      store.get(id).onsuccess = function (e) {
        var item = e.target.result;
        if (!item) return;
        Object.keys(patch).forEach(function (k) { item[k] = patch[k]; });
        store.put(item);
        box.value = item;
      };
    }).then(function (item) { notify(); return item; });
  }

  function getMeta(key) {
    return run(["meta"], "readonly", function (tx, box) {
      tx.objectStore("meta").get(key).onsuccess = function (e) { box.value = e.target.result; };
    });
  }

  function setMeta(key, value) {
    return run(["meta"], "readwrite", function (tx) { tx.objectStore("meta").put(value, key); });
  }

  /* Deletes every meta key that starts with prefix (a whole key is its own prefix). */
  function deleteMeta(prefix) {
    return run(["meta"], "readwrite", function (tx) {
      tx.objectStore("meta").delete(IDBKeyRange.bound(prefix, prefix + "\uffff"));
    });
  }

  /* Adds a submission. A client_uuid already waiting is not added twice (a double tap). */
  function add(entry) {
    var item = {
      client_uuid: entry.client_uuid, kind: entry.kind || "numbers", label: entry.label || "",
      url: entry.url, method: entry.method || "POST", headers: entry.headers || {}, body: entry.body,
      owner: entry.owner || null, depends_on: entry.depends_on || null,
      queued_at: Date.now(), state: STATE.WAITING, attempts: 0, next_at: 0,
      last_error: "", last_status: null, fix_html: null
    };
    return run(["items"], "readwrite", function (tx, box) {
      var store = tx.objectStore("items");
      store.index("uuid").get(item.client_uuid).onsuccess = function (e) {
        if (e.target.result) {
          box.value = { id: e.target.result.id, duplicate: true };
          return;
        }
        store.add(item).onsuccess = function (ev) { box.value = { id: ev.target.result, duplicate: false }; };
      };
    }).then(function (res) { notify(); return res; });
  }

  /* The leader fixed an item the server refused (422): new body, same place in the queue. */
  function resubmit(id, entry) {
    return update(id, {
      url: entry.url, method: entry.method, headers: entry.headers, body: entry.body,
      client_uuid: entry.client_uuid, state: STATE.WAITING, attempts: 0, next_at: 0,
      last_error: "", last_status: null, fix_html: null
    });
  }

  function remove(id) {
    return run(["items"], "readwrite", function (tx) { tx.objectStore("items").delete(id); })
      .then(function () { notify(); });
  }

  /* Acknowledged by the server: the item leaves the outbox and a short receipt stays in "sent". */
  function acknowledge(item, location) {
    return run(["items", "sent"], "readwrite", function (tx) {
      tx.objectStore("items").delete(item.id);
      var sent = tx.objectStore("sent");
      sent.put({
        client_uuid: item.client_uuid, kind: item.kind, label: item.label, queued_at: item.queued_at,
        sent_at: Date.now(), location: location || null, state: STATE.SENT
      });
      sent.getAll().onsuccess = function (e) {
        var all = e.target.result.sort(function (a, b) { return b.sent_at - a.sent_at; });
        all.slice(SENT_KEEP).forEach(function (old) { sent.delete(old.client_uuid); });
      };
    }).then(function () { notify({ type: "sent", client_uuid: item.client_uuid, location: location || null }); });
  }

  // ---- Change notices between pages and the worker -----------------------------------------------------------
  var channel = null;
  var listeners = [];

  function notify(message) {
    var msg = message || { type: "changed" };
    listeners.forEach(function (fn) { try { fn(msg); } catch (e) { /* a listener's bug must not stop replay */ } });
    try {
      if (!channel && root.BroadcastChannel) channel = new root.BroadcastChannel(CHANNEL);
      if (channel) channel.postMessage(msg);
    } catch (e) { /* no BroadcastChannel: pages also poll */ }
  }

  function onChange(fn) {
    listeners.push(fn);
    if (root.BroadcastChannel) {
      var listen = new root.BroadcastChannel(CHANNEL);
      listen.onmessage = function (e) { fn(e.data || { type: "changed" }); };
    }
  }

  // ---- Replay ------------------------------------------------------------------------------------------------
  function backoff(attempts) {
    var base = Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  function fetchWithTimeout(url, init, ms) {
    var ctrl = root.AbortController ? new root.AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, ms) : null;
    if (ctrl) init.signal = ctrl.signal;
    return root.fetch(url, init).finally(function () { if (timer) clearTimeout(timer); });
  }

  /* The session's CSRF token and user: {csrf, user}, or {auth: true}, or {offline: true}. */
  function token() {
    return fetchWithTimeout("/_/csrf", { credentials: "same-origin", cache: "no-store",
                                          headers: { Accept: "application/json" } }, TIMEOUT.token)
      .then(function (r) {
        if (r.status === 401 || r.status === 403) return { auth: true };
        if (!r.ok) return { offline: true, status: r.status };
        return r.json().then(function (data) {
          return data && data.csrf ? { csrf: data.csrf, user: data.user } : { offline: true, status: r.status };
        }, function () { return { offline: true, status: r.status }; });
      }, function () { return { offline: true, status: 0 }; });
  }

  function send(item, tok, foreground) {
    var headers = new Headers(item.headers || {});
    headers.set("X-CSRFToken", tok.csrf);
    headers.set("X-Outbox", foreground ? "foreground" : "background");
    headers.set("Accept", "text/html");
    var init = { method: item.method, headers: headers, body: item.body, credentials: "same-origin",
                 redirect: "manual", cache: "no-store" };
    return fetchWithTimeout(item.url, init, TIMEOUT[item.kind] || TIMEOUT.numbers).then(function (r) {
      // Only the server's explicit acknowledgement deletes an item: a redirect or a 200 from anything in
      // between (a captive portal, a proxy) proves nothing (house-style §3.12.6).
      if (r.headers.get("X-Outbox-Ack")) {
        return { kind: "ok", status: r.status, location: r.headers.get("X-Outbox-Location") };
      }
      if (r.status === 422) return r.text().then(function (html) { return { kind: "fix", status: 422, html: html }; });
      if (r.status === 401 || r.status === 403 || (r.status === 400 && r.headers.get("X-Outbox-Error") === "csrf")) {
        return { kind: "auth", status: r.status };
      }
      if (r.type === "opaqueredirect" || (r.status >= 200 && r.status < 300)) {
        return { kind: "retry", status: r.status || 303, error: t("answer", r.status || 303) };
      }
      if (r.status === 408 || r.status === 429 || r.status >= 500) {
        return { kind: "retry", status: r.status, error: t("server", r.status) };
      }
      // Refused for good (409: e.g. a photo for minutes the commune has confirmed meanwhile): the server may say
      // why in one sentence, shown instead of the generic one.
      var said = r.headers.get("X-Outbox-Message");
      return r.text().then(function (html) {
        return { kind: "rejected", status: r.status, html: html, message: said ? decodeURIComponent(said) : "" };
      });
    }, function () {
      return { kind: "retry", status: 0, network: true, error: t("network") };
    });
  }

  /* The first item to send, in order. An item still in its backoff holds back everything after it: reports
     must reach the server in the order they were made. One that needs fixing, or waits for its numbers, or for
     another account, is passed over. */
  function nextDue(all, opts, now, tried) {
    var pending = {};
    all.forEach(function (it) { pending[it.client_uuid] = true; });
    for (var j = 0; j < all.length; j++) {
      var item = all[j];
      if (tried[item.id] || item.state !== STATE.WAITING) continue;
      if (item.depends_on && pending[item.depends_on]) continue;
      if (item.owner && opts.user && String(item.owner) !== String(opts.user)) continue;
      if (opts.force || item.client_uuid === opts.foreground || (item.next_at || 0) <= now) return item;
      return null;
    }
    return null;
  }

  async function replayLocked(opts) {
    var summary = { sent: 0, fix: 0, retry: 0, auth: false, offline: false, busy: false };
    var all = await items();
    for (var i = 0; i < all.length; i++) {
      // We hold the lock, so an item still marked "sending" was interrupted (a closed tab, a killed worker).
      if (all[i].state === STATE.SENDING) await update(all[i].id, { state: STATE.WAITING });
    }
    var tok = null;
    var tried = {};
    for (var round = 0; round < 500; round++) {
      all = await items();
      var now = Date.now();
      var next = nextDue(all, { force: opts.force, foreground: opts.foreground, user: tok && tok.user }, now, tried);
      if (!next) break;
      tried[next.id] = true;
      if (!tok) {
        tok = await token();
        if (tok.auth) {
          summary.auth = true;
          await setMeta("auth_needed", true);
          await update(next.id, { last_error: t("auth") });
          break;
        }
        if (tok.offline) {
          summary.offline = true;
          await update(next.id, { last_error: tok.status ? t("server", tok.status) : t("network"),
                                  next_at: now + backoff((next.attempts || 0) + 1) });
          break;
        }
        await setMeta("auth_needed", false);
      }
      if (next.owner && tok.user && String(next.owner) !== String(tok.user)) {
        if (next.last_error !== t("owner")) await update(next.id, { last_error: t("owner") });
        continue;
      }
      await update(next.id, { state: STATE.SENDING, sending_at: Date.now() });
      var out = await send(next, tok, next.client_uuid === opts.foreground);
      if (out.kind === "ok") {
        summary.sent += 1;
        await acknowledge(next, out.location);
      } else if (out.kind === "fix" || out.kind === "rejected") {
        summary.fix += 1;
        await update(next.id, { state: STATE.NEEDS_FIX, last_status: out.status, fix_html: out.html || null,
                                last_error: out.kind === "fix" ? t("fix") : out.message || t("rejected", out.status) });
      } else if (out.kind === "auth") {
        summary.auth = true;
        await setMeta("auth_needed", true);
        await update(next.id, { state: STATE.WAITING, last_status: out.status, last_error: t("auth") });
        break;
      } else {
        summary.retry += 1;
        var attempts = (next.attempts || 0) + 1;
        await update(next.id, { state: STATE.WAITING, attempts: attempts, last_status: out.status,
                                last_error: out.error, next_at: Date.now() + backoff(attempts) });
        // Stop here: the next item may depend on this one (turnout never goes down; corrections replace).
        if (out.network) summary.offline = true;
        break;
      }
    }
    notify({ type: "replayed", summary: summary });
    return summary;
  }

  async function withLease(fn) {
    var me = Math.random().toString(36).slice(2);
    var got = await run(["meta"], "readwrite", function (tx, box) {
      var store = tx.objectStore("meta");
      store.get("lease").onsuccess = function (e) {
        var lease = e.target.result;
        if (lease && lease.until > Date.now()) { box.value = false; return; }
        store.put({ by: me, until: Date.now() + LEASE_MS }, "lease");
        box.value = true;
      };
    });
    if (!got) return { busy: true };
    try {
      return await fn();
    } finally {
      await run(["meta"], "readwrite", function (tx) {
        var store = tx.objectStore("meta");
        store.get("lease").onsuccess = function (e) {
          if (e.target.result && e.target.result.by === me) store.delete("lease");
        };
      });
    }
  }

  /* Sends what is due, one item at a time, in order. opts.force ignores the backoff (network back, app
     opened, Background Sync, "Send now"); opts.foreground is the client_uuid the leader is waiting for. */
  function replay(opts) {
    opts = opts || {};
    var locks = root.navigator && root.navigator.locks;
    if (locks && locks.request) {
      return locks.request(LOCK_NAME, { ifAvailable: true }, function (lock) {
        return lock ? replayLocked(opts) : { busy: true };
      });
    }
    return withLease(function () { return replayLocked(opts); });
  }

  // ---- Forms (pages only) ----------------------------------------------------------------------------------------
  function formData(form, submitter) {
    var fd;
    try { fd = new FormData(form, submitter || undefined); } catch (e) {
      fd = new FormData(form);
      if (submitter && submitter.name) fd.append(submitter.name, submitter.value);
    }
    // The token is added at replay time: the one in the page may belong to a session that has ended.
    fd.delete("csrf_token");
    return fd;
  }

  /* A form as a storable request: URL, method, headers and the body as an ArrayBuffer (not a Blob: Safari). */
  async function encodeForm(form, submitter) {
    var fd = formData(form, submitter);
    var action = new URL((submitter && submitter.getAttribute("formaction")) || form.getAttribute("action") || root.location.href,
                         root.location.href);
    var method = ((submitter && submitter.getAttribute("formmethod")) || form.getAttribute("method") || "POST").toUpperCase();
    var body;
    var type;
    if ((form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data") {
      var response = new Response(fd);
      body = await response.arrayBuffer();
      type = response.headers.get("Content-Type");
    } else {
      var params = new URLSearchParams();
      fd.forEach(function (value, key) { if (typeof value === "string") params.append(key, value); });
      body = new TextEncoder().encode(params.toString()).buffer;
      type = "application/x-www-form-urlencoded;charset=UTF-8";
    }
    return { url: action.pathname + action.search, method: method, headers: { "Content-Type": type }, body: body };
  }

  /* The fields of a stored body, for the export and for showing an item: [[name, value], ...]. */
  async function fields(item) {
    var type = (item.headers && (item.headers["Content-Type"] || item.headers["content-type"])) || "";
    if (type.indexOf("multipart/form-data") === 0) {
      var fd = await new Response(item.body, { headers: { "Content-Type": type } }).formData();
      var out = [];
      fd.forEach(function (value, key) {
        out.push([key, typeof value === "string" ? value : "[" + (value.name || "file") + ", " + Math.round(value.size / 1024) + " KB]"]);
      });
      return out;
    }
    var text = new TextDecoder().decode(item.body);
    return Array.from(new URLSearchParams(text).entries());
  }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.from(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  root.Outbox = {
    STATE: STATE, add: add, resubmit: resubmit, remove: remove, items: items, sent: sentItems, get: get,
    findSent: findSent, update: update, getMeta: getMeta, setMeta: setMeta, deleteMeta: deleteMeta, replay: replay, backoff: backoff,
    onChange: onChange, notify: notify, encodeForm: encodeForm, fields: fields, uuid: uuid, text: t
  };
})(self);
