/* The page side of working with no network: registers the service worker, sends forms marked data-offline
   through the outbox (static/js/outbox.js), shows the outbox badge and list, and replays when the network returns,
   when a page opens and on a timer. Every page still works without JavaScript. */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }

  var O = window.Outbox;
  if (!O || !window.indexedDB) return;

  var TEXT = self.APP_TEXT;  // from the catalog: webapp/offline/js_text.py, served as /_/text.js
  var L = TEXT[(document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi"].app;

  function say(key, values) {
    var s = L[key];
    Object.keys(values || {}).forEach(function (k) { s = s.replace("%" + k, values[k]); });
    return s;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function when(ms) {
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + " " + pad(d.getDate()) + "/" + pad(d.getMonth() + 1);
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // Looked up each time: a boosted navigation replaces the whole body.
  function badgeEl() { return document.getElementById("outbox-badge"); }
  function userId() {
    var badge = badgeEl();
    return badge && badge.dataset.user ? Number(badge.dataset.user) : null;
  }

  function toWorker(message) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) { if (reg.active) reg.active.postMessage(message); });
  }

  function requestSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.sync && reg.sync.register("outbox");
    }).catch(function () {});
  }

  function persist() {
    var storage = navigator.storage;
    if (!storage || !storage.persisted) return Promise.resolve(null);
    return storage.persisted().then(function (yes) { return yes || storage.persist(); }).catch(function () { return null; });
  }

  // ---- Badge and banner on every page ---------------------------------------------------------------------------
  var banner = null;

  async function refresh() {
    var all = await O.items();
    var fix = all.filter(function (i) { return i.state === O.STATE.NEEDS_FIX; }).length;
    var authNeeded = await O.getMeta("auth_needed");
    var badge = badgeEl();
    if (badge) {
      var parts = [];
      if (all.length - fix) parts.push(say("badge", { n: all.length - fix }));
      if (fix) parts.push(say("badgeFix", { f: fix }));
      badge.textContent = parts.join(" · ");
      badge.hidden = all.length === 0;
      badge.classList.toggle("has-fix", fix > 0);
    }
    var message = null;
    if (all.length && authNeeded) message = say("bannerAuth", { n: all.length });
    else if (all.length && navigator.onLine === false) message = say("bannerOffline", { n: all.length });
    if (banner && !document.body.contains(banner)) banner = null;
    if (message && !banner) {
      banner = el("div", { id: "outbox-banner", class: "outbox-banner", role: "status" });
      var main = document.getElementById("main");
      if (main) main.parentNode.insertBefore(banner, main);
    }
    if (banner) {
      banner.hidden = !message;
      banner.textContent = message || "";
      if (message && authNeeded && location.pathname !== "/login") {
        banner.appendChild(document.createTextNode(" "));
        banner.appendChild(el("a", { href: "/login?next=/outbox", text: L.login }));
      }
    }
    if (document.querySelector("[data-outbox-page]")) renderList(all);
    return all;
  }

  // ---- Forms marked data-offline --------------------------------------------------------------------------------
  /* Each view of a form gets its own client_uuid: a form kept by the service worker would otherwise carry the
     same one every time it is opened offline, and the server would take the second report for the first. */
  function freshUuids(scope) {
    (scope || document).querySelectorAll(":is(form[data-offline], form[data-offline-readback]):not([data-outbox-item]) input[name=client_uuid]")
      .forEach(function (input) { input.value = O.uuid(); });
  }

  function labelOf(form, kind) {
    var text = form.dataset.offlineLabel || form.getAttribute("aria-label") || "";
    if (!text) {
      var heading = (form.closest("section, article, .card") || document).querySelector("h1, h2") || document.querySelector("h1");
      text = heading ? heading.textContent : document.title;
    }
    text = text.replace(/\s+/g, " ").trim().slice(0, 90);
    return text || L[kind];
  }

  function statusBox(form) {
    var box = form.previousElementSibling;
    if (!box || !box.classList.contains("outbox-status")) {
      box = el("div", { class: "outbox-status card", role: "status", "aria-live": "polite" });
      form.parentNode.insertBefore(box, form);
    }
    return {
      show: function (text, kind, links) {
        box.className = "outbox-status card " + (kind || "");
        box.textContent = "";
        box.appendChild(el("p", { text: text }));
        if (links) {
          var p = el("p", { class: "outbox-links" });
          links.forEach(function (l) { p.appendChild(el("a", { class: "button", href: l[0], text: l[1] })); });
          box.appendChild(p);
        }
      }
    };
  }

  async function waitFor(uuid) {
    var deadline = Date.now() + 20000;
    var summary = navigator.onLine === false ? { offline: true } : await O.replay({ foreground: uuid, force: true });
    for (;;) {
      var sent = await O.findSent(uuid);
      if (sent) return { sent: true, location: sent.location };
      var item = (await O.items()).find(function (i) { return i.client_uuid === uuid; });
      if (!item) return { gone: true };
      if (item.state === O.STATE.NEEDS_FIX) return { fix: item };
      if (!summary.busy || Date.now() > deadline) return { waiting: item, auth: !!summary.auth };
      await sleep(400);
      summary = await O.replay({ foreground: uuid, force: true });
    }
  }

  function showFix(item, container) {
    var doc = new DOMParser().parseFromString(item.fix_html || "", "text/html");
    // A count entry form (read back on the phone, static/js/readback.js) comes back from a refused send step.
    var form = doc.querySelector("form[data-offline], form[data-offline-readback]");
    if (!form) return null;
    var main = doc.getElementById("main");
    var part = form;
    if (main) {
      part = form;
      while (part.parentElement && part.parentElement !== main) part = part.parentElement;
    }
    var node = document.importNode(part, true);
    container.textContent = "";
    container.appendChild(node);
    var fresh = node.matches("form[data-offline], form[data-offline-readback]") ? node
      : node.querySelector("form[data-offline], form[data-offline-readback]");
    fresh.dataset.outboxItem = String(item.id);
    fresh.setAttribute("action", item.url);
    var input = fresh.querySelector("input[name=client_uuid]");
    if (input) input.value = item.client_uuid;
    if (window.htmx) window.htmx.process(container);
    return fresh;
  }

  async function queueForm(form, submitter) {
    var status = statusBox(form);
    status.show(L.saving);
    var kind = form.querySelector("input[type=file]") ? "photo" : "numbers";
    var input = form.querySelector("input[name=client_uuid]");
    if (input && !input.value) input.value = O.uuid();
    var uuid = input ? input.value : O.uuid();
    var entry = await O.encodeForm(form, submitter);
    entry.client_uuid = uuid;
    entry.kind = kind;
    entry.label = labelOf(form, kind);
    entry.owner = userId();
    entry.depends_on = form.dataset.offlineAfter || null;
    if (form.dataset.outboxItem) await O.resubmit(Number(form.dataset.outboxItem), entry);
    else await O.add(entry);
    // Queued: what was typed is safe in the outbox, so the draft of the form goes (static/js/draft.js).
    if (window.Drafts) await window.Drafts.clear(form);
    persist();
    requestSync();
    status.show(L.sendingNow);
    var result = await waitFor(uuid);
    if (result.sent || result.gone) {
      window.location.assign(result.location || "/");
      return;
    }
    if (result.fix) {
      var main = document.getElementById("main");
      var fresh = form.dataset.outboxItem ? showFix(result.fix, form.parentNode) : showFix(result.fix, main);
      if (fresh) statusBox(fresh).show(L.fixNow, "is-fix");
      else status.show(result.fix.last_error, "is-fix", [["/outbox", L.outbox]]);
      // The server's summary of what to fix came with the form: the focus goes to it, as on a refused page.
      if (fresh && window.focusErrorSummary) window.focusErrorSummary(fresh);
      return;
    }
    form.hidden = true;
    status.show(result.auth ? L.authSaved : L.saved, result.auth ? "is-auth" : "is-saved",
                result.auth ? [["/login?next=/outbox", L.login], ["/outbox", L.outbox]] : [["/", L.home], ["/outbox", L.outbox]]);
    refresh();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (/\/logout(-everywhere)?$/.test(form.getAttribute("action") || "")) {
      toWorker({ type: "clear-pages" });
      return;
    }
    if (!form.hasAttribute("data-offline")) return;
    // Before htmx (boost) sees it: the outbox sends it.
    event.preventDefault();
    event.stopPropagation();
    if (form.dataset.outboxBusy) return;
    form.dataset.outboxBusy = "1";
    queueForm(form, event.submitter).catch(function () {
      // No IndexedDB (a private window?): an ordinary submission is better than nothing.
      delete form.dataset.outboxBusy;
      HTMLFormElement.prototype.submit.call(form);
    }).then(function () { delete form.dataset.outboxBusy; });
  }, true);

  // The count minutes' read-back on the phone (static/js/readback.js) queues its form through here.
  window.OutboxForms = { queue: queueForm };

  // ---- The outbox page ------------------------------------------------------------------------------------------
  var listed = {};

  function itemNode(item) {
    var state = item.state || O.STATE.WAITING;
    var meta = [L[item.kind] || L.numbers, say(item.sent_at ? "sentAt" : "queuedAt", { s: when(item.sent_at || item.queued_at) })];
    if (item.attempts) meta.push(say("tries", { n: item.attempts }));
    if (state === O.STATE.WAITING && item.next_at > Date.now()) meta.push(say("nextTry", { s: when(item.next_at) }));
    var li = el("li", { class: "outbox-item state-" + state, "data-id": item.id || "" }, [
      el("div", { class: "oi-head" }, [el("strong", { text: item.label || L[item.kind] }),
                                        el("span", { class: "oi-state", text: L[state] })]),
      el("p", { class: "oi-meta", text: meta.join(" · ") }),
      item.last_error && state !== O.STATE.SENT ? el("p", { class: "oi-error", text: item.last_error }) : null
    ]);
    if (state !== O.STATE.SENT) {
      var actions = el("div", { class: "oi-actions" });
      if (state === O.STATE.NEEDS_FIX) actions.appendChild(el("button", { type: "button", class: "primary", "data-act": "fix", text: L.fix }));
      actions.appendChild(el("button", { type: "button", "data-act": "show", text: L.show }));
      if (state !== O.STATE.SENDING) actions.appendChild(el("button", { type: "button", class: "link", "data-act": "delete", text: L.del }));
      li.appendChild(actions);
      li.appendChild(el("pre", { class: "oi-fields", hidden: "" }));
    }
    return li;
  }

  async function renderList(all) {
    var list = document.getElementById("outbox-list");
    if (!list) return;
    var fix = all.filter(function (i) { return i.state === O.STATE.NEEDS_FIX; }).length;
    var summary = document.getElementById("outbox-summary");
    summary.textContent = all.length ? say(fix ? "summaryFix" : "summary", { n: all.length, f: fix }) : L.empty;
    var sent = (await O.sent()).slice(0, 20);
    list.textContent = "";
    listed = {};
    all.forEach(function (item) { listed[item.id] = item; list.appendChild(itemNode(item)); });
    if (sent.length) {
      list.appendChild(el("li", { class: "oi-section", text: L.sentTitle }));
      sent.forEach(function (item) { list.appendChild(itemNode(item)); });
    }
  }

  async function exportItems() {
    var all = await O.items();
    var lines = [say("exportHead", { s: when(Date.now()) }), ""];
    var data = [];
    for (var i = 0; i < all.length; i++) {
      var item = all[i];
      var fields = await O.fields(item);
      lines.push((i + 1) + ". " + item.label + " — " + L[item.state] + " — " + say("queuedAt", { s: when(item.queued_at) }));
      lines.push("   " + L.code + ": " + item.client_uuid);
      lines.push("   " + L.to + ": " + item.url);
      if (item.last_error) lines.push("   " + L.error + ": " + item.last_error);
      fields.forEach(function (f) { if (f[0] !== "client_uuid") lines.push("   " + f[0] + " = " + f[1]); });
      lines.push("");
      var bytes = new Uint8Array(item.body);
      var binary = "";
      for (var b = 0; b < bytes.length; b += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(b, b + 0x8000));
      data.push({ client_uuid: item.client_uuid, kind: item.kind, label: item.label, url: item.url, method: item.method,
                  headers: item.headers, queued_at: new Date(item.queued_at).toISOString(), state: item.state,
                  last_error: item.last_error, fields: fields, body_base64: btoa(binary) });
    }
    if (!all.length) lines.push(L.nothing);
    var text = lines.join("\n");
    var file = new Blob([JSON.stringify({ exported_at: new Date().toISOString(), text: text, items: data }, null, 1)],
                        { type: "application/json" });
    var a = el("a", { href: URL.createObjectURL(file), download: "hop-thu-di-" + new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-") + ".json" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    document.getElementById("outbox-export-text").value = text;
    document.getElementById("outbox-export-panel").hidden = false;
  }

  async function onListClick(event) {
    var button = event.target.closest("button[data-act]");
    if (!button) return;
    var id = Number(button.closest("li").dataset.id);
    var item = await O.get(id);
    if (!item) return refresh();
    var act = button.dataset.act;
    if (act === "delete") {
      if (window.confirm(L.confirmDelete)) { await O.remove(id); refresh(); }
    } else if (act === "show") {
      var pre = button.closest("li").querySelector(".oi-fields");
      pre.textContent = (await O.fields(item)).filter(function (f) { return f[0] !== "client_uuid"; })
        .map(function (f) { return f[0] + " = " + f[1]; }).join("\n");
      pre.hidden = !pre.hidden;
    } else if (act === "fix") {
      var panel = document.getElementById("outbox-fix");
      panel.hidden = false;
      var form = showFix(item, panel);
      panel.insertBefore(el("h2", { text: say("fixTitle", { s: item.label }) }), panel.firstChild);
      if (!form) panel.appendChild(el("p", { class: "error", text: L.noForm }));
      ((form && form.querySelector("[role=alert], .error")) || panel).scrollIntoView();
    }
  }

  function setUpPage() {
    var page = document.querySelector("[data-outbox-page]");
    if (!page || page.dataset.ready) return;
    page.dataset.ready = "1";
    document.getElementById("outbox-list").addEventListener("click", onListClick);
    document.getElementById("outbox-send-now").addEventListener("click", async function () {
      var summary = await O.replay({ force: true });
      await refresh();
      if (summary && summary.sent) document.getElementById("outbox-summary").textContent += " " + say("sendResult", { n: summary.sent });
    });
    document.getElementById("outbox-export").addEventListener("click", exportItems);
    persist().then(function (yes) {
      var note = document.getElementById("outbox-storage");
      if (note && yes !== null) note.textContent = yes ? L.persisted : L.notPersisted;
    });
  }

  // ---- Keeping the leader's pages for offline use ---------------------------------------------------------------
  function warm() {
    var badge = badgeEl();
    if (!badge || !("warm" in badge.dataset) || navigator.onLine === false || !("serviceWorker" in navigator)) return;
    var urls = ["/", "/outbox"];
    document.querySelectorAll("#main a[href], .mainnav a[href]").forEach(function (a) {
      var u = new URL(a.href, location.href);
      if (u.origin !== location.origin || a.hasAttribute("download")) return;
      if (/^\/(login|logout|activate|lang|static|_|api)\b/.test(u.pathname) || /\.(pdf|xlsx|csv|zip)$/.test(u.pathname)) return;
      var key = u.pathname + u.search;
      if (urls.indexOf(key) < 0) urls.push(key);
    });
    toWorker({ type: "warm", urls: urls });
  }

  // ---- Triggers -------------------------------------------------------------------------------------------------
  var timer = null;

  /* The interval catches everything; an item whose backoff ends sooner gets its own timer. */
  function scheduleNext(all) {
    var next = Math.min.apply(null, all.filter(function (i) { return i.state === O.STATE.WAITING; })
      .map(function (i) { return i.next_at || 0; }));
    if (!isFinite(next)) return;
    var wait = Math.max(1000, next - Date.now() + 50);
    if (wait > 20000) return;
    clearTimeout(timer);
    timer = setTimeout(function () { replaySoon(false); }, wait);
  }

  function replaySoon(force) {
    return O.items().then(function (all) {
      // An item left "sending" by a page that went away mid-send (a navigation) waits for a replay to reset it.
      if (all.some(function (i) { return i.state === O.STATE.WAITING || i.state === O.STATE.SENDING; })) {
        return O.replay({ force: force });
      }
    }).then(function (summary) {
      // The worker (or another tab) is sending: look again soon, and keep this call's urgency.
      if (summary && summary.busy) setTimeout(function () { replaySoon(force); }, 2000);
      return refresh();
    }, refresh).then(function (all) { if (all) scheduleNext(all); });
  }

  function onPage(scope) {
    freshUuids(scope);
    setUpPage();
  }

  O.onChange(function () { refresh(); });
  document.addEventListener("htmx:load", function (e) { onPage(e.detail && e.detail.elt); });
  document.addEventListener("htmx:afterSettle", function (e) {
    // A boosted navigation (signing in again, too) counts as opening the app.
    if (e.detail && e.detail.boosted) { replaySoon(true); warm(); } else refresh();
  });
  document.addEventListener("htmx:sendError", function (e) {
    // A boosted link with no network: a real navigation lets the service worker answer from its cache.
    var cfg = e.detail && e.detail.requestConfig;
    if (cfg && cfg.verb === "get" && (cfg.boosted || e.detail.boosted)) window.location.assign(cfg.path);
    // A form that is not kept by the outbox: say so, rather than nothing at all. What was typed stays.
    var form = e.detail && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form");
    if (cfg && cfg.verb === "post" && form && !form.hasAttribute("data-offline") && !form.hasAttribute("data-offline-readback")) {
      statusBox(form).show(L.notKept, "is-auth");
    }
  });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { onPage(document); refresh(); } });
  window.addEventListener("online", function () { requestSync(); replaySoon(true); });
  window.addEventListener("offline", refresh);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") replaySoon(false); });
  setInterval(function () { if (document.visibilityState === "visible") replaySoon(false); }, 20000);

  onPage(document);
  refresh();
  replaySoon(true);
  window.addEventListener("load", warm);
})();

/* A refused form says at its top what is still to fix (templates/reports/_count_form.html, issue 16 §3): the focus
   goes to the first link, and each link puts the focus in its field (opening a closed "details" around it). Apart
   from the outbox above: it needs no IndexedDB. */
(function () {
  "use strict";

  function focusSummary(scope) {
    var root = scope && scope.querySelector ? scope : document;
    var summary = root.matches && root.matches("[data-error-summary]") ? root : root.querySelector("[data-error-summary]");
    var first = summary && summary.querySelector("a");
    if (first) first.focus();
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-error-summary] a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    e.preventDefault();
    var details = target.closest("details");
    if (details) details.open = true;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });
  document.addEventListener("htmx:load", function (e) { focusSummary(e.detail && e.detail.elt); });
  // A boosted page (the hotline's refused turnout) is scrolled to its top once settled, after the focus above:
  // bring the summary back into view then.
  document.addEventListener("htmx:afterSettle", function (e) {
    var elt = e.detail && e.detail.elt;
    var summary = elt && elt.querySelector && elt.querySelector("[data-error-summary]");
    if (summary) setTimeout(function () { summary.scrollIntoView({ block: "start" }); focusSummary(summary); }, 0);
  });
  window.focusErrorSummary = focusSummary;  // the outbox's refused forms, shown without htmx (showFix above)
  focusSummary(document);
})();
