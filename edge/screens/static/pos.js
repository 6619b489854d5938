// The box-office POS: a clerk logs in, picks a session, clicks seats on the
// seat map, holds them (with the hold's countdown), takes cash, prints the
// tickets and can ask for a refund. Every sale goes to the cloud through
// the agent; offline, the banner says so and selling is disabled.
"use strict";
(() => {
  const { el, t, clear } = A;
  A.addWords({
    "title.pos": ["Box office", "售票窗口"], "clerk": ["Clerk", "售票员"], "username": ["Username", "用户名"], "password": ["Password", "密码"], "login": ["Log in", "登录"],
    "logout": ["Log out", "退出"], "sessions": ["Sessions", "场次"], "pick.seats": ["Click seats to select them", "点击选座"], "hold": ["Hold {0} seats", "锁定 {0} 个座位"],
    "hold.left": ["Hold expires in", "锁座剩余"], "pay.cash": ["Take cash {0}", "现金收款 {0}"], "release": ["Release", "释放"], "paid": ["Paid: order {0}, pickup code {1}", "已付款：订单 {0}，取票码 {1}"],
    "print": ["Print tickets", "打印票"], "printed": ["Printed {0} tickets", "已打印 {0} 张"], "refund": ["Request refund", "申请退票"],
    "refund.sent": ["Refund requested: a manager must approve it", "已提交退票申请，需经理审批"], "new.sale": ["New sale", "新的销售"],
    "offline.sales": ["offline: sales disabled", "离线：暂停售票"], "expired": ["The hold expired: select the seats again", "锁座已过期，请重新选座"],
    "back": ["Back", "返回"], "seat.map": ["Seat map", "座位图"],
    "taken.meanwhile": ["{0} of the seats you chose were just taken at another till", "您选的座位中有 {0} 个刚被其他窗口售出"],
    "holders": ["Real-name event: each seat's holder and document", "实名制场次：请登记每个座位的持票人及证件"], "holder.name": ["Name", "姓名"], "seat": ["Seat", "座位"],
    "doc.number": ["Document number", "证件号码"], "doc.resident_id": ["Resident ID", "居民身份证"], "doc.hk_macau_permit": ["HK/Macau permit", "港澳通行证"],
    "doc.taiwan_permit": ["Taiwan permit", "台湾通行证"], "doc.passport": ["Passport", "护照"],
    "pickup": ["Pickup by ID", "凭证件取票"], "pickup.help": ["Check the buyer's ID, then type its number: their orders at this venue show", "核验购票人证件后输入证件号码，显示其在本场馆的订单"],
    "find": ["Find", "查找"], "pickup.none": ["No order at this venue names this document", "本场馆没有登记此证件的订单"],
    "order.of": ["Order {0} · {1} tickets", "订单 {0} · {1} 张票"], "order.unpaid": ["Not paid: nothing to print", "未付款，无票可打"], "print.order": ["Print {0} tickets", "打印 {0} 张票"], "all.printed": ["All printed", "已全部打印"],
    "ticket.printed": ["printed", "已打印"], "ticket.refunded": ["refunded", "已退票"],
    "passes": ["Passes", "通票"], "pass.sessions": ["{0} sessions", "{0} 个场次"], "pass.seat": ["Pick the seat kept in every session (free in all of them)", "选择各场次通用的座位（须在所有场次均空闲）"],
    "pass.level": ["Level", "票档"], "pass.sold": ["Pass {0} sold: one code for all its sessions", "通票 {0} 已售出：一个二维码通行所有场次"], "pass.print": ["Print the pass", "打印通票"],
    "pass.printed": ["The pass is printed", "通票已打印"], "pass.holder": ["Real-name pass: its holder's document, on every session's ticket", "实名通票：持票人证件（适用于所有场次）"], "pass.none": ["No pass on sale.", "暂无在售通票。"], "stock": ["stock {0}", "限量 {0}"],
  });
  let token = sessionStorage.getItem("admit.pos.token") || "";
  let view = token ? "sessions" : "login";
  let session = null, seats = [], avail = [], selected = new Set(), hold = null, order = null, timer = null;
  // The seat view follows the session's map live through the agent; live
  // is its AbortController, holding is true while a hold is being made.
  let live = null, holding = false;
  const stopFollowing = () => { if (live) { live.abort(); live = null; } };
  const main = () => document.getElementById("main");
  const msg = el("div", { "data-test": "pos-msg" });
  const online = () => (D.status() || {}).connected;
  const sell = (method, path, body) => A.call(method, "/sell" + path, body, token);
  const fail = (err) => clear(msg, el("div", { class: "error", "data-test": "pos-error" }, err.code === "offline" ? t("offline.sales") : err.message,
    err.fields && err.fields.length ? el("ul", {}, err.fields.map((f) => el("li", {}, seatOf(f.field), f.message))) : ""));
  // seatOf names the seat a holder's error is about ("holders[1].…").
  const seatOf = (field) => {
    const m = /^holders\[(\d+)\]/.exec(field || "");
    const seat = m && hold && hold.seats && hold.seats[Number(m[1])];
    return seat ? seat.label + ": " : "";
  };
  // A real-name session's holder form: one row per held seat, kept while
  // the map repaints so that what the clerk typed stays.
  let holderForm = null;
  function makeHolderForm(h) {
    if (!session.real_name) return null;
    const rows = (h.seats || []).map((s) => {
      const type = el("select", { "data-holder-type": s.label }, ["resident_id", "hk_macau_permit", "taiwan_permit", "passport"].map((d) => el("option", { value: d }, t("doc." + d))));
      const number = el("input", { "data-holder-number": s.label, autocomplete: "off", size: 20 });
      const name = el("input", { "data-holder-name": s.label, autocomplete: "off", size: 10 });
      const row = el("tr", {}, el("td", {}, s.label), el("td", {}, type), el("td", {}, number), el("td", {}, name));
      row.holder = () => ({ seat_id: s.seat_id, doc_type: type.value, doc_number: number.value.trim(), name: name.value.trim() });
      return row;
    });
    const form = el("div", { class: "card", "data-test": "holders" }, el("p", {}, t("holders")),
      el("table", {}, el("thead", {}, el("tr", {}, [t("seat"), "", t("doc.number"), t("holder.name")].map((x) => el("th", {}, x)))), el("tbody", {}, rows)));
    form.holders = () => rows.map((r) => r.holder());
    return form;
  }
  // A sell button works only online, and only when its own condition
  // (seats selected, say) holds.
  const sellButtons = [];
  const sellButton = (attrs, label, ready) => {
    const b = el("button", attrs, label);
    b.ready = ready || (() => true);
    b.disabled = !online() || !b.ready();
    sellButtons.push(b);
    return b;
  };
  D.onStatus((s) => sellButtons.forEach((b) => { b.disabled = !s.connected || !b.ready(); }));

  function draw() {
    sellButtons.length = 0;
    stopFollowing();
    if (timer) { clearInterval(timer); timer = null; }
    ({ login: drawLogin, sessions: drawSessions, seats: drawSeats, paid: drawPaid, pickup: drawPickup, passes: drawPasses, pass: drawPass, passPaid: drawPassPaid })[view]();
  }
  A.whenLang(draw);

  function drawLogin() {
    const u = el("input", { "data-test": "pos-username", autocomplete: "username" }), p = el("input", { type: "password", "data-test": "pos-password" });
    clear(main(), el("form", { class: "card", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await sell("POST", "/login", { username: u.value, password: p.value });
        token = r.token; sessionStorage.setItem("admit.pos.token", token); view = "sessions"; clear(msg); draw();
      } catch (err) { fail(err); }
    } }, el("h1", {}, t("clerk")), el("label", {}, t("username"), u), el("label", {}, t("password"), p), msg,
      sellButton({ type: "submit", class: "big", "data-test": "pos-login" }, t("login"))));
  }

  async function drawSessions() {
    const list = el("div", { class: "sessions" });
    clear(main(), el("div", { class: "row" }, el("h1", { class: "grow" }, t("sessions")),
      sellButton({ type: "button", class: "secondary", "data-test": "pos-passes", onclick: () => { view = "passes"; clear(msg); draw(); } }, t("passes")),
      sellButton({ type: "button", class: "secondary", "data-test": "pos-pickup", onclick: () => { view = "pickup"; clear(msg); draw(); } }, t("pickup")),
      el("button", { type: "button", class: "secondary", onclick: () => { token = ""; sessionStorage.removeItem("admit.pos.token"); view = "login"; draw(); } }, t("logout"))), msg, list);
    const ss = (await A.call("GET", "/sessions")) || [];
    ss.sort((a, b) => new Date(a.starts_at) - new Date(b.starts_at));
    clear(list, ss.filter((s) => s.status !== "cancelled").map((s) => el("button", { type: "button", "data-session": s.id, onclick: () => { session = s; selected.clear(); hold = null; view = "seats"; draw(); } },
      el("strong", {}, s.event), " · ", s.hall, " · ", A.time(s.starts_at), s.seat_map ? el("span", { class: "muted" }, ` · ${s.seat_map.available}/${s.seat_map.total}`) : null)));
  }

  async function loadSeats() {
    seats = await sell("GET", `/sessions/${session.id}/seats`);
  }

  async function drawSeats() {
    const grid = el("div", { class: "seatmap", "data-test": "pos-seatmap" });
    const actions = el("div", { class: "row" });
    clear(main(), el("div", { class: "row" }, el("button", { type: "button", class: "secondary", onclick: async () => { if (hold) await release(); view = "sessions"; draw(); } }, t("back")),
      el("h1", { class: "grow" }, `${session.event} · ${A.time(session.starts_at)}`)), el("p", { class: "muted" }, t("pick.seats")), grid, actions, msg);
    try { await loadSeats(); } catch (err) { fail(err); return; }
    if (view !== "seats") return; // left while the seats were loading
    avail = [];
    const paint = () => {
      if (!avail.length) return; // until the map is in
      const maxCol = Math.max(1, ...seats.map((s) => s.col));
      const rows = [...new Set(seats.map((s) => s.section + "/" + s.row_no))];
      grid.style.gridTemplateColumns = `repeat(${maxCol}, 30px)`;
      grid.replaceChildren(...seats.map((s, i) => {
        const c = avail[i];
        const mine = selected.has(s.seat_id);
        const cls = mine ? "mine" : c === "A" ? "" : c === "S" ? "taken" : c === "H" ? "held" : "out";
        const b = el("button", { type: "button", class: "seat " + cls, title: s.label, "data-label": s.label, disabled: (!mine && c !== "A") || (!!hold && !mine),
          onclick: () => { mine ? selected.delete(s.seat_id) : selected.add(s.seat_id); paint(); } }, String(s.col));
        b.style.gridColumn = String(s.col);
        b.style.gridRow = String(rows.indexOf(s.section + "/" + s.row_no) + 1);
        return b;
      }));
      sellButtons.length = 0;
      if (!hold) {
        clear(actions, sellButton({ type: "button", class: "big", "data-test": "hold", onclick: doHold }, t("hold", selected.size), () => selected.size > 0));
      } else {
        const left = el("span", { class: "countdown", "data-test": "countdown" });
        const tick = () => {
          const ms = new Date(hold.expires_at) - Date.now();
          if (ms <= 0) { clearInterval(timer); hold = null; selected.clear(); clear(msg, el("p", { class: "error" }, t("expired"))); paint(); return; }
          left.textContent = `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, "0")}`;
        };
        tick();
        if (timer) clearInterval(timer);
        timer = setInterval(tick, 500);
        const total = hold.seats ? hold.seats.reduce((n, s) => n + (s.price_cents || 0), 0) : 0;
        clear(actions, holderForm || "", el("span", {}, t("hold.left") + " "), left, el("span", { class: "grow" }),
          sellButton({ type: "button", class: "big", "data-test": "pay-cash", onclick: doPay }, t("pay.cash", total ? A.money(total) : "")),
          el("button", { type: "button", class: "big secondary", onclick: async () => { await release(); paint(); } }, t("release")));
      }
    };
    const doHold = async () => {
      holding = true;
      try { hold = await sell("POST", "/holds", { session_id: session.id, channel: "pos", seat_ids: [...selected] }); holderForm = makeHolderForm(hold); clear(msg); paint(); }
      catch (err) { fail(err); selected.clear(); paint(); }
      finally { holding = false; }
    };
    const doPay = async () => {
      try {
        // One request: the order is created paid with its tickets, or not at all.
        const req = { hold_id: hold.id, payment: { method: "cash" } };
        if (holderForm) req.holders = holderForm.holders();
        order = await sell("POST", "/orders", req);
        hold = null; holderForm = null; selected.clear(); view = "paid"; clear(msg); draw();
      } catch (err) { fail(err); }
    };
    // Follow the map: every sale and release at any till shows at once; a
    // seat the clerk chose that someone else takes leaves the selection.
    const ctl = new AbortController();
    live = ctl;
    A.followSeatMap(`/sell/sessions/${session.id}/availability/stream`, token, ctl.signal, (codes) => {
      avail = codes;
      if (!hold && !holding) {
        let lost = 0;
        seats.forEach((s, i) => { if (selected.has(s.seat_id) && codes[i] !== "A") { selected.delete(s.seat_id); lost++; } });
        if (lost) clear(msg, el("p", { class: "error", "data-test": "seat-taken" }, t("taken.meanwhile", lost)));
      }
      paint();
    });
  }

  async function release() {
    if (!hold) return;
    try { await sell("DELETE", `/holds/${hold.id}`); } catch { /* it expires anyway */ }
    hold = null; holderForm = null; selected.clear();
  }

  // A booth's pickup of a reserved order (§6.3.1): the clerk checks the
  // buyer's ID, types its number, and prints the tickets of the orders that
  // name it. The document goes to the cloud to be matched and is not kept.
  function drawPickup() {
    const type = el("select", { "data-test": "pickup-doc-type" }, ["resident_id", "hk_macau_permit", "taiwan_permit", "passport"].map((d) => el("option", { value: d }, t("doc." + d))));
    const number = el("input", { "data-test": "pickup-doc-number", autocomplete: "off", size: 20 });
    const found = el("div", { "data-test": "pickup-orders" });
    const find = async (e) => {
      e.preventDefault();
      clear(msg); clear(found);
      let orders;
      try { orders = await sell("POST", "/orders/by-holder", { doc_type: type.value, doc_number: number.value.trim() }); } catch (err) { fail(err); return; }
      // The number leaves the screen once looked up: the next buyer does not see it.
      number.value = "";
      if (!orders.length) { clear(found, el("p", { class: "muted", "data-test": "pickup-none" }, t("pickup.none"))); return; }
      clear(found, orders.map(pickupOrder));
    };
    clear(main(), el("div", { class: "row" }, el("button", { type: "button", class: "secondary", onclick: () => { view = "sessions"; clear(msg); draw(); } }, t("back")),
      el("h1", { class: "grow" }, t("pickup"))),
    el("form", { class: "card", onsubmit: find }, el("p", { class: "muted" }, t("pickup.help")), el("div", { class: "row" }, type, number,
      sellButton({ type: "submit", class: "big", "data-test": "pickup-find" }, t("find")))), msg, found);
    number.focus();
  }

  // pickupOrder is one found order: its tickets, and a button printing
  // those not yet printed on this POS's printer.
  function pickupOrder(o) {
    const state = (tk) => tk.status === "refunded" ? t("ticket.refunded") : tk.printed_at ? t("ticket.printed") : "";
    o.tickets = o.tickets || [];
    const items = o.tickets.map((tk) => el("li", { "data-ticket": tk.number }, `${tk.seat_label} · ${tk.number} `, el("span", { class: "muted", "data-state": tk.number }, state(tk))));
    const todo = () => o.tickets.filter((tk) => tk.status !== "refunded" && !tk.printed_at);
    const out = el("div");
    const button = el("button", { type: "button", class: "big", "data-test": "pickup-print", disabled: !todo().length, onclick: async () => {
      let n = 0;
      for (const tk of todo()) {
        try { await A.call("POST", "/print", { number: tk.number }); } catch (err) { fail(err); break; }
        tk.printed_at = new Date().toISOString(); n++;
        const s = items.find((li) => li.dataset.ticket === tk.number).querySelector("[data-state]");
        s.textContent = t("ticket.printed");
      }
      clear(out, el("p", { class: "okmsg", "data-test": "pickup-printed" }, t("printed", n)));
      button.disabled = !todo().length;
      button.textContent = todo().length ? t("print.order", todo().length) : t("all.printed");
    } }, todo().length ? t("print.order", todo().length) : t("all.printed"));
    return el("div", { class: "card", "data-order": o.id }, el("h2", {}, t("order.of", o.id, (o.tickets || []).length)),
      o.status === "pending_payment" ? el("p", { class: "error" }, t("order.unpaid")) : "",
      el("ul", { class: "tickets" }, items), el("div", { class: "row" }, button), out);
  }

  // Passes (通票): one sale for several sessions, one code. A seated pass
  // keeps one seat in all its sessions, so only a seat free in every one
  // of them can be picked; the sale is all its sessions or none.
  let product = null, sold = null;
  const back = (to) => el("button", { type: "button", class: "secondary", onclick: () => { view = to; clear(msg); draw(); } }, t("back"));
  const passPrice = (pr) => pr.price_cents ? A.money(pr.price_cents) : Object.entries(pr.tier_prices || {}).map(([k, v]) => k + " " + A.money(v)).join(" · ");

  async function drawPasses() {
    const list = el("div", { class: "sessions" });
    clear(main(), el("div", { class: "row" }, back("sessions"), el("h1", { class: "grow" }, t("passes"))), msg, list);
    let ps;
    try { ps = await sell("GET", "/passes/products"); } catch (err) { fail(err); return; }
    clear(list, ps.length ? ps.map((pr) => el("button", { type: "button", "data-pass": pr.id, onclick: () => { product = pr; view = "pass"; clear(msg); draw(); } },
      el("strong", {}, pr.name), " · ", t("pass.sessions", pr.session_ids.length), " · ", passPrice(pr), pr.stock ? el("span", { class: "muted" }, " · ", t("stock", pr.stock)) : null))
      : el("p", { class: "muted" }, t("pass.none")));
  }

  async function drawPass() {
    const pr = product;
    const grid = el("div", { class: "seatmap", "data-test": "pass-seatmap" }), actions = el("div", { class: "row" });
    clear(main(), el("div", { class: "row" }, back("passes"), el("h1", { class: "grow" }, pr.name, " · ", passPrice(pr))), grid, actions, msg);
    let seatID = 0, tier = "";
    // A pass of a real-name event is one person's: their document goes on
    // every session's ticket.
    const holder = el("div", { class: "card", "data-test": "pass-holder", hidden: true });
    const docType = el("select", { "data-test": "pass-doc-type" }, ["resident_id", "hk_macau_permit", "taiwan_permit", "passport"].map((d) => el("option", { value: d }, t("doc." + d))));
    const docNumber = el("input", { "data-test": "pass-doc-number", autocomplete: "off", size: 20 }), holderName = el("input", { "data-test": "pass-holder-name", autocomplete: "off", size: 10 });
    holder.append(el("p", {}, t("pass.holder")), el("div", { class: "row" }, docType, el("label", {}, t("doc.number"), docNumber), el("label", {}, t("holder.name"), holderName)));
    const local = (await A.call("GET", "/sessions").catch(() => [])) || [];
    if (local.some((ss) => ss.real_name && pr.session_ids.includes(ss.id))) holder.hidden = false;
    main().insertBefore(holder, msg);
    const buy = sellButton({ type: "button", class: "big", "data-test": "pass-pay-cash", onclick: async () => {
      try {
        const req = { payment: { method: "cash" } };
        if (seatID) req.seat_id = seatID;
        if (tier) req.tier = tier;
        if (!holder.hidden) req.holder = { doc_type: docType.value, doc_number: docNumber.value.trim(), name: holderName.value.trim() };
        sold = await sell("POST", `/passes/products/${pr.id}/sell`, req);
        view = "passPaid"; clear(msg); draw();
      } catch (err) {
        fail(err);
        if (err.code === "holder_required") holder.hidden = false;
        if (pr.seated) await paintSeats(true);
      }
    } }, t("pay.cash", pr.price_cents ? A.money(pr.price_cents) : ""), () => !pr.seated || seatID > 0);
    const ready = () => { buy.disabled = !online() || !buy.ready(); };
    if (!pr.seated) {
      const levels = Object.keys(pr.tier_prices || {});
      if (levels.length) {
        const sel = el("select", { "data-test": "pass-level", onchange: () => { tier = sel.value; } }, levels.map((l) => el("option", { value: l }, l + " · " + A.money(pr.tier_prices[l]))));
        tier = levels[0];
        actions.append(el("label", {}, t("pass.level"), sel));
      }
      actions.append(buy);
      return;
    }
    actions.append(el("span", { class: "muted grow" }, t("pass.seat")), buy);
    // A seat is free for the pass when it is free in every session.
    let seats = null, maps = null;
    const paintSeats = async (refresh) => {
      if (refresh || !seats) try {
        const first = await sell("GET", `/sessions/${pr.session_ids[0]}/seats`);
        maps = await Promise.all(pr.session_ids.map(async (id) => {
          const [ss, av] = await Promise.all([sell("GET", `/sessions/${id}/seats`), sell("GET", `/sessions/${id}/availability`)]);
          return new Map(ss.map((s, i) => [s.seat_id, av.seats[i]]));
        }));
        seats = first;
      } catch (err) { fail(err); return; }
      const maxCol = Math.max(1, ...seats.map((s) => s.col));
      const rows = [...new Set(seats.map((s) => s.section + "/" + s.row_no))];
      grid.style.gridTemplateColumns = `repeat(${maxCol}, 30px)`;
      grid.replaceChildren(...seats.map((s) => {
        const free = maps.every((m) => m.get(s.seat_id) === "A");
        if (!free && seatID === s.seat_id) seatID = 0;
        const b = el("button", { type: "button", class: "seat " + (seatID === s.seat_id ? "mine" : free ? "" : "taken"), title: s.label, "data-label": s.label, disabled: !free,
          onclick: () => { seatID = seatID === s.seat_id ? 0 : s.seat_id; paintSeats(); } }, String(s.col));
        b.style.gridColumn = String(s.col);
        b.style.gridRow = String(rows.indexOf(s.section + "/" + s.row_no) + 1);
        return b;
      }));
      ready();
    };
    await paintSeats();
  }

  function drawPassPaid() {
    const out = el("div");
    const tickets = (sold.orders || []).flatMap((o) => o.tickets || []);
    clear(main(), el("div", { class: "card" }, el("h1", { "data-test": "pass-sold" }, t("pass.sold", sold.id)),
      el("ul", { class: "tickets" }, tickets.map((tk) => el("li", { "data-ticket": tk.number }, `#${tk.session_id} · ${tk.seat_label} · ${tk.number}`))),
      el("div", { class: "row" }, el("button", { type: "button", class: "big", "data-test": "pass-print", onclick: async () => {
        try { await A.call("POST", "/print-pass", { code: sold.code }); clear(out, el("p", { class: "okmsg", "data-test": "pass-printed" }, t("pass.printed"))); }
        catch (err) { fail(err); }
      } }, t("pass.print")), el("button", { type: "button", class: "big secondary", "data-test": "pass-new", onclick: () => { sold = null; view = "passes"; clear(msg); draw(); } }, t("new.sale"))),
      out, msg));
  }

  function drawPaid() {
    const printed = el("div");
    clear(main(), el("div", { class: "card" }, el("h1", { "data-test": "paid" }, t("paid", order.id, order.pickup_code)),
      el("ul", { class: "tickets" }, order.tickets.map((tk) => el("li", { "data-ticket": tk.number }, `${tk.seat_label} · ${tk.number} · ${A.money(tk.price_cents)}`))),
      el("div", { class: "row" }, el("button", { type: "button", class: "big", "data-test": "pos-print", onclick: async () => {
        let n = 0;
        for (const tk of order.tickets) {
          try { await A.call("POST", "/print", { number: tk.number }); n++; } catch (err) { fail(err); break; }
        }
        clear(printed, el("p", { class: "okmsg" }, t("printed", n)));
      } }, t("print")), sellButton({ type: "button", class: "big secondary", "data-test": "pos-refund", onclick: async () => {
        try { await sell("POST", "/refunds", { order_id: order.id, reason: "customer request at the box office" }); clear(msg, el("p", { class: "okmsg" }, t("refund.sent"))); }
        catch (err) { fail(err); }
      } }, t("refund")), el("button", { type: "button", class: "big secondary", "data-test": "new-sale", onclick: () => { order = null; view = "seats"; draw(); } }, t("new.sale"))), printed, msg));
  }

  draw();
  D.start("pos", "title.pos");
})();
