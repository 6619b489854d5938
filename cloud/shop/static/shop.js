// The public shop. Every figure comes from the API's public routes; a
// presale's page shows its process and its draw, with the files anyone
// re-runs it from (admit lottery verify).
"use strict";
(() => {
  const { el, clear, t, call } = A;
  A.addWords({
    "shop": ["Admit tickets", "Admit 票务"], "ps.title": ["Presale by lottery", "预售抽签"],
    "ps.step.open": ["Applications open", "接受申请"], "ps.step.locked": ["List locked and published", "名单锁定并公示"],
    "ps.step.drawn": ["Drawn; seed published", "抽签完成，种子公开"], "ps.step.settled": ["Winners charged, the rest released", "中签扣款，未中签撤销预授权"],
    "ps.tickets": ["Tickets on offer", "预售票数"], "ps.per": ["Per person", "每人限购"], "ps.price": ["Price", "票价"],
    "ps.opens": ["Opens", "开始"], "ps.closes": ["Closes", "截止"], "ps.commit": ["Commitment to the seed, published at creation", "种子承诺（创建时公布）"],
    "ps.list": ["Hash of the locked list", "锁定名单哈希"], "ps.seed": ["Seed, published after the draw", "随机种子（抽签后公布）"],
    "ps.apps": ["Applications in the draw", "参与抽签申请"], "ps.requested": ["Tickets asked for", "申请票数"], "ps.awarded": ["Tickets won", "中签票数"],
    "ps.winners": ["Winners in draw order", "中签名单（按抽签顺序）"], "ps.rank": ["Order", "顺序"], "ps.ref": ["Application", "申请号"], "ps.qty": ["Tickets", "张数"],
    "ps.files": ["Check the draw yourself", "自行验证抽签"], "ps.verify": ["Re-run it with:", "使用以下命令复核："],
    "ps.mine": ["My application number", "我的申请号"], "ps.check": ["Check", "查询"], "ps.won": ["Won: {0} tickets, order {1} in the draw", "中签：{0} 张，抽签顺序第 {1}"],
    "ps.lost": ["Not drawn", "未中签"], "ps.apply": ["Apply", "申请"],
    "ps.applied": ["Applied: application {0}. The results come by text message.", "申请成功：申请号 {0}。结果将以短信通知。"], "ps.notyet": ["Not drawn yet", "尚未抽签"], "not.found": ["Not found", "未找到"],
    "acc": ["My account", "我的账户"], "acc.phone": ["Phone", "手机号"], "acc.send": ["Send code", "获取验证码"], "acc.code": ["Code", "验证码"],
    "acc.password": ["Password", "密码"], "acc.register": ["Register", "注册"], "acc.login": ["Log in", "登录"], "acc.logout": ["Log out", "退出"],
    "acc.sent": ["A code was sent by text message.", "验证码已通过短信发送。"], "acc.new": ["New here? Register with your phone.", "新用户？用手机号注册。"],
    "acc.identity": ["My identity", "实名认证"], "acc.holders": ["People who may hold my tickets", "关联订票人"], "acc.doc": ["Document", "证件类型"],
    "acc.number": ["Number", "证件号码"], "acc.name": ["Name on it", "证件姓名"], "acc.verify": ["Verify", "认证"], "acc.add": ["Add", "添加"],
    "acc.remove": ["Remove", "移除"], "acc.inbox": ["Messages", "站内消息"], "acc.noinbox": ["No messages yet.", "暂无消息。"], "st.verified": ["verified", "已认证"], "st.review": ["waiting for review", "人工审核中"], "st.rejected": ["rejected", "未通过"],
    "doc.resident_id": ["Resident ID", "居民身份证"], "doc.hk_macau_permit": ["HK/Macau permit", "港澳通行证"], "doc.taiwan_permit": ["Taiwan permit", "台湾通行证"], "doc.passport": ["Passport", "护照"],
    "buy": ["Buy", "购买"], "buy.count": ["Tickets", "张数"], "buy.who": ["Who holds each ticket", "持票人"], "buy.card": ["Card", "银行卡"],
    "buy.login": ["Log in to buy", "登录后购买"], "buy.verify": ["Verify your identity first (My account)", "请先完成实名认证（我的账户）"],
    "card.ok": ["Test card (approved)", "测试卡（通过）"], "card.declined": ["Test card (declined)", "测试卡（拒付）"],
    "orders": ["My orders", "我的订单"], "ord.none": ["No orders yet.", "暂无订单。"], "ord.pickup": ["Pickup code (kiosk)", "取票码（自助机）"],
    "ord.pay": ["Pay", "支付"], "ord.paid": ["paid", "已支付"], "ord.pending_payment": ["awaiting payment", "待支付"],
    "ord.refunded": ["refunded", "已退款"], "ord.partially_refunded": ["partly refunded", "部分退款"], "ord.expired": ["expired", "已过期"],
    "home": ["Open a shop or a presale from the link you were given.", "请通过收到的链接打开商店或预售页面。"],
    "ev.none": ["Nothing on sale right now.", "暂无在售场次。"], "ev.from": ["from {0}", "{0} 起"], "ev.left": ["{0} seats left", "余 {0} 张"],
    "ev.sessions": ["{0} sessions", "{0} 场"], "ev.realname": ["Real-name: one ID per ticket", "实名制：一证一票"],
    "ev.limit": ["At most {0} tickets per person", "每人限购 {0} 张"], "ev.soldout": ["Sold out", "售罄"], "ev.back": ["All events", "全部节目"],
    "map.choose": ["Choose seats on the map", "在座位图上选座"], "map.stage": ["Stage / field", "舞台 / 赛场"],
    "map.picked": ["Chosen: {0}", "已选：{0}"], "map.none": ["Tap free seats to choose them.", "点击可售座位进行选择。"],
    "map.max": ["At most {0} seats", "最多 {0} 个座位"], "map.buy": ["Buy the chosen seats", "购买所选座位"], "map.total": ["Total {0}", "合计 {0}"],
    "map.who": ["Who holds each ticket (in seat order)", "持票人（按座位顺序）"],
    "sale.from": ["On sale from {0}", "{0} 开售"], "sale.alert": ["Text me when it opens", "开售时短信提醒我"],
    "sale.alerted": ["We will text you when it opens.", "开售时将短信通知您。"],
    "ch.title": ["Choose your seats", "选择座位"], "ch.pick": ["Pick {0} seats by {1}; after that we assign them.", "请在 {1} 前选择 {0} 个座位，逾期系统自动分配。"],
    "ch.closed": ["The seat choice is closed: your seats are assigned.", "选座已结束：座位由系统分配。"], "ch.confirm": ["Take these seats", "确认选座"],
    "ch.done": ["Your seats: {0}. Pickup code {1}.", "您的座位：{0}。取票码 {1}。"],
    "ref.ask": ["Refund…", "申请退票…"], "ref.quote": ["Refund {0} of {1}: the fee is {2}% ({3}), at this rate until {4}.", "退款 {0}（票款 {1}）：手续费 {2}%（{3}），此费率截至 {4}。"],
    "ref.reason": ["Reason (optional)", "原因（选填）"], "ref.confirm": ["Confirm the refund", "确认退票"],
    "ref.done": ["Refund asked for: {0} comes back once the organiser approves it.", "退票申请已提交：主办方审核通过后退回 {0}。"],
  });
  const main = () => document.getElementById("main");
  const api = (path) => call("GET", "/api/v1" + path);

  function header() {
    const [name, tenant] = location.hash.slice(2).split("/");
    clear(document.getElementById("top"), el("span", { class: "brand" }, t("shop")),
      name === "t" && tenant ? el("a", { href: `#/t/${tenant}/orders`, class: "acct", "data-test": "nav-orders" }, t("orders")) : "",
      name === "t" && tenant ? el("a", { href: `#/t/${tenant}/account`, class: "acct", "data-test": "nav-account" }, t("acc")) : "", A.langToggle());
  }

  async function route() {
    header();
    const [name, id, sub, subID, extra] = location.hash.slice(2).split("/");
    const target = clear(main(), el("p", { class: "muted" }, "…"));
    try {
      if (name === "presale" && id && sub === "choose" && subID && extra) await choosePage(target, id, subID, extra);
      else if (name === "presale" && id) await presalePage(target, id);
      else if (name === "t" && id && sub === "event" && subID) await eventPage(target, id, subID);
      else if (name === "t" && id && sub === "account") await accountPage(target, id);
      else if (name === "t" && id && sub === "orders") await ordersPage(target, id);
      else if (name === "t" && id && sub === "presale" && subID) await presalePage(target, subID, id);
      else if (name === "t" && id) await homePage(target, id);
      else clear(target, el("p", { class: "muted" }, t("home")));
    } catch (err) {
      clear(target, el("p", { class: "error", "data-test": "error" }, err.code === "not_found" ? t("not.found") : err.message));
    }
  }
  A.whenLang(route);
  window.addEventListener("hashchange", route);

  const price = (cents) => "¥" + A.money(cents);

  // A shop's front: its events on sale, soonest first.
  async function homePage(target, tenant) {
    const h = await api("/shop/" + encodeURIComponent(tenant));
    clear(target, el("h1", {}, h.name), h.events.length ? el("ul", { class: "cards", "data-test": "events" }, h.events.map((e) =>
      el("li", { class: "card", "data-event": e.id }, el("a", { href: `#/t/${encodeURIComponent(tenant)}/event/${e.id}` }, el("h2", {}, e.name)),
        el("p", { class: "muted" }, A.time(e.first_starts_at), " · ", t("ev.sessions", e.sessions), " · ", t("ev.from", price(e.min_price_cents))),
        el("p", { "data-test": "left" }, e.remaining ? t("ev.left", e.remaining) : t("ev.soldout")),
        e.real_name ? el("p", { class: "badge" }, t("ev.realname")) : ""))) : el("p", { class: "muted" }, t("ev.none")));
  }

  // An event: its sessions on sale and the seats left at each price.
  async function eventPage(target, tenant, id) {
    const e = await api(`/shop/${encodeURIComponent(tenant)}/events/${encodeURIComponent(id)}`);
    const logged = !!localStorage.getItem(tokenKey(tenant));
    const people = logged ? await mine(tenant, "GET", "/me").then((me) => [me.identity, ...me.holders.map((h) => h.identity)].filter((i) => i && i.state === "verified")).catch(() => []) : [];
    const msg = el("div");
    // A level's buy form: how many, who holds each (a real-name event), a card.
    const buyForm = (s, l) => {
      if (!l.remaining) return "";
      if (!logged) return el("a", { href: `#/t/${encodeURIComponent(tenant)}/account`, "data-test": "buy-login" }, t("buy.login"));
      if (e.real_name && !people.length) return el("span", { class: "muted" }, t("buy.verify"));
      const max = Math.min(l.remaining, e.real_name ? people.length : 6);
      const count = el("select", { "data-test": "buy-count" }, Array.from({ length: max }, (_, i) => el("option", { value: i + 1 }, String(i + 1))));
      const card = el("select", { "data-test": "buy-card" }, el("option", { value: "tok_approve" }, t("card.ok")), el("option", { value: "tok_decline" }, t("card.declined")));
      const who = e.real_name ? el("fieldset", { class: "stack", "data-test": "buy-holders" }, el("legend", {}, t("buy.who")),
        people.map((p) => el("label", {}, el("input", { type: "checkbox", value: p.id, "data-person": p.id }), " ", p.name, " ", p.doc_masked))) : "";
      return el("form", { class: "stack buy", "data-test": "buy-" + l.id, onsubmit: async (ev) => {
        ev.preventDefault();
        const holders = e.real_name ? [...who.querySelectorAll("input:checked")].map((i) => Number(i.value)) : [];
        const n = e.real_name ? holders.length : Number(count.value);
        try {
          await mine(tenant, "POST", "/me/orders", { session_id: s.id, tier_id: l.id, count: n, holders: holders.length ? holders : undefined, card_token: card.value });
          location.hash = `#/t/${encodeURIComponent(tenant)}/orders`;
        } catch (err) { clear(msg, problem(err)); msg.scrollIntoView(); }
      } }, e.real_name ? who : el("label", {}, t("buy.count"), count), el("label", {}, t("buy.card"), card), el("button", { type: "submit", "data-test": "buy-submit" }, t("buy")));
    };
    // The seat map of a session: free seats by level, chosen by a tap,
    // bought together with a holder for each on a real-name event.
    const seatMap = async (s, box) => {
      const m = await api(`/shop/${encodeURIComponent(tenant)}/sessions/${s.id}/seats`);
      const levels = new Map(m.levels.map((l, i) => [l.id, { ...l, n: i % 4 }]));
      const max = e.real_name ? people.length : 6;
      const picked = new Map(); // seat id -> cell
      const status = el("p", { "data-test": "map-picked" }, t("map.none"));
      const rows = [...new Set(m.seats.map((c) => c.row))].sort((a, b) => a - b);
      const cols = Math.max(1, ...m.seats.map((c) => c.col));
      const grid = el("div", { class: "seatgrid", "data-test": "seatmap" });
      grid.style.gridTemplateColumns = `repeat(${cols}, minmax(12px, 24px))`; // CSSOM: the CSP allows no style attributes
      for (const c of m.seats) {
        const l = levels.get(c.level);
        const b = el("button", { type: "button", class: `seat ${c.free && l ? "lv" + l.n : "taken"}`, "data-seat": c.id, "data-label": c.label,
          title: c.label + (l ? " · " + l.name + " " + price(l.price_cents) : ""),
          disabled: !(c.free && l), onclick: () => {
            if (picked.has(c.id)) { picked.delete(c.id); b.classList.remove("picked"); }
            else if (picked.size < max) { picked.set(c.id, c); b.classList.add("picked"); }
            else { clear(status, t("map.max", max)); return; }
            const chosen = [...picked.values()];
            const total = chosen.reduce((n, x) => n + levels.get(x.level).price_cents, 0);
            clear(status, chosen.length ? t("map.picked", chosen.map((x) => x.label).join(", ")) + " · " + t("map.total", price(total)) : t("map.none"));
          } }, "");
        b.style.gridRow = String(rows.indexOf(c.row) + 1);
        b.style.gridColumn = String(c.col);
        grid.append(b);
      }
      const card = el("select", { "data-test": "map-card" }, el("option", { value: "tok_approve" }, t("card.ok")), el("option", { value: "tok_decline" }, t("card.declined")));
      const who = e.real_name ? el("fieldset", { class: "stack", "data-test": "map-holders" }, el("legend", {}, t("map.who")),
        people.map((p) => el("label", {}, el("input", { type: "checkbox", value: p.id }), " ", p.name, " ", p.doc_masked))) : "";
      clear(box, el("p", { class: "stage" }, t("map.stage")), el("div", { class: "seatscroll" }, grid),
        el("p", { class: "legend" }, m.levels.map((l) => el("span", { class: "key lv" + levels.get(l.id).n }, l.name + " " + price(l.price_cents) + " · " + t("ev.left", l.remaining)))),
        status, logged ? el("form", { class: "stack buy", onsubmit: async (ev) => {
          ev.preventDefault();
          const seats = [...picked.keys()];
          const holders = e.real_name ? [...who.querySelectorAll("input:checked")].map((i) => Number(i.value)) : [];
          try {
            await mine(tenant, "POST", "/me/orders", { session_id: s.id, seat_ids: seats, holders: holders.length ? holders : undefined, card_token: card.value });
            location.hash = `#/t/${encodeURIComponent(tenant)}/orders`;
          } catch (err) { clear(msg, problem(err)); msg.scrollIntoView(); }
        } }, who, el("label", {}, t("buy.card"), card), el("button", { type: "submit", "data-test": "map-buy" }, t("map.buy")))
          : el("a", { href: `#/t/${encodeURIComponent(tenant)}/account` }, t("buy.login")));
    };
    // A session not on sale yet: when it opens, and a text then.
    const notYet = (s) => {
      const box = el("div", { class: "stack", "data-test": "not-on-sale" }, el("p", { class: "badge" }, t("sale.from", A.time(s.on_sale_at))));
      if (logged) box.append(el("button", { type: "button", class: "secondary", "data-test": "sale-alert", onclick: async () => {
        try { await mine(tenant, "POST", `/me/sessions/${s.id}/alert`); clear(box, el("p", { class: "okmsg", "data-test": "sale-alerted" }, t("sale.alerted"))); }
        catch (err) { clear(msg, problem(err)); }
      } }, t("sale.alert")));
      else box.append(el("a", { href: `#/t/${encodeURIComponent(tenant)}/account` }, t("buy.login")));
      return box;
    };
    const mapBox = (s) => {
      const box = el("div", { class: "mapbox" });
      return el("div", {}, el("button", { type: "button", class: "linkish", "data-test": "choose-seats", onclick: () => seatMap(s, box).catch((err) => clear(box, problem(err))) }, t("map.choose")), box);
    };
    clear(target, el("p", {}, el("a", { href: "#/t/" + encodeURIComponent(tenant) }, "← ", t("ev.back"))), el("h1", {}, e.name), msg,
      e.real_name ? el("p", { class: "badge" }, t("ev.realname"), e.holder_limit ? " · " + t("ev.limit", e.holder_limit) : "") : "",
      el("ul", { class: "cards", "data-test": "sessions" }, e.sessions_on_sale.map((s) => el("li", { class: "card", "data-session": s.id },
        el("h2", {}, A.time(s.starts_at)), el("p", { class: "muted" }, s.venue),
        el("table", {}, el("tbody", {}, s.levels.map((l) => el("tr", { "data-level": l.id }, el("td", {}, l.name), el("td", { class: "num" }, price(l.price_cents)),
          el("td", { class: "num", "data-test": "level-left" }, l.remaining ? t("ev.left", l.remaining) : t("ev.soldout"))))),
          s.on_sale_at ? "" : el("tbody", {}, s.levels.map((l) => el("tr", {}, el("td", { colspan: 3 }, buyForm(s, l)))))), s.on_sale_at ? notYet(s) : mapBox(s)))));
  }

  // An open presale's application form, for a logged-in account: its
  // verified owner applies, naming its verified people on a named presale.
  async function applyForm(tenant, p) {
    if (!localStorage.getItem(tokenKey(tenant))) return el("p", { class: "card" }, el("a", { href: `#/t/${encodeURIComponent(tenant)}/account`, "data-test": "apply-login" }, t("buy.login")));
    const me = await mine(tenant, "GET", "/me");
    if (!me.identity || me.identity.state !== "verified") return el("p", { class: "card muted" }, t("buy.verify"));
    const people = [me.identity, ...me.holders.map((h) => h.identity)].filter((i) => i.state === "verified");
    const msg = el("div");
    const qty = el("select", { "data-test": "apply-qty" }, Array.from({ length: p.per_person }, (_, i) => el("option", { value: i + 1 }, String(i + 1))));
    const who = p.named_holders ? el("fieldset", { class: "stack", "data-test": "apply-holders" }, el("legend", {}, t("buy.who")),
      people.map((x) => el("label", {}, el("input", { type: "checkbox", value: x.id }), " ", x.name, " ", x.doc_masked))) : "";
    const card = el("select", { "data-test": "apply-card" }, el("option", { value: "tok_approve" }, t("card.ok")), el("option", { value: "tok_decline" }, t("card.declined")));
    return el("form", { class: "card stack", "data-test": "apply", onsubmit: async (ev) => {
      ev.preventDefault();
      const holders = p.named_holders ? [...who.querySelectorAll("input:checked")].map((i) => Number(i.value)) : [];
      try {
        const a = await mine(tenant, "POST", `/me/presales/${p.id}/applications`, { quantity: p.named_holders ? holders.length : Number(qty.value), holders: holders.length ? holders : undefined, card_token: card.value, lang: A.getLang() });
        clear(msg, el("p", { class: "okmsg", "data-test": "applied" }, t("ps.applied", a.ref)));
      } catch (err) { clear(msg, problem(err)); }
    } }, el("h2", {}, t("ps.apply")), p.named_holders ? who : el("label", {}, t("ps.qty"), qty), el("label", {}, t("buy.card"), card),
      el("button", { type: "submit", "data-test": "apply-submit" }, t("ps.apply")), msg);
  }

  // A presale winner's seat choice, from the link texted to them.
  async function choosePage(target, id, ref, token) {
    const path = `/api/v1/presales/${encodeURIComponent(id)}/choice/${encodeURIComponent(ref)}`;
    const c = await call("GET", path + "?token=" + encodeURIComponent(token));
    const msg = el("div");
    const head = [el("h1", {}, t("ch.title")), el("p", { class: "muted" }, c.presale, " · ", t("ps.ref"), " ", c.ref)];
    if (c.issued) {
      clear(target, ...head, el("p", { class: "okmsg", "data-test": "chosen" }, t("ch.done", c.issued.seats.join(", "), c.issued.pickup_code)));
      return;
    }
    if (!c.open) { clear(target, ...head, el("p", { class: "muted", "data-test": "choice-closed" }, t("ch.closed"))); return; }
    const picked = new Set();
    const status = el("p", { "data-test": "map-picked" }, t("map.none"));
    const rows = [...new Set(c.seats.map((x) => x.row))].sort((a, b) => a - b);
    const grid = el("div", { class: "seatgrid", "data-test": "seatmap" });
    grid.style.gridTemplateColumns = `repeat(${Math.max(1, ...c.seats.map((x) => x.col))}, minmax(12px, 24px))`;
    for (const x of c.seats) {
      const b = el("button", { type: "button", class: "seat " + (x.free ? "lv0" : "taken"), disabled: !x.free, title: x.label, "data-seat": x.id, "data-label": x.label, onclick: () => {
        if (picked.has(x)) { picked.delete(x); b.classList.remove("picked"); }
        else if (picked.size < c.quantity) { picked.add(x); b.classList.add("picked"); }
        else { clear(status, t("map.max", c.quantity)); return; }
        clear(status, picked.size ? t("map.picked", [...picked].map((p) => p.label).join(", ")) : t("map.none"));
      } }, "");
      b.style.gridRow = String(rows.indexOf(x.row) + 1);
      b.style.gridColumn = String(x.col);
      grid.append(b);
    }
    clear(target, ...head, el("p", {}, t("ch.pick", c.quantity, A.time(c.until))), msg, el("div", { class: "card mapbox" },
      el("p", { class: "stage" }, t("map.stage")), el("div", { class: "seatscroll" }, grid), status,
      el("button", { type: "button", "data-test": "choose-confirm", onclick: async () => {
        try {
          const done = await call("POST", path, { token, seat_ids: [...picked].map((p) => p.id) });
          clear(target, ...head, el("p", { class: "okmsg", "data-test": "chosen" }, t("ch.done", done.issued.seats.join(", "), done.issued.pickup_code)));
        } catch (err) { clear(msg, problem(err)); }
      } }, t("ch.confirm"))));
  }

  // --- accounts -----------------------------------------------------------
  const tokenKey = (tenant) => "admit.shop." + tenant;
  const mine = (tenant, method, path, body) => call(method, `/api/v1/shop/${encodeURIComponent(tenant)}` + path, body, localStorage.getItem(tokenKey(tenant)) || "");
  const problem = (err) => el("p", { class: "error", "data-test": "error" }, err.message, ...(err.fields || []).map((f) => " · " + f.message));
  const docTypes = ["resident_id", "hk_macau_permit", "taiwan_permit", "passport"];

  async function accountPage(target, tenant) {
    if (!localStorage.getItem(tokenKey(tenant))) { signIn(target, tenant); return; }
    let me;
    try { me = await mine(tenant, "GET", "/me"); } catch (err) {
      if (err.status === 401) { localStorage.removeItem(tokenKey(tenant)); signIn(target, tenant); return; }
      throw err;
    }
    const msg = el("div");
    const act = async (method, path, body) => {
      try { await mine(tenant, method, path, body); await accountPage(target, tenant); } catch (err) { clear(msg, problem(err)); }
    };
    const person = (test, onsubmit, label) => {
      const type = el("select", { "data-test": test + "-type" }, docTypes.map((d) => el("option", { value: d }, t("doc." + d))));
      const number = el("input", { "data-test": test + "-number", autocomplete: "off", required: true });
      const name = el("input", { "data-test": test + "-name", required: true });
      return el("form", { class: "stack", onsubmit: (e) => { e.preventDefault(); onsubmit({ doc_type: type.value, doc_number: number.value.trim(), name: name.value.trim() }); } },
        el("label", {}, t("acc.doc"), type), el("label", {}, t("acc.number"), number), el("label", {}, t("acc.name"), name),
        el("button", { type: "submit", "data-test": test + "-submit" }, label));
    };
    const who = (i) => el("span", {}, i.name, " · ", t("doc." + i.doc_type), " ", i.doc_masked, " · ",
      el("b", { class: "state-" + i.state, "data-test": "state" }, t("st." + i.state)), i.reason ? " (" + i.reason + ")" : "");
    const idCard = el("div", { class: "card", "data-test": "identity" }, el("h2", {}, t("acc.identity")),
      me.identity && me.identity.state !== "rejected" ? who(me.identity) : person("identity", (p) => act("PUT", "/me/identity", p), t("acc.verify")));
    const holders = el("div", { class: "card", "data-test": "holders" }, el("h2", {}, t("acc.holders")),
      el("ul", { class: "plain" }, me.holders.map((h) => el("li", { "data-holder": h.id }, who(h.identity), " ",
        el("button", { type: "button", class: "secondary", onclick: () => act("DELETE", "/me/holders/" + h.id) }, t("acc.remove"))))),
      person("holder", (p) => act("POST", "/me/holders", p), t("acc.add")));
    const out = el("button", { type: "button", class: "secondary", "data-test": "logout", onclick: async () => {
      await mine(tenant, "POST", "/me/logout").catch(() => {}); // the token dies at the cloud, not only here
      localStorage.removeItem(tokenKey(tenant)); route();
    } }, t("acc.logout"));
    const inbox = (await mine(tenant, "GET", "/me/messages").catch(() => [])) || [];
    const box = el("div", { class: "card", "data-test": "inbox" }, el("h2", {}, t("acc.inbox")), inbox.length
      ? el("ul", { class: "plain" }, inbox.map((m) => el("li", { "data-key": m.key }, el("span", { class: "muted" }, A.time(m.created_at)), " ", m.body)))
      : el("p", { class: "muted" }, t("acc.noinbox")));
    clear(target, el("div", { class: "row" }, el("h1", { class: "grow" }, t("acc")), out), el("p", { class: "muted", "data-test": "phone" }, me.phone), msg, idCard, holders, box);
  }

  // The account's orders: each ticket's QR code for the gate, and the
  // order's pickup code for the kiosk.
  async function ordersPage(target, tenant) {
    if (!localStorage.getItem(tokenKey(tenant))) { signIn(target, tenant); return; }
    const orders = await mine(tenant, "GET", "/me/orders");
    const msg = el("div");
    const qr = (o, tk) => {
      const img = el("img", { class: "qr", alt: tk.number, "data-ticket": tk.number });
      fetch(`/api/v1/shop/${encodeURIComponent(tenant)}/me/orders/${o.id}/tickets/${encodeURIComponent(tk.number)}/qr.png`,
        { headers: { Authorization: "Bearer " + localStorage.getItem(tokenKey(tenant)) } })
        .then((r) => r.ok ? r.blob() : Promise.reject(new Error("HTTP " + r.status)))
        .then((b) => { img.src = URL.createObjectURL(b); img.dataset.loaded = "1"; }, () => {});
      return img;
    };
    const card = (o) => el("li", { class: "card", "data-order": o.id },
      el("h2", {}, "#" + o.id, " · ", el("span", { "data-test": "order-status" }, t("ord." + o.status)), " · ¥", A.money(o.total_cents)),
      o.status === "paid" || o.status === "partially_refunded" ? el("p", {}, t("ord.pickup"), ": ", el("b", { class: "code", "data-test": "pickup" }, o.pickup_code)) : "",
      o.status === "pending_payment" ? el("button", { type: "button", "data-test": "pay-" + o.id, onclick: async () => {
        try { await mine(tenant, "POST", `/me/orders/${o.id}/pay`, { card_token: "tok_approve" }); await ordersPage(target, tenant); } catch (err) { clear(msg, problem(err)); }
      } }, t("ord.pay")) : "",
      o.status === "paid" || o.status === "partially_refunded" ? refundBox(o) : "",
      el("ul", { class: "plain tickets" }, (o.tickets || []).map((tk) => el("li", { class: "ticket", "data-number": tk.number },
        el("div", {}, tk.seat_label, " · ", el("span", { class: "muted" }, tk.number)), qr(o, tk)))));
    // A refund: the fee by the event's grades is shown before the buyer
    // confirms; the request carries the fee seen.
    const refundBox = (o) => {
      const box = el("div", { class: "refund", "data-test": "refund-" + o.id });
      const ask = el("button", { type: "button", class: "linkish", "data-test": "refund-ask", onclick: async () => {
        try {
          const q = await mine(tenant, "GET", `/me/orders/${o.id}/refund`);
          const reason = el("input", { "data-test": "refund-reason" });
          clear(box, el("p", { "data-test": "refund-quote" }, t("ref.quote", price(q.refund_cents), price(q.amount_cents), q.fee_percent, price(q.fee_cents), A.time(q.until))),
            el("label", {}, t("ref.reason"), reason),
            el("button", { type: "button", "data-test": "refund-confirm", onclick: async () => {
              try {
                await mine(tenant, "POST", `/me/orders/${o.id}/refund`, { fee_cents: q.fee_cents, reason: reason.value.trim() });
                clear(box, el("p", { class: "okmsg", "data-test": "refund-requested" }, t("ref.done", price(q.refund_cents))));
              } catch (err) { clear(box, problem(err)); }
            } }, t("ref.confirm")));
        } catch (err) { clear(box, problem(err)); }
      } }, t("ref.ask"));
      box.append(ask);
      return box;
    };
    clear(target, el("h1", {}, t("orders")), msg, orders.length ? el("ul", { class: "cards", "data-test": "orders" }, orders.map(card)) : el("p", { class: "muted" }, t("ord.none")));
  }

  function signIn(target, tenant) {
    const phone = el("input", { type: "tel", "data-test": "phone", autocomplete: "tel", required: true });
    const pw = el("input", { type: "password", "data-test": "password", autocomplete: "current-password", required: true });
    const code = el("input", { inputmode: "numeric", "data-test": "code", autocomplete: "one-time-code" });
    const msg = el("div");
    const done = (s) => { localStorage.setItem(tokenKey(tenant), s.token); route(); };
    const fail = (err) => clear(msg, problem(err));
    clear(target, el("h1", {}, t("acc")), msg,
      el("form", { class: "card stack", onsubmit: (e) => { e.preventDefault(); mine(tenant, "POST", "/auth/login", { phone: phone.value, password: pw.value }).then(done, fail); } },
        el("label", {}, t("acc.phone"), phone), el("label", {}, t("acc.password"), pw),
        el("button", { type: "submit", "data-test": "login" }, t("acc.login"))),
      el("div", { class: "card stack" }, el("p", { class: "muted" }, t("acc.new")),
        el("button", { type: "button", class: "secondary", "data-test": "send-code", onclick: () => mine(tenant, "POST", "/auth/code", { phone: phone.value, lang: A.getLang() })
          .then(() => clear(msg, el("p", { class: "okmsg", "data-test": "code-sent" }, t("acc.sent"))), fail) }, t("acc.send")),
        el("label", {}, t("acc.code"), code),
        el("button", { type: "button", "data-test": "register", onclick: () => mine(tenant, "POST", "/auth/register", { phone: phone.value, code: code.value, password: pw.value }).then(done, fail) }, t("acc.register"))));
  }

  async function presalePage(target, id, tenant) {
    const p = await api("/presales/" + encodeURIComponent(id));
    const order = ["open", "locked", "drawn", "settled"];
    const at = order.indexOf(p.state);
    const steps = el("ol", { class: "steps", "data-test": "steps" }, order.map((s, i) =>
      el("li", { class: i < at ? "done" : i === at ? "now" : "", "data-step": s }, t("ps.step." + s))));
    const fact = (k, v, test) => [el("dt", {}, t(k)), el("dd", { "data-test": test }, v)];
    const facts = el("dl", { class: "facts" }, fact("ps.tickets", String(p.tickets), "tickets"), fact("ps.per", String(p.per_person)),
      fact("ps.price", A.money(p.price_cents)), fact("ps.opens", A.time(p.opens_at)), fact("ps.closes", A.time(p.closes_at)));
    const proof = el("div", { class: "card" }, el("h2", {}, t("ps.commit")), el("code", { class: "hash", "data-test": "commitment" }, p.commitment));
    if (p.list_hash) proof.append(el("h2", {}, t("ps.list")), el("code", { class: "hash", "data-test": "list-hash" }, p.list_hash));
    if (p.seed) proof.append(el("h2", {}, t("ps.seed")), el("code", { class: "hash", "data-test": "seed" }, p.seed));
    const parts = [el("h1", {}, p.name), steps, el("div", { class: "card" }, facts)];
    if (p.state === "open" && tenant) parts.push(await applyForm(tenant, p));
    parts.push(proof);
    if (p.state !== "open") {
      const base = `/api/v1/presales/${p.id}/`;
      const files = el("div", { class: "card files" }, el("h2", {}, t("ps.files")),
        el("a", { href: base + "pools.csv", "data-test": "file-pools" }, "pools.csv"), el("a", { href: base + "applications.csv", "data-test": "file-apps" }, "applications.csv"));
      if (p.result) {
        files.append(el("a", { href: base + "result.json", "data-test": "file-result" }, "result.json"),
          el("p", { class: "muted" }, t("ps.verify")),
          el("code", { class: "hash" }, `admit lottery verify -pools pools.csv -applications applications.csv -result result.json -commitment ${p.commitment}`));
      }
      parts.push(files);
    }
    if (p.result) {
      const r = p.result;
      parts.push(el("div", { class: "card" }, el("dl", { class: "facts" }, fact("ps.apps", String(r.applications), "applications"),
        fact("ps.requested", String(r.requested)), fact("ps.awarded", String(r.awarded), "awarded"))));
      const mine = el("input", { "data-test": "my-ref", placeholder: "A0123456789ABCDEF", autocapitalize: "characters" });
      const answer = el("p");
      const byRef = Object.fromEntries(r.winners.map((w) => [w.id, w]));
      parts.push(el("form", { class: "card row", onsubmit: (e) => {
        e.preventDefault();
        const w = byRef[mine.value.trim().toUpperCase()];
        clear(answer, w ? el("span", { class: "won", "data-test": "my-result" }, t("ps.won", w.quantity, w.rank)) : el("span", { class: "lost", "data-test": "my-result" }, t("ps.lost")));
      } }, el("label", {}, t("ps.mine"), mine), el("button", { type: "submit", "data-test": "check" }, t("ps.check")), answer));
      parts.push(el("div", { class: "card scroll" }, el("h2", {}, t("ps.winners")), el("table", { "data-test": "winners" },
        el("thead", {}, el("tr", {}, [t("ps.rank"), t("ps.ref"), t("ps.qty")].map((h) => el("th", {}, h)))),
        el("tbody", {}, r.winners.map((w) => el("tr", { "data-ref": w.id }, el("td", { class: "num" }, String(w.rank)), el("td", {}, w.id), el("td", { class: "num" }, String(w.quantity))))))));
    }
    clear(target, ...parts);
  }

  route();
})();
