/* The section's form as a Telegram Mini App (handlers/miniapp.py serves it).
   Every indicator on one screen; the capaian shown as the person types, with the rules and
   words of bot/procedure/capaian.py (the server sends the words; tests/test_miniapp.py runs this
   script's rules against the Python's). The server checks everything again. */
"use strict";
(function () {
  var T = JSON.parse(document.getElementById("texts").textContent);
  var R = JSON.parse(document.getElementById("rules").textContent);

  // --- the capaian, as bot/procedure/capaian.py and bot/fmt.py compute it ---------------------------
  // Numbers are BigInt in ten-thousandths (the realisation column keeps 4 decimals), so
  // the rounding is the Python's exactly, not a float's.
  var MINUS = /[\u2212\u2012\u2013\u2014\ufe63\uff0d]/g;
  var E4 = 10000n;

  function digits(whole, frac) {
    // "12", "3456789" -> 12.3457 (half up on the fifth decimal, as Decimal.quantize)
    var f = (frac + "00000").slice(0, 5);
    var n = BigInt((whole || "0") + f.slice(0, 4));
    return f[4] >= "5" ? n + 1n : n;
  }

  // A number typed the Indonesian way (fmt.parse_number_id): null when empty, undefined
  // when it is not a number the server would take.
  function parse(text) {
    var s = String(text).replace(/[\u200b-\u200f\u2060\ufeff]/g, "").replace(/\s+/g, "");
    s = s.replace(MINUS, "-");
    if (!s) return null;
    s = s.replace(/^rp\.?/i, "").replace(/%+$/, "");
    var neg = s[0] === "-";
    if (s[0] === "-" || s[0] === "+") s = s.slice(1);
    if (!s || /[^0-9.,]/.test(s) || (s.match(/,/g) || []).length > 1) return undefined;
    var cut = s.indexOf(",");
    var whole = cut < 0 ? s : s.slice(0, cut);
    var frac = cut < 0 ? "" : s.slice(cut + 1);
    if (whole.indexOf(".") >= 0) {
      if (/^[0-9]{1,3}(\.[0-9]{3})+$/.test(whole)) whole = whole.replace(/\./g, "");
      else if ((whole.match(/\./g) || []).length === 1 && !frac) {
        frac = whole.split(".")[1];
        whole = whole.split(".")[0];
      } else return undefined;
    }
    if (!(whole || frac) || !/^[0-9]+$/.test(whole + frac)) return undefined;
    if (whole.replace(/^0+/, "").length > 14) return undefined;
    var n = digits(whole, frac);
    if (n >= 10n ** 18n) return undefined;
    return neg ? -n : n;
  }

  function scaled(dec) {  // a Decimal's str() from the server ("90", "80.5", "-3")
    if (dec === null || dec === undefined) return null;
    var neg = dec[0] === "-";
    var parts = dec.replace("-", "").split(".");
    var n = digits(parts[0], parts[1] || "");
    return neg ? -n : n;
  }

  function rdiv(n, d) {  // n / d rounded half away from zero (Decimal's ROUND_HALF_UP)
    if (d < 0n) { n = -n; d = -d; }
    var neg = n < 0n;
    if (neg) n = -n;
    var q = (2n * n + d) / (2n * d);
    return neg ? -q : q;
  }

  // capaian.compute_capaian, in hundredths of a percent; null without value or target
  function capaian(r, lo, hi, polarity, method) {
    if (r === null || r === undefined || lo === null) return null;
    var t = lo;
    if (lo !== hi) {
      if (lo <= r && r <= hi) return 10000n;
      t = r > hi ? hi : lo;
    }
    if (polarity === "higher") {
      if (t === 0n) return r >= 0n ? 10000n : 0n;
      return rdiv(r * E4, t);
    }
    if (t === 0n) return r <= 0n ? 10000n : 0n;
    if (method === "inverse") {
      if (r <= 0n) return 20000n;
      var c = rdiv(t * E4, r);
      return c > 20000n ? 20000n : c;
    }
    var p = rdiv((2n * t - r) * E4, t);
    return p < 0n ? 0n : p;
  }

  function fmt(n, scale) {  // fmt.format_number_id: "1.234,5"
    var neg = n < 0n;
    if (neg) n = -n;
    var w = (n / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    var f = (n % scale).toString().padStart(String(scale).length - 1, "0").replace(/0+$/, "");
    return (neg ? "-" : "") + w + (f ? "," + f : "");
  }

  function percent(h) { return h === null ? "-" : fmt(h, 100n) + "%"; }

  function words(h) {  // capaian.target_status: plainly against the target, as the chat
    if (h === null) return "-";
    return h >= 10000n ? R.met : R.not_met;
  }

  function required(h) { return h === null || h < 10000n; }  // form.explanation_required
  function suspicious(h, r) {  // capaian.looks_suspicious
    return (h !== null && h > scaled(R.odd_above) / 100n) || (r !== null && r < 0n);
  }

  window.SheetRules = { parse: parse, scaled: scaled, capaian: capaian, percent: percent,
    words: words, required: required, suspicious: suspicious, fmt: fmt };

  // --- the page ---------------------------------------------------------------------------
  var tg = window.Telegram && window.Telegram.WebApp;
  var main = document.getElementById("main");
  var bar = document.getElementById("bar");
  var msg = document.getElementById("msg");
  var sub = new URLSearchParams(location.search).get("s");
  var form = null;
  var busy = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function stop(text) {
    main.replaceChildren(el("p", "err-text", text));
    bar.hidden = true;
  }

  function theme() {
    var p = (tg && tg.themeParams) || {};
    Object.keys(p).forEach(function (k) {
      document.documentElement.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), p[k]);
    });
  }

  function key() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, "-").replace(/\//g, "_");
  }

  function post(url, body, headers) {
    var h = Object.assign({ "Content-Type": "application/json",
      "X-Telegram-Init-Data": tg.initData }, headers || {});
    return fetch(url, { method: "POST", headers: h, body: body }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        j.status = r.status;
        return j;
      });
    });
  }

  // the same request (same key) again while the server is busy or unreachable: once
  function send(url, body, headers, tries) {
    return post(url, body, headers).then(function (j) {
      if (j.status === 202 && tries > 0) {
        return new Promise(function (ok) { setTimeout(ok, 1000); }).then(function () {
          return send(url, body, headers, tries - 1);
        });
      }
      return j;
    }, function () {
      if (tries > 0) {
        return new Promise(function (ok) { setTimeout(ok, 1500); }).then(function () {
          return send(url, body, headers, tries - 1);
        });
      }
      return { status: 0, error: T.sheet_offline };
    });
  }

  function card(ind) {
    var c = el("section", "ind" + (ind.done ? " done" : ""));
    c.dataset.id = ind.id;
    c.appendChild(el("h2", "", ind.code + " " + ind.name));
    var meta = T.sheet_target.replace("{period}", form.period).replace("{target}", ind.target)
      .replace("{unit}", ind.unit);
    if (ind.polarity === "lower") meta += " · " + T.sheet_direction_lower;
    c.appendChild(el("p", "meta", meta));
    if (ind.note) c.appendChild(el("p", "note", ind.note));
    var lab = el("label", "", T.sheet_value.replace("{unit}", ind.unit || "-"));
    var input = el("input");
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.placeholder = T.sheet_value_hint;
    input.value = ind.value;
    input.name = "v" + ind.id;
    lab.appendChild(input);
    c.appendChild(lab);
    var cap = el("p", "cap");
    c.appendChild(cap);
    var odd = el("div", "odd");
    var oddText = el("p");
    var oddLab = el("label");
    var oddBox = el("input");
    oddBox.type = "checkbox";
    oddLab.appendChild(oddBox);
    oddLab.appendChild(document.createTextNode(T.sheet_confirm_ok));
    odd.appendChild(oddText);
    odd.appendChild(oddLab);
    c.appendChild(odd);
    var exLab = el("label");
    var exText = el("span");
    var ex = el("textarea");
    ex.name = "e" + ind.id;
    ex.value = ind.explanation;
    exLab.appendChild(exText);
    exLab.appendChild(ex);
    c.appendChild(exLab);
    var add = el("button", "link", T.sheet_explain_add);
    add.type = "button";
    c.appendChild(add);
    var files = el("div", "files");
    files.appendChild(el("p", "meta", T.sheet_files));
    files.appendChild(el("ul"));
    var caption = el("input", "caption");
    caption.placeholder = T.sheet_file_caption;
    caption.name = "c" + ind.id;
    files.appendChild(caption);
    var pick = el("label", "pick", T.sheet_file_pick);
    var file = el("input");
    file.type = "file";
    file.accept = "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.csv,.txt,.zip";
    file.name = "f" + ind.id;
    pick.appendChild(file);
    files.appendChild(pick);
    c.appendChild(files);
    var wanted = false;

    function update() {
      var r = parse(input.value);
      var h = r === undefined ? null : capaian(r, scaled(ind.low), scaled(ind.high),
        ind.polarity, ind.lower_method);
      input.classList.toggle("err", r === undefined);
      if (r === undefined) cap.textContent = T.sheet_not_number;
      else if (r === null) cap.textContent = "";
      else cap.textContent = "→ capaian " + percent(h) + " — " + words(h);  // as the chat
      cap.classList.toggle("bad", r === undefined || (r !== null && required(h)));
      var isOdd = r !== null && r !== undefined && input.value !== ind.value && suspicious(h, r);
      odd.hidden = !isOdd;
      if (isOdd) {
        oddText.textContent = R.odd.replace("{value}", fmt(r, E4)).replace("{unit}", ind.unit)
          .replace("{capaian}", percent(h));
      }
      var need = r !== null && r !== undefined && required(h);
      exText.textContent = need ? T.sheet_explain_required : T.sheet_explain;
      exLab.hidden = !(need || wanted || ex.value.trim());
      add.hidden = !exLab.hidden;
      return { r: r, need: need, odd: isOdd };
    }
    input.addEventListener("input", update);
    ex.addEventListener("input", update);
    add.addEventListener("click", function () { wanted = true; update(); ex.focus(); });
    file.addEventListener("change", function () {
      if (file.files.length) upload(ind, file.files[0], caption.value, c);
      file.value = "";
    });
    c.check = function () {  // what the server would refuse in a draft: [field, why]
      var s = update();
      if (s.r === undefined) return [input, ind.code + ": " + T.sheet_not_number];
      if (s.odd && !oddBox.checked) return [oddBox, ind.code + ": " + oddText.textContent];
      var e = ex.value.trim();
      if (e && e.length < 3) return [ex, ind.code + ": " + T.sheet_explain_short];
      return null;
    };
    c.complete = function () {
      var s = update();
      return s.r !== null && s.r !== undefined && (!s.need || ex.value.trim().length >= 3) &&
        (!s.odd || oddBox.checked);
    };
    c.answer = function () {
      return { indicator: ind.id, value: input.value, explanation: ex.value,
        confirmed: oddBox.checked };
    };
    c.showFiles = function (list) {
      var ul = files.querySelector("ul");
      ul.replaceChildren();
      list.forEach(function (f) { ul.appendChild(el("li", "", f.name + (f.desc ? " — " + f.desc : ""))); });
    };
    c.showFiles(ind.files);
    update();
    return c;
  }

  function render(f) {
    form = f;
    document.getElementById("section").textContent = f.section;
    document.getElementById("period").textContent = f.period + " · " + f.deadline;
    var ret = document.getElementById("returned");
    ret.hidden = !f.note;
    ret.textContent = f.note;
    main.replaceChildren.apply(main, f.indicators.map(card));
    bar.hidden = false;
  }

  function cards() { return Array.prototype.slice.call(main.querySelectorAll(".ind")); }

  function say(text, bad) {
    msg.textContent = text || "";
    msg.classList.toggle("err-text", !!bad);
  }

  function answered(j) {
    busy = false;
    document.getElementById("simpan").disabled = false;
    document.getElementById("kirim").disabled = false;
    if (j.status === 401) return stop(j.error);
    if (j.form === null && j.closed && j.status === 200) {  // sent: nothing left to fill
      var close = el("button", "", T.sheet_close);
      close.type = "button";
      close.addEventListener("click", function () { tg.close(); });
      main.replaceChildren(el("p", "", j.message), el("p", "muted", j.closed), close);
      bar.hidden = true;
      return;
    }
    if (j.form === null && j.closed) return stop(j.closed);
    if (j.status === 409) return say(j.message, true);
    if (j.status !== 200) return say(j.error || T.sheet_offline, true);
    return j;
  }

  function save(op) {
    if (busy) return;
    var all = cards();
    for (var i = 0; i < all.length; i++) {
      var bad = all[i].check();
      if (bad) { bad[0].focus(); return say(bad[1], true); }
    }
    if (op === "submit") {
      var open = all.filter(function (c) { return !c.complete(); });
      if (open.length) {
        open[0].scrollIntoView();
        var codes = open.map(function (c) { return c.querySelector("h2").textContent.split(" ")[0]; });
        return say(T.sheet_missing.replace("{codes}", codes.join(", ")), true);
      }
    }
    busy = true;
    document.getElementById("simpan").disabled = true;
    document.getElementById("kirim").disabled = true;
    say(T.sheet_saving);
    var body = JSON.stringify({ sub: sub, op: op, key: key(),
      answers: all.map(function (c) { return c.answer(); }) });
    send("api/simpan", body, null, 3).then(function (j) {
      if (!answered(j)) return;
      render(j.form);
      say(j.message);
    });
  }

  function upload(ind, file, caption, c) {
    say(T.sheet_saving);
    send("api/bukti", file, {
      "Content-Type": file.type || "application/octet-stream",
      "X-Sub": String(sub), "X-Indicator": String(ind.id), "X-Key": key(),
      "X-Name": encodeURIComponent(file.name), "X-Caption": encodeURIComponent(caption),
    }, 3).then(function (j) {
      if (!answered(j)) return;
      // only the evidence lists: what the person typed and did not save stays
      j.form.indicators.forEach(function (i) {
        var k = main.querySelector('.ind[data-id="' + i.id + '"]');
        if (k) k.showFiles(i.files);
      });
      c.querySelector(".caption").value = "";
      say(j.message);
    });
  }

  if (!tg || !tg.initData) return stop(T.sheet_no_telegram);
  tg.ready();
  if (tg.expand) tg.expand();
  theme();
  if (tg.onEvent) tg.onEvent("themeChanged", theme);
  document.getElementById("simpan").addEventListener("click", function () { save("save"); });
  document.getElementById("kirim").addEventListener("click", function () { save("submit"); });
  post("api/buka", JSON.stringify({ sub: sub })).then(function (j) {
    if (j.status === 200) render(j.form);
    else stop(j.error || T.sheet_offline);
  }, function () { stop(T.sheet_offline); });
})();
