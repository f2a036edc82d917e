/* The read-back of the count minutes in the browser, for when the network is gone.

   Online, the entry form (form[data-offline-readback]) goes to the server, whose read-back page sends it. With no
   network (or when the request fails), this script shows the same read-back here: every number large, with its
   Vietnamese words; "Đúng, gửi biên bản" puts the minutes in the outbox with the form's send step
   (data-offline-readback="step=send"), which runs every check on the server again and answers 422 when something
   blocks (the item then waits in /outbox as "cần sửa"). Once the numbers are queued, a photo form keyed by their
   client_uuid may be queued after them (data-offline-after): the outbox sends it only when they are acknowledged.

   viWords(n) is webapp/reports/words.py in JavaScript (tests/offline/test_count_offline_browser.py compares them on 300+ numbers). */
(function (root) {
  "use strict";

  // ---- Numbers in Vietnamese words (num2words' "vi" reading of each group, joined as the paper minutes do) ----
  var TO_19 = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai",
               "mười ba", "mười bốn", "mười lăm", "mười sáu", "mười bảy", "mười tám", "mười chín"];
  var TENS = ["hai mươi", "ba mươi", "bốn mươi", "năm mươi", "sáu mươi", "bảy mươi", "tám mươi", "chín mươi"];
  var DENOM = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "trăm nghìn tỷ"];
  var SCALES = ["", "nghìn", "triệu", "tỷ"];

  function nn(val) {
    if (val < 20) return TO_19[val];
    var unit = val % 10;
    var tens = TENS[Math.floor(val / 10) - 2];
    if (!unit) return tens;
    return tens + " " + (unit === 1 ? "mốt" : unit === 5 ? "lăm" : TO_19[unit]);
  }

  function nnn(val) {
    var mod = val % 100;
    var rem = Math.floor(val / 100);
    var word = "";
    if (rem > 0) word = TO_19[rem] + " trăm" + (mod > 0 ? " " : "");
    if (mod > 0 && mod < 10) word += (word ? "lẻ " : "") + nn(mod);
    if (mod >= 10) word += nn(mod);
    return word;
  }

  /* num2words(val, lang="vi") for a whole number. */
  function n2w(val) {
    if (val < 100) return nn(val);
    if (val < 1000) return nnn(val);
    for (var v = 1; v < DENOM.length + 1; v++) {
      if (Math.pow(1000, v) > val) {
        var mod = Math.pow(1000, v - 1);
        var lval = Math.floor(val / mod);
        var r = val - lval * mod;
        var ret = nnn(lval) + " " + DENOM[v - 1];
        if (r > 0 && r <= 99) ret += " lẻ";
        return r > 0 ? ret + " " + n2w(r) : ret;
      }
    }
    return String(val);
  }

  function inner(group) {
    if (group >= 100) return n2w(group);
    if (group >= 10) return "không trăm " + n2w(group);
    return "không trăm lẻ " + n2w(group);
  }

  function viWords(number) {
    number = Math.trunc(Number(number));
    if (number < 0) return "âm " + viWords(-number);
    if (number === 0) return "không";
    var groups = [];
    while (number) {
      groups.push(number % 1000);
      number = Math.floor(number / 1000);
    }
    if (groups.length > SCALES.length) {
      var total = 0;
      for (var g = groups.length - 1; g >= 0; g--) total = total * 1000 + groups[g];
      return n2w(total);
    }
    var words = [];
    var top = groups.length - 1;
    for (var index = top; index >= 0; index--) {
      var group = groups[index];
      if (group === 0) continue;
      var text = index === top ? n2w(group) : inner(group);
      words.push((text + " " + SCALES[index]).trim());
    }
    return words.join(" ");
  }

  root.viWords = viWords;
  if (!root.document) return;

  // ---- The read-back screen --------------------------------------------------------------------------------------
  var TEXT = self.APP_TEXT;  // from the catalog: webapp/offline/js_text.py
  var LANG = (document.documentElement.lang || "vi").slice(0, 2) === "en" ? "en" : "vi";
  var L = TEXT[LANG].readback;
  var C = TEXT[LANG].readbackChecks;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function labelText(form, input) {
    var label = input.id && form.querySelector("label[for='" + input.id + "']");
    return (label ? label.textContent : input.name).replace(/\s+/g, " ").trim();
  }

  function formatted(value) {
    return Number(value).toLocaleString(document.documentElement.lang === "en" ? "en-US" : "vi-VN");
  }

  function numberRow(form, input) {
    var value = input.value.trim();
    var dd = value === "" ? el("dd", {}, [el("span", { class: "rep-words", text: L.blank })])
      : el("dd", {}, [el("span", { class: "rep-big", text: formatted(value) }),
                      el("span", { class: "rep-words", text: viWords(Number(value)) })]);
    return el("div", { class: "rep-rb-row" }, [el("dt", { text: labelText(form, input) }), dd]);
  }

  function groupTitle(group) {
    var head = group.querySelector(":scope > legend, :scope > summary");
    return head ? head.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // ---- The law's checks before the leader may queue (issue 16 §2) -----------------------------------------------
  function inputName(field) { return field ? field.replace(":", "_") : ""; }

  /* What the server would refuse or ask to explain, found on the phone: the checks of static/js/checks.js (the
     same codes, numbers and sentences as webapp/reports/checks.py) and the signatures, all at once. */
  function problems(form) {
    var raw = function (name) {
      var input = form.elements[name];
      return input && typeof input.value === "string" ? input.value : "";
    };
    var seats = Number(form.dataset.checkSeats || 0);
    var ids = (form.dataset.checkCandidates || "").split(" ").filter(Boolean).map(Number);
    var last = form.dataset.checkLastTurnout;
    var frozen = form.dataset.checkFrozenVoters;
    var ctx = { seats: seats, candidate_ids: ids, last_turnout: last === undefined ? null : Number(last),
                frozen_voters: frozen === undefined ? null : Number(frozen) };
    var names = {};
    ids.forEach(function (cid) {
      var input = form.elements["votes_" + cid];
      if (input) names[cid] = labelText(form, input);
    });
    var out = root.Checks.checkCount(root.Checks.fromForm(raw, seats, ids), ctx).map(function (f) {
      return { severity: f.severity, code: f.code, text: root.Checks.describe(f, names, LANG),
               field: inputName(f.fields[0]) };
    });
    if (form.querySelector("input[name=signers]") && !form.querySelector("input[name=signers]:checked")) {
      out.push({ severity: "block", code: "signers", text: C.signers, field: "signers" });
    }
    if (form.elements.witness_1 && form.elements.witness_2) {
      // As the server cleans them (counts._clean_name): NFC, spaces collapsed; then compared without case.
      var clean = function (name) { return raw(name).normalize("NFC").split(/\s+/).filter(Boolean).join(" "); };
      var first = clean("witness_1"), second = clean("witness_2");
      if (!first || !second) {
        out.push({ severity: "block", code: "witnesses", text: C.witnesses, field: first ? "witness_2" : "witness_1" });
      } else if (first.toLowerCase() === second.toLowerCase()) {
        out.push({ severity: "block", code: "same_witness", text: C.sameWitness, field: "witness_2" });
      }
    }
    return out;
  }

  function explainBox(form, code) {
    var box = form.querySelector("textarea[name='explain_" + code + "']");
    if (!box) {
      // The server drew no box for this check (it had not seen the numbers): the form carries one, unseen.
      box = el("textarea", { name: "explain_" + code, hidden: "", "data-readback-explain": "" });
      form.appendChild(box);
    }
    return box;
  }

  function checksCard(form, found, section) {
    var card = el("div", { class: "card rep-findings", id: "readback-checks", "aria-live": "polite" },
                  [el("h2", { text: C.title })]);
    if (!found.length) {
      card.appendChild(el("p", { class: "rep-ok", text: "✓ " + C.allPass }));
      return card;
    }
    var blocked = found.some(function (p) { return p.severity === "block"; });
    if (blocked) {
      card.classList.add("rep-findings-bad");
      card.appendChild(el("p", { class: "error", "data-readback-blocked": "", text: C.blocked }));
    }
    var list = el("ul", { class: "rep-findings-list" });
    found.forEach(function (p) {
      var item = el("li", { class: "rep-finding rep-" + p.severity, "data-check": p.code }, [
        el("span", { class: "rep-sev", text: p.severity === "block" ? C.mustFix : C.explain }),
        document.createTextNode(p.text)
      ]);
      if (p.severity === "explain") {
        var box = explainBox(form, p.code);
        var id = "readback-explain-" + p.code;
        var mine = el("textarea", { id: id, rows: "3", "data-explains": p.code });
        mine.value = box.value;
        mine.addEventListener("input", function () {
          box.value = mine.value;
          ready(section);
        });
        item.appendChild(el("div", { class: "field" }, [el("label", { for: id, text: C.explainLabel }), mine,
                                                         el("p", { class: "error", "data-needs": p.code,
                                                                   text: C.explainNeeded })]));
      } else if (p.field) {
        item.appendChild(el("p", {}, [el("button", { type: "button", class: "link", "data-act": "field",
                                                     "data-field": p.field, text: C.goTo })]));
      }
      list.appendChild(item);
    });
    card.appendChild(list);
    return card;
  }

  /* "Correct — send" only when nothing must be fixed and every explanation is written. */
  function ready(section) {
    var blocked = !!section.querySelector("[data-readback-blocked]");
    var missing = false;
    section.querySelectorAll("textarea[data-explains]").forEach(function (box) {
      var empty = !box.value.trim();
      missing = missing || empty;
      var note = section.querySelector("[data-needs='" + box.dataset.explains + "']");
      if (note) note.hidden = !empty;
    });
    var send = section.querySelector("button[data-act=send]");
    if (send) {
      send.disabled = blocked || missing;
      send.hidden = blocked;
    }
    return !(blocked || missing);
  }

  function screen(form) {
    var section = el("section", { id: "readback-local", class: "stack rep", "data-readback-local": "" });
    var label = form.dataset.offlineLabel || "";
    section.appendChild(el("div", { class: "card" }, [
      el("h1", { text: L.title + (label ? ": " + label : "") }),
      el("p", { text: L.read }), el("p", { class: "hint", text: L.offline })
    ]));
    if (form.dataset.checkSeats) section.appendChild(checksCard(form, problems(form), section));
    var groups = [];
    form.querySelectorAll("input[inputmode=numeric]").forEach(function (input) {
      var group = input.closest("fieldset, details") || form;
      var entry = groups.find(function (g) { return g.node === group; });
      if (!entry) { entry = { node: group, inputs: [] }; groups.push(entry); }
      entry.inputs.push(input);
    });
    groups.forEach(function (g) {
      // Ballots by names kept and the inventory (Mẫu 32) are optional: left out when none was typed, as on the
      // server's read-back.
      var optional = g.node.tagName === "DETAILS" || g.node.hasAttribute("data-readback-optional");
      if (optional && g.inputs.every(function (i) { return !i.value.trim(); })) return;
      var dl = el("dl", { class: "rep-rb" });
      g.inputs.forEach(function (input) { dl.appendChild(numberRow(form, input)); });
      section.appendChild(el("div", { class: "card" }, [el("h2", { text: groupTitle(g.node) }), dl]));
    });
    // Explanations written before (the checks' card above asks for those the numbers need now).
    var explained = Array.from(form.querySelectorAll("textarea[name^=explain_]")).filter(function (t) {
      return t.value.trim() && !section.querySelector("[data-explains='" + t.name.slice(8) + "']");
    });
    if (explained.length) {
      section.appendChild(el("div", { class: "card" }, [el("h2", { text: L.explain }),
        el("ul", { class: "rep-findings-list" }, explained.map(function (t) { return el("li", { class: "rep-explanation", text: t.value.trim() }); }))]));
    }
    var names = el("ul", { class: "rep-names" });
    form.querySelectorAll("input[name=signers]:checked").forEach(function (box) {
      names.appendChild(el("li", { text: box.closest("label").textContent.replace(/\s+/g, " ").trim() }));
    });
    form.querySelectorAll("input[name^=witness_]").forEach(function (input) {
      names.appendChild(el("li", {}, [document.createTextNode(input.value.trim() + " "),
                                       el("small", { class: "muted", text: L.witness })]));
    });
    section.appendChild(el("div", { class: "card" }, [el("h2", { text: L.signers }), names]));
    section.appendChild(el("div", { class: "card rep-actions" }, [
      el("button", { type: "button", class: "primary big", "data-act": "send", text: L.send }),
      el("button", { type: "button", class: "big", "data-act": "edit", text: L.edit })
    ]));
    return section;
  }

  function badDigits(form) {
    return Array.from(form.querySelectorAll("input[inputmode=numeric]")).filter(function (input) {
      return input.value.trim() !== "" && !/^[0-9]+$/.test(input.value.trim());
    });
  }

  /* The photo of the paper minutes, keyed by the numbers' client_uuid: queued after them, made smaller on the phone
     first by static/js/photo.js (data-photo-form), as on the photo page. */
  function photoForm(form, numbersUuid) {
    var label = form.dataset.offlineLabel || "";
    var uid = root.Outbox.uuid();
    var photo = el("form", {
      method: "post", enctype: "multipart/form-data", action: "/reports/count/by-uuid/" + numbersUuid + "/photo",
      "data-offline": "photo", "data-offline-after": numbersUuid, "data-offline-label": L.photoLabel.replace("%s", label),
      id: "photo-after-" + numbersUuid, "data-photo-form": "", "data-msg-working": L.working,
      "data-msg-ready": L.ready, "data-msg-failed": L.failed
    }, [
      el("input", { type: "hidden", name: "client_uuid", value: uid }),
      el("label", { class: "button primary big rep-file", for: "photo-camera-later", text: L.camera }),
      el("input", { class: "rep-file-input", id: "photo-camera-later", type: "file", name: "photo", accept: "image/*", capture: "environment" }),
      el("label", { class: "button big rep-file", for: "photo-gallery-later", text: L.gallery }),
      el("input", { class: "rep-file-input", id: "photo-gallery-later", type: "file", name: "photo", accept: "image/*" }),
      el("p", { class: "rep-photo-status", role: "status" }),
      el("img", { class: "rep-photo rep-preview", alt: "", hidden: "" }),
      el("button", { type: "submit", class: "primary big", text: L.sendPhoto })
    ]);
    return el("div", { class: "card", id: "photo-later" }, [el("h2", { text: L.photoTitle }),
                                                            el("p", { class: "hint", text: L.photoHint }), photo]);
  }

  function sendStep(form) {
    var spec = form.getAttribute("data-offline-readback") || "step=send";
    var parts = spec.split("=");
    return { name: parts[0], value: parts.slice(1).join("=") };
  }

  async function send(form, section) {
    var step = sendStep(form);
    var hidden = el("input", { type: "hidden", name: step.name, value: step.value, "data-readback-step": "" });
    form.querySelectorAll("input[data-readback-step]").forEach(function (old) { old.remove(); });
    form.appendChild(hidden);
    section.remove();
    var uuidInput = form.querySelector("input[name=client_uuid]");
    try {
      await root.OutboxForms.queue(form, null);
    } finally {
      hidden.remove();
    }
    // Still waiting on the phone (not sent, not refused): offer the photo, queued after these numbers.
    var status = form.previousElementSibling;
    if (form.hidden && status && status.classList.contains("is-saved") && uuidInput && uuidInput.value
        && !document.getElementById("photo-after-" + uuidInput.value)) {
      status.parentNode.insertBefore(photoForm(form, uuidInput.value), status.nextSibling);
    }
  }

  function show(form) {
    var old = document.getElementById("readback-local");
    if (old) old.remove();
    var bad = badDigits(form);
    if (bad.length) {
      bad[0].focus();
      root.alert(L.digits.replace("%s", bad.map(function (i) { return labelText(form, i); }).join(", ")));
      return;
    }
    var section = screen(form);
    form.hidden = true;
    form.parentNode.insertBefore(section, form.nextSibling);
    var canSend = ready(section);
    section.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-act]");
      if (!button) return;
      if (button.dataset.act === "edit" || button.dataset.act === "field") {
        section.remove();
        form.hidden = false;
        var target = button.dataset.field && form.elements[button.dataset.field];
        if (target && !(target instanceof Element)) target = target[0];  // the first of the signers
        if (target) {
          target.scrollIntoView({ block: "center" });
          target.focus({ preventScroll: true });
        }
        return;
      }
      if (!ready(section)) return;
      button.disabled = true;
      send(form, section).catch(function () { button.disabled = false; });
    });
    section.scrollIntoView();
    // The first thing to do: fix, explain, or read back and send.
    var first = canSend ? section.querySelector("button[data-act=send]")
      : section.querySelector("button[data-act=field], textarea[data-explains]");
    if (first) first.focus({ preventScroll: true });
  }

  root.ReadBack = { show: show, words: viWords };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-offline-readback")) return;
    if (!root.Outbox || !root.OutboxForms) return;
    // Online, the server reads back; with no network, or a form being fixed from the outbox, the phone does.
    if (navigator.onLine !== false && !form.dataset.outboxItem) return;
    event.preventDefault();
    event.stopPropagation();
    show(form);
  }, true);

  document.addEventListener("htmx:sendError", function (e) {
    // The form's own submission only: the live checks of the fields post too, and may fail quietly.
    var form = e.detail && e.detail.elt;
    var cfg = e.detail && e.detail.requestConfig;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-offline-readback") && cfg && cfg.verb === "post"
        && root.OutboxForms) show(form);
  });
})(self);
