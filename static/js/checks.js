/* The law's checks of a count minutes on the phone (issue 16 §2): a port of webapp/reports/checks.py (check_count,
   checks 1–10 and 13) and of check_messages.describe, so the read-back says what the server would say before the
   team signs the paper, with no network too. The Python checks stay the authority: the server checks again on
   receipt, and tests/offline/test_checks_parity.py feeds both the same generated minutes (hypothesis) and requires
   identical findings and sentences. Checks 11 (across the station's contests) and 14 (sent before the close) need
   the other minutes and the server's clock: they stay on the server.

   Runs in the pages (self.Checks) and under node for the parity test (module.exports); no DOM here. The messages
   and labels come from the catalog (self.APP_TEXT[lang].checks, webapp/offline/js_text.py). */
(function (root) {
  "use strict";

  var COUNT_FIELDS = ["voters_on_list", "voters_voted", "ballots_issued", "ballots_received", "valid", "invalid"];
  var COMPLAINT_FIELDS = ["complaints_received", "complaints_resolved", "complaints_forwarded"];
  var INVENTORY_FIELDS = ["ballots_from_commune", "ballots_spoiled", "ballots_unused"];
  var GROUPED = /^[0-9]{1,3}(?:[.,\s][0-9]{3})+$/;
  var ASCII_DIGITS = /^[0-9]{1,10}$/;
  var MAX = 99999999;

  /* webapp/reports/forms.parse_number: "1.234", "1 234" and "1234" are 1234; blank is null; anything else is
     returned as typed, for check 1 to name it. */
  function parseNumber(raw) {
    var text = (raw || "").trim();
    if (!text) return null;
    var digits = GROUPED.test(text) ? text.replace(/[^0-9]/g, "") : text;
    if (!ASCII_DIGITS.test(digits)) return text;
    var value = parseInt(digits, 10);
    return value <= MAX ? value : text;
  }

  /* CountForm.numbers(): the minutes as typed, from raw(name) (the text of the field of that name, "" when absent).
     The breakdown by names kept is optional: used only when the team filled some of it in (blanks are then 0). */
  function fromForm(raw, seats, candidateIds) {
    var data = {};
    COUNT_FIELDS.concat(COMPLAINT_FIELDS, INVENTORY_FIELDS).forEach(function (name) {
      data[name] = parseNumber(raw(name));
    });
    data.votes = {};
    candidateIds.forEach(function (cid) { data.votes[cid] = parseNumber(raw("votes_" + cid)); });
    var kept = {}, any = false;
    for (var k = 1; k <= seats; k++) {
      kept[k] = parseNumber(raw("names_kept_" + k));
      if (kept[k] !== null) any = true;
      else kept[k] = 0;
    }
    data.names_kept = any ? kept : null;
    return data;
  }

  function finding(check, code, severity, fields, params) {
    return { check: check, code: code, severity: severity, fields: fields, params: params || {} };
  }

  function valueProblem(name, value) {
    if (value === null || value === undefined || (typeof value === "string" && !value.trim())) {
      return finding(1, "blank", "block", [name], { field: name });
    }
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return finding(1, "not_an_integer", "block", [name], { field: name, value: String(value) });
    }
    if (value < 0) return finding(1, "negative", "block", [name], { field: name, value: value });
    return null;
  }

  function votesField(cid) { return "votes:" + cid; }
  function numeric(a, b) { return a - b; }
  function sortedKeys(map) { return Object.keys(map).map(Number).sort(numeric); }
  function sum(values) { return values.reduce(function (a, b) { return a + b; }, 0); }

  /* data: {voters_on_list, …, votes: {cid: n}, names_kept: {k: n} | null, complaints_*};
     ctx: {seats, candidate_ids: [cid], last_turnout: n | null, frozen_voters: n | null}. Same order of findings as check_count. */
  function checkCount(data, ctx) {
    var out = [];
    var ok = {};
    COUNT_FIELDS.concat(COMPLAINT_FIELDS).forEach(function (name) {
      var value = data[name] === undefined && COMPLAINT_FIELDS.indexOf(name) >= 0 ? 0 : data[name];
      var problem = valueProblem(name, value);
      if (problem) out.push(problem);
      else ok[name] = value;
    });
    var votes = {};
    sortedKeys(data.votes || {}).forEach(function (cid) {
      var problem = valueProblem(votesField(cid), data.votes[cid]);
      if (problem) out.push(problem);
      else votes[cid] = data.votes[cid];
    });
    var kept = null;
    if (data.names_kept !== null && data.names_kept !== undefined) {
      kept = {};
      var keys = sortedKeys(data.names_kept);
      keys.forEach(function (k) {
        var problem = valueProblem("names_kept:" + k, data.names_kept[k]);
        if (problem) out.push(problem);
        else kept[k] = data.names_kept[k];
      });
      if (Object.keys(kept).length !== keys.length) kept = null;
    }
    var T = ok.voters_on_list, V = ok.voters_voted, I = ok.ballots_issued, C = ok.ballots_received;
    var G = ok.valid, B = ok.invalid;
    var has = function (x) { return x !== undefined; };

    if (has(T) && has(V) && V > T) {
      out.push(finding(2, "voted_gt_on_list", "block", ["voters_voted", "voters_on_list"],
                       { voted: V, on_list: T, diff: V - T }));
    }
    if (has(I) && has(C) && C > I) {
      out.push(finding(3, "received_gt_issued", "block", ["ballots_received", "ballots_issued"],
                       { received: C, issued: I, diff: C - I }));
    }
    if (has(G) && has(B) && has(C) && G + B !== C) {
      out.push(finding(4, "valid_plus_invalid_ne_received", "block", ["valid", "invalid", "ballots_received"],
                       { valid: G, invalid: B, sum: G + B, received: C, diff: Math.abs(G + B - C) }));
    }
    if (has(I) && has(V) && I !== V) {
      out.push(finding(5, "issued_ne_voted", "explain", ["ballots_issued", "voters_voted"],
                       { issued: I, voted: V, diff: Math.abs(I - V) }));
    }
    if (has(I) && has(C) && C < I) {
      out.push(finding(6, "received_lt_issued", "explain", ["ballots_received", "ballots_issued"],
                       { received: C, issued: I, diff: I - C }));
    }
    out = out.concat(checkNamesKept(kept, G, ctx.seats));
    out = out.concat(checkVotes(votes, kept, G, ctx, sortedKeys(data.votes || {})));
    out = out.concat(checkInventory(data, I));
    var last = ctx.last_turnout;
    if (last !== null && last !== undefined && has(V) && last !== V) {
      out.push(finding(13, "turnout_ne_voted", "explain", ["voters_voted"],
                       { turnout: last, voted: V, diff: Math.abs(V - last) }));
    }
    var frozen = ctx.frozen_voters;
    if (frozen !== null && frozen !== undefined && has(T) && frozen !== T) {
      out.push(finding(2, "on_list_ne_frozen", "explain", ["voters_on_list"],
                       { on_list: T, frozen: frozen, diff: Math.abs(T - frozen) }));
    }
    return out;
  }

  /* Check 10, the inventory (Mẫu 32): received from the commune = issued + spoiled and exchanged + unused; only
     when any of its three figures was entered (absent or null: none). */
  function checkInventory(data, I) {
    var given = INVENTORY_FIELDS.some(function (name) { return data[name] !== null && data[name] !== undefined; });
    if (!given) return [];
    var out = [], ok = {};
    INVENTORY_FIELDS.forEach(function (name) {
      var problem = valueProblem(name, data[name]);
      if (problem) out.push(problem);
      else ok[name] = data[name];
    });
    if (Object.keys(ok).length === INVENTORY_FIELDS.length && I !== undefined) {
      var received = ok.ballots_from_commune, spoiled = ok.ballots_spoiled, unused = ok.ballots_unused;
      var used = I + spoiled + unused;
      if (used !== received) {
        out.push(finding(10, "inventory_ne_received", "explain", INVENTORY_FIELDS.concat(["ballots_issued"]),
                         { from_commune: received, issued: I, spoiled: spoiled, unused: unused, sum: used,
                           diff: Math.abs(used - received) }));
      }
    }
    return out;
  }

  function checkNamesKept(kept, G, seats) {
    if (kept === null) return [];
    var keys = sortedKeys(kept);
    var out = keys.filter(function (k) { return kept[k] && !(k >= 1 && k <= seats); }).map(function (k) {
      return finding(7, "names_kept_out_of_range", "block", ["names_kept:" + k],
                     { names: k, ballots: kept[k], seats: seats });
    });
    var total = sum(keys.map(function (k) { return kept[k]; }));
    if (G !== undefined && total !== G) {
      out.push(finding(7, "names_kept_sum_ne_valid", "block",
                       ["valid"].concat(keys.map(function (k) { return "names_kept:" + k; })),
                       { sum: total, valid: G, diff: Math.abs(total - G) }));
    }
    return out;
  }

  function checkVotes(votes, kept, G, ctx, given) {
    var out = [];
    var ids = sortedKeys(votes);
    var voteFields = ids.map(votesField);
    var total = sum(ids.map(function (cid) { return votes[cid]; }));
    var known = ctx.candidate_ids.slice().sort(numeric);
    var same = given.length === known.length && given.every(function (cid, i) { return cid === known[i]; });
    var complete = ids.length === given.length && same;
    if (complete && kept !== null) {
      var keys = sortedKeys(kept);
      var expected = sum(keys.map(function (k) { return k * kept[k]; }));
      if (total !== expected) {
        out.push(finding(8, "votes_ne_names_kept", "block",
                         voteFields.concat(keys.map(function (k) { return "names_kept:" + k; })),
                         { votes_sum: total, expected: expected, diff: Math.abs(total - expected) }));
      }
    } else if (complete && G !== undefined) {
      if (total < G) {
        out.push(finding(8, "votes_below_valid", "block", voteFields.concat(["valid"]),
                         { votes_sum: total, valid: G, diff: G - total }));
      } else if (total > ctx.seats * G) {
        out.push(finding(8, "votes_above_max", "block", voteFields.concat(["valid"]),
                         { votes_sum: total, valid: G, seats: ctx.seats, max: ctx.seats * G,
                           diff: total - ctx.seats * G }));
      }
    }
    if (G !== undefined) {
      ids.forEach(function (cid) {
        if (votes[cid] > G) {
          out.push(finding(9, "candidate_votes_gt_valid", "block", [votesField(cid), "valid"],
                           { candidate: cid, votes: votes[cid], valid: G, diff: votes[cid] - G }));
        }
      });
    }
    known.filter(function (cid) { return given.indexOf(cid) < 0; }).forEach(function (cid) {
      out.push(finding(9, "candidate_missing", "block", [votesField(cid)], { candidate: cid }));
    });
    given.filter(function (cid) { return known.indexOf(cid) < 0; }).forEach(function (cid) {
      out.push(finding(9, "candidate_unknown", "block", [votesField(cid)], { candidate: cid }));
    });
    return out;
  }

  // ---- Words (check_messages.describe) --------------------------------------------------------------------------
  function words(lang) { return root.APP_TEXT[lang === "en" ? "en" : "vi"].checks; }

  /* flask_babel.format_decimal for a whole number: "1.234.567" in Vietnamese, "1,234,567" in English. */
  function decimal(value, lang) {
    var digits = String(Math.abs(value)).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "en" ? "," : ".");
    return (value < 0 ? "-" : "") + digits;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function candidate(cid, names, lang) {
    return names && names[cid] !== undefined ? names[cid] : fill(words(lang).candidate, { id: String(cid) });
  }

  function fieldLabel(name, names, lang) {
    var W = words(lang);
    var at = name.indexOf(":");
    var base = at < 0 ? name : name.slice(0, at), key = at < 0 ? "" : name.slice(at + 1);
    if (base === "votes" && key) return fill(W.votesFor, { candidate: candidate(Number(key), names, lang) });
    if (base === "names_kept" && key) return fill(W.keeping, { k: key });
    return W.fields[base] !== undefined ? W.fields[base] : name;
  }

  function display(key, value, names, lang) {
    if (key === "field") return fieldLabel(String(value), names, lang);
    if (key === "candidate") return candidate(Number(value), names, lang);
    if (typeof value === "number" && ["names", "seats", "value"].indexOf(key) < 0) return decimal(value, lang);
    return String(value);
  }

  function describe(f, names, lang) {
    var template = words(lang).messages[f.code];
    if (template === undefined) return f.code;
    var values = {};
    Object.keys(f.params).forEach(function (k) { values[k] = display(k, f.params[k], names, lang); });
    return fill(template, values);
  }

  var api = { parseNumber: parseNumber, fromForm: fromForm, checkCount: checkCount, describe: describe, fieldLabel: fieldLabel };
  root.Checks = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : globalThis);
