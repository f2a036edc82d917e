/* The readiness check (webapp/readiness): asks the service worker to keep the station's pages and say which are
   missing and which version it runs, asks for persistent storage, then sends the results as an outbox item (the
   outbox check itself: queued in IndexedDB, then replayed) and shows the stored result. */
(function () {
  "use strict";

  var TEXT = self.APP_TEXT;  // from the catalog: webapp/offline/js_text.py, served as /_/text.js
  var L = TEXT[(document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi"].readiness;
  var WORKER_WAIT = 45000;

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function within(promise, ms, fallback) {
    return Promise.race([promise, sleep(ms).then(function () { return fallback; })]);
  }

  /* {version, missing}: what the service worker keeps of ``urls`` once it has tried to keep them all. */
  async function fromWorker(urls) {
    var none = { version: "", missing: urls };
    if (!("serviceWorker" in navigator)) return none;
    var reg = await within(navigator.serviceWorker.ready, 10000, null);
    if (!reg || !reg.active) return none;
    return within(new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (e) { resolve(e.data || none); };
      reg.active.postMessage({ type: "readiness", urls: urls }, [channel.port2]);
    }), WORKER_WAIT, none);
  }

  async function storage() {
    var s = navigator.storage;
    if (!s || !s.persisted) return { persistent: false, note: "no StorageManager" };
    var yes = await s.persisted().catch(function () { return false; });
    if (!yes && s.persist) yes = await s.persist().catch(function () { return false; });
    var note = "";
    if (s.estimate) {
      var e = await s.estimate().catch(function () { return null; });
      if (e && e.quota) note = Math.round(e.usage / 1048576) + "/" + Math.round(e.quota / 1048576) + " MB";
    }
    return { persistent: !!yes, note: note };
  }

  function put(form, name, value) { form.elements[name].value = value; }

  async function run(form, button, status) {
    button.disabled = true;
    status.textContent = L.checking;
    var urls = JSON.parse(form.dataset.pages || "[]");
    var worker = await fromWorker(urls);
    var store = await storage();
    var O = window.Outbox;
    var id = O ? O.uuid() : (window.crypto.randomUUID && window.crypto.randomUUID());
    put(form, "client_uuid", id);
    put(form, "pages_cached", worker.missing.length ? "0" : "1");
    put(form, "missing_pages", worker.missing.join(" "));
    put(form, "app_version", worker.version || "");
    put(form, "storage_persistent", store.persistent ? "1" : "0");
    put(form, "storage_note", store.note);
    put(form, "client_time", String(Date.now()));
    if (!O || !window.indexedDB) {
      // No outbox on this phone: the results still go, and the server records that the outbox check failed.
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    status.textContent = L.sending;
    try {
      var entry = await O.encodeForm(form, null);
      var added = await O.add({ client_uuid: id, kind: "numbers", label: L.item, url: entry.url, method: entry.method,
                    headers: entry.headers, body: entry.body, owner: Number(form.dataset.user) || null });
      for (var i = 0; i < 20; i++) {
        await O.replay({ force: true, foreground: id });
        var sent = await O.findSent(id);
        if (sent) {
          window.location.assign(sent.location || form.action);
          return;
        }
        await sleep(1000);
      }
      // Not sent now: taken back out, so that results measured now are not stored later as if they were fresh
      // (the clock check would fail on the delay).
      await O.remove(added.id);
    } catch (err) {
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    status.textContent = L.notSent;
    button.disabled = false;
  }

  function start() {
    var form = document.getElementById("readiness-form");
    if (!form || form.dataset.readinessReady) return;
    form.dataset.readinessReady = "1";
    var button = form.querySelector("[data-readiness-run]");
    var status = document.getElementById("readiness-status");
    form.querySelector("[data-readiness-noscript]").hidden = true;
    button.hidden = false;
    button.addEventListener("click", function () { run(form, button, status); });
  }

  start();
  document.addEventListener("htmx:load", start);
})();
