// Admit web UI, shared by the portal and the device screens: DOM building,
// Chinese and English words, JSON calls, masking of personal data.
// Loaded as a plain script; everything hangs off window.A.
"use strict";
window.A = (() => {
  const words = {};
  let lang = localStorage.getItem("admit.lang") || ((navigator.language || "").startsWith("zh") ? "zh" : "en");
  const onLang = [];

  // addWords registers words: {key: ["English", "中文"]}.
  function addWords(d) { Object.assign(words, d); }
  // t returns the word for key in the current language, with {0}, {1}… filled.
  function t(key, ...args) {
    const w = words[key];
    let s = w ? (lang === "zh" ? w[1] : w[0]) : key;
    args.forEach((a, i) => { s = s.split("{" + i + "}").join(String(a)); });
    return s;
  }
  function getLang() { return lang; }
  function setLang(l) {
    lang = l;
    localStorage.setItem("admit.lang", l);
    document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
    onLang.forEach((f) => f());
  }
  function whenLang(f) { onLang.push(f); }

  // el builds an element: el("div", {class: "x", onclick: f}, child, "text"…).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k in e && typeof v !== "string") e[k] = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function clear(e, ...children) { e.replaceChildren(); children.flat().forEach((c) => c && e.append(c)); return e; }

  // ApiError is a non-2xx answer in the API's error shape.
  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || "HTTP " + status);
      this.status = status;
      this.code = e.code || "http_" + status;
      this.fields = e.fields || [];
      this.seats = e.seats || [];
      this.problem = e.problem || "";
    }
  }
  // call sends a JSON request and returns the decoded answer (null for 204).
  async function call(method, url, body, token, contentType) {
    const h = {};
    if (token) h.Authorization = "Bearer " + token;
    let payload;
    if (body !== undefined && body !== null) {
      if (typeof body === "string") { payload = body; h["Content-Type"] = contentType || "text/plain"; }
      else { payload = JSON.stringify(body); h["Content-Type"] = "application/json"; }
    }
    let r;
    try {
      r = await fetch(url, { method, headers: h, body: payload });
    } catch (err) {
      throw new ApiError(0, { error: { code: "network", message: t("net.down") } });
    }
    const text = await r.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = text; } }
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  }

  // Personal data is masked on screen: 张三丰 → 张**, 13812345678 → 138****5678.
  function maskName(s) {
    if (!s) return "";
    const c = Array.from(s);
    return c[0] + "*".repeat(Math.max(1, c.length - 1));
  }
  function maskPhone(s) {
    if (!s) return "";
    return s.length <= 7 ? s.slice(0, 2) + "***" : s.slice(0, 3) + "****" + s.slice(-4);
  }
  function money(cents) { return (cents / 100).toFixed(2); }
  function time(s) {
    const d = new Date(s);
    return isNaN(d) ? "" : d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function clock(s) {
    const d = new Date(s);
    return isNaN(d) ? "" : d.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
  }

  // langToggle is the 中文 / EN switch.
  function langToggle() {
    const b = el("button", { class: "lang", type: "button", "data-test": "lang", onclick: () => setLang(lang === "zh" ? "en" : "zh") });
    const label = () => { b.textContent = lang === "zh" ? "EN" : "中文"; };
    label();
    whenLang(label);
    return b;
  }

  // follow reads server-sent events from url() with the token in a header
  // (EventSource cannot send one) and calls onEvent(name, data) for each.
  // After a drop (or an onEvent that throws) it asks url() again, so a
  // follower resumes from what it has, and goes on until signal aborts or
  // the server answers 401, 403 or 404. onDrop(err) hears of each drop.
  async function follow(url, token, signal, onEvent, onDrop) {
    while (!signal.aborted) {
      let err = null;
      try {
        const r = await fetch(url(), { headers: { Authorization: "Bearer " + token }, signal });
        if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const lines = buf.slice(0, i).split("\n");
            buf = buf.slice(i + 2);
            const name = (lines.find((l) => l.startsWith("event: ")) || "event: message").slice(7);
            const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
            if (data) onEvent(name, JSON.parse(data));
          }
        }
      } catch (e) { err = e; }
      if (signal.aborted) return;
      if (onDrop) onDrop(err);
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) return;
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  // followSeatMap keeps a session's seat map current from its stream at
  // base (…/availability/stream): the whole map first, then each delta;
  // after a drop it resumes with ?since= the version it has. onMap(codes,
  // changes) gets the codes (one per seat, in seat order) and the changes
  // just applied ([position, code], or null for a whole map).
  function followSeatMap(base, token, signal, onMap, onDrop) {
    let codes = null, version = 0;
    return follow(() => base + (codes ? "?since=" + version : ""), token, signal, (name, d) => {
      if (typeof d.seats === "string") {
        codes = d.seats.split(""); version = d.version; onMap(codes, null);
        return;
      }
      if (!codes || d.since !== version) { codes = null; throw new Error("seat map out of step"); }
      for (const [i, c] of d.changes || []) codes[i] = c;
      version = d.version; onMap(codes, d.changes || []);
    }, onDrop);
  }

  addWords({
    "net.down": ["Cannot reach the server", "无法连接服务器"],
  });
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  return { addWords, t, getLang, setLang, whenLang, el, clear, call, ApiError, maskName, maskPhone, money, time, clock, langToggle, follow, followSeatMap };
})();
