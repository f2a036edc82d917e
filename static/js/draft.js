/* Nothing typed is lost (issue 16 §1). Each leader form (form[data-offline], form[data-offline-readback]) keeps a
   draft on the phone as it is typed, in the outbox's IndexedDB (static/js/outbox.js, "meta" store), keyed by
   account, form address, report time and version: a reload, a crashed tab or "Trang chủ" then Back brings it back,
   with a notice and a "discard" button. Leaving a form with unsent changes asks first. A report that is queued (or
   sent: every send goes through the outbox) clears its drafts. A report still waiting in the outbox is shown where
   it would be typed again: its form prefilled with "đang chờ gửi", and lists marked data-queued-for list it. */
(function () {
  "use strict";

  var O = window.Outbox;
  if (!O || !window.indexedDB) return;

  var TEXT = self.APP_TEXT;  // from the catalog: webapp/offline/js_text.py
  var L = TEXT[(document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi"].draft;
  var FORMS = "form[data-offline], form[data-offline-readback]";
  var KEPT_OUT = { csrf_token: true, client_uuid: true };

  function when(ms) {
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  /* The fields a person types into: text, numbers, notes and ticks (hidden fields come from the server). */
  function typed(form) {
    return Array.from(form.elements).filter(function (e) {
      if (!e.name || KEPT_OUT[e.name] || e.disabled) return false;
      if (e.tagName === "TEXTAREA") return true;
      return e.tagName === "INPUT" && /^(text|number|tel|checkbox|radio)$/.test(e.type);
    });
  }

  function ticked(e) { return e.type === "checkbox" || e.type === "radio"; }

  function path(form) { return new URL(form.getAttribute("action") || location.href, location.href).pathname; }

  function slot(form) {
    var input = form.querySelector("input[name=slot]");
    return input ? input.value : "";
  }

  function owner() {
    var badge = document.getElementById("outbox-badge");
    return (badge && badge.dataset.user) || "";
  }

  // One key per account, form (station and contest are in its address), report time and version.
  function prefix(form) { return "draft:" + owner() + "|" + path(form) + "|"; }
  function key(form) { return prefix(form) + slot(form) + "|" + (form.dataset.draftVersion || ""); }

  function values(form) {
    return typed(form).filter(function (e) { return !ticked(e) || e.checked; })
      .map(function (e) { return [e.name, e.value]; });
  }

  function changed(form) {
    return typed(form).some(function (e) {
      return ticked(e) ? e.checked !== e.defaultChecked : e.value !== e.defaultValue;
    });
  }

  /* Fields the person has touched since the form opened: focused, typed into or ticked. Reading IndexedDB takes a
     while; a restore arriving after the first touch would land in the middle of typing (a browser, or Playwright's
     fill, focuses and selects the field, then inserts the text as a separate step: a value put in between is
     kept and the typed digits are appended to it, "100" + "110" = "100110"). So nothing is ever put into a form
     once it has been touched; the person's typing is newer than anything kept. */
  function touched(form) {
    return form.hasAttribute("data-draft-touched") || form.contains(document.activeElement) || changed(form);
  }

  document.addEventListener("focusin", function (e) {
    var form = e.target.form;
    if (form && form.matches(FORMS)) form.setAttribute("data-draft-touched", "");
  }, true);
  document.addEventListener("pointerdown", function (e) {
    var form = e.target.closest && e.target.closest(FORMS);
    if (form) form.setAttribute("data-draft-touched", "");
  }, true);

  /* Puts [[name, value], ...] into the form: the n-th field of a name gets the n-th value of that name. */
  function fill(form, pairs) {
    var seen = {};
    typed(form).forEach(function (e) {
      if (ticked(e)) {
        e.checked = pairs.some(function (p) { return p[0] === e.name && p[1] === e.value; });
        return;
      }
      var mine = pairs.filter(function (p) { return p[0] === e.name; });
      var n = seen[e.name] || 0;
      seen[e.name] = n + 1;
      if (n < mine.length) e.value = mine[n][1];
    });
    form.querySelectorAll("details").forEach(function (d) {
      if (Array.from(d.querySelectorAll("input")).some(function (i) { return i.value; })) d.open = true;
    });
  }

  function notice(form, kind, text, button, link) {
    var old = form.previousElementSibling;
    if (old && old.hasAttribute("data-draft-notice")) old.remove();
    var box = el("div", { class: "card draft-notice draft-" + kind, role: "status", "data-draft-notice": kind });
    box.appendChild(el("p", {}, text));
    if (button) box.appendChild(button);
    if (link) box.appendChild(link);
    form.parentNode.insertBefore(box, form);
    return box;
  }

  // ---- Keeping the draft as it is typed ----------------------------------------------------------------------
  var writes = Promise.resolve();

  function save(form) {
    var k = key(form);
    var dirty = changed(form);
    form.toggleAttribute("data-draft-dirty", dirty);
    var draft = dirty ? { fields: values(form), saved_at: Date.now() } : null;
    // In order: the last keystroke's write is the one that stays.
    writes = writes.then(function () {
      return draft ? O.setMeta(k, draft) : O.deleteMeta(k);
    }).catch(function () {});
    return writes;
  }

  /* The report left the form for the outbox: its drafts (every version of that form) go. */
  function clear(form) {
    form.removeAttribute("data-draft-dirty");
    var p = prefix(form);
    writes = writes.then(function () { return O.deleteMeta(p); }).catch(function () {});
    return writes;
  }

  function discard(form, box) {
    typed(form).forEach(function (e) {
      if (ticked(e)) e.checked = e.defaultChecked;
      else e.value = e.defaultValue;
    });
    box.remove();
    return clear(form);
  }

  // ---- When a form opens -------------------------------------------------------------------------------------
  function waitingFor(form, all, fields) {
    var url = path(form);
    var want = slot(form);
    var mine = all.filter(function (i) { return i.url.split("?")[0] === url && i.kind === "numbers"; });
    if (!mine.length) return null;
    return Promise.all(mine.map(fields)).then(function (lists) {
      for (var j = mine.length - 1; j >= 0; j--) {
        var s = lists[j].find(function (p) { return p[0] === "slot"; });
        if (!want || (s && s[1] === want)) return { item: mine[j], fields: lists[j] };
      }
      return null;
    });
  }

  async function open(form) {
    if (form.dataset.draftReady || form.dataset.outboxItem || !typed(form).length) return;
    form.dataset.draftReady = "1";
    form.removeAttribute("data-draft-touched");  // a page put back by htmx's history may carry it
    var draft = await O.getMeta(key(form));
    // Typing that began while IndexedDB answered wins: it is newer than anything kept (see touched()).
    if (draft && draft.fields) {
      if (touched(form)) return;
      fill(form, draft.fields);
      if (!changed(form)) return;
      form.setAttribute("data-draft-dirty", "");
      var button = el("button", { type: "button", class: "link", "data-draft-discard": "" }, L.discard);
      var box = notice(form, "restored", L.restored.replace("%s", when(draft.saved_at)), button);
      button.addEventListener("click", function () { discard(form, box); });
      return;
    }
    var all = (await O.items()).filter(function (i) { return i.state !== O.STATE.SENT; });
    var queued = await waitingFor(form, all, O.fields);
    if (!queued) return;
    // Already typing: the notice still says the report waits on the phone, but nothing is put into the form.
    if (!touched(form)) fill(form, queued.fields);
    notice(form, "queued", L.queued.replace("%s", when(queued.item.queued_at)), null,
           el("a", { class: "button", href: "/outbox" }, L.outbox));
  }

  /* What was sent, listed or summed up (data-queued-for="<form address> …"), shows what still waits on the phone:
     a list gets an entry per report, anything else a badge for the newest. */
  async function mark(list) {
    var urls = list.getAttribute("data-queued-for").split(" ");
    var all = (await O.items()).filter(function (i) {
      return i.kind === "numbers" && urls.indexOf(i.url.split("?")[0]) >= 0;
    });
    if (list.tagName !== "UL") {
      list.hidden = !all.length;
      list.textContent = "";
      if (!all.length) return;
      list.appendChild(el("span", { class: "rep-badge rep-status-queued" }, L.waiting));
      list.appendChild(document.createTextNode(" " + L.savedAt.replace("%s", when(all[all.length - 1].queued_at))));
      return;
    }
    var fresh = [];
    for (var j = 0; j < all.length; j++) {
      var fields = await O.fields(all[j]);
      var at = fields.find(function (p) { return p[0] === "slot"; });
      var numbers = fields.filter(function (p) { return /^(voted|contest_\d+)$/.test(p[0]) && p[1]; })
        .map(function (p) { return p[1]; });
      var li = el("li", { class: "rep-entry rep-queued", "data-queued-item": all[j].client_uuid });
      var head = el("div", { class: "rep-entry-head" });
      head.appendChild(el("strong", { class: "rep-entry-time" }, at ? at[1] : when(all[j].queued_at)));
      head.appendChild(el("span", { class: "rep-entry-numbers" },
                          numbers.length ? numbers.join(" · ") + " " + L.voters : L.noChange));
      head.appendChild(el("span", { class: "rep-badge rep-status-queued" }, L.waiting));
      li.appendChild(head);
      fresh.push(li);
    }
    // Swapped in one step (no await between): overlapping calls cannot list an item twice.
    list.querySelectorAll("[data-queued-item]").forEach(function (li) { li.remove(); });
    fresh.forEach(function (li) { list.insertBefore(li, list.firstChild); });
    var none = list.querySelector(".rep-entry.muted");
    if (none) none.hidden = all.length > 0;
  }

  function onPage(scope) {
    var root = scope && scope.querySelectorAll ? scope : document;
    var forms = Array.from(root.querySelectorAll(FORMS));
    if (root.matches && root.matches(FORMS)) forms.push(root);
    forms.forEach(function (f) { open(f).catch(function () {}); });
    root.querySelectorAll("[data-queued-for]").forEach(function (l) { mark(l).catch(function () {}); });
  }

  document.addEventListener("input", function (e) {
    var form = e.target.form;
    if (form && form.matches(FORMS) && !form.dataset.outboxItem && e.target.type !== "file") save(form);
  });
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.matches(FORMS) && !form.dataset.outboxItem && ticked(e.target)) save(form);
  });

  var leaving = false;
  // A form that leaves the page by submitting (no htmx) is not "leaving with unsent changes".
  document.addEventListener("submit", function () {
    leaving = true;
    setTimeout(function () { leaving = false; }, 2000);
  }, true);
  window.addEventListener("beforeunload", function (e) {
    if (leaving || !document.querySelector("form[data-draft-dirty]")) return;
    e.preventDefault();
    e.returnValue = "";
  });

  document.addEventListener("htmx:load", function (e) { onPage(e.detail && e.detail.elt); });
  document.addEventListener("htmx:historyRestore", function () { onPage(document); });
  O.onChange(function () {
    document.querySelectorAll("[data-queued-for]").forEach(function (l) { mark(l).catch(function () {}); });
  });

  window.Drafts = { clear: clear };
  onPage(document);
})();
