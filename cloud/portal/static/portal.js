// The venue admin portal. Every figure and action goes through the JSON API
// under /api/v1 with the admin's own token, so the portal sees and changes
// exactly what the API lets that person see and change.
"use strict";
(() => {
  const { el, clear, t, call, ApiError } = A;
  A.addWords({
    "app": ["Admit box office", "Admit 票务"],
    "login": ["Log in", "登录"], "logout": ["Log out", "退出"], "username": ["Username", "用户名"], "password": ["Password", "密码"],
    "nav.dashboard": ["Dashboard", "运营看板"], "nav.venues": ["Venues & halls", "场馆与影厅"], "nav.sessions": ["Sessions", "场次"],
    "nav.sales": ["Sales", "订单"], "nav.refunds": ["Refunds", "退票审批"], "nav.devices": ["Devices", "设备"], "nav.audit": ["Audit log", "审计日志"],
    "nav.preview": ["Print preview", "票面预览"], "nav.reporting": ["Reporting", "数据上报"], "nav.system": ["System", "系统运行"],
    "sys.users": ["Users logged in", "当前登录用户"], "sys.pos": ["Box offices online", "票亭在线"], "sys.kiosks": ["Kiosks online", "自助机在线"],
    "sys.gates": ["Gates online", "闸机在线"], "sys.offline": ["Devices offline", "离线设备"], "sys.rate": ["Tickets per minute (5 min)", "每分钟出票（5分钟）"],
    "sys.replag": ["Reporting lag (s)", "上报延迟（秒）"], "sys.feedlag": ["Largest feed lag", "最大同步延迟"],
    "sys.breaches": ["Outside the safe range", "超出安全范围"], "sys.allwell": ["Every figure is within its range.", "所有指标均在安全范围内。"],
    "sys.ranges": ["Safe ranges", "安全范围设定"], "sys.min": ["Minimum", "下限"], "sys.max": ["Maximum", "上限"], "sys.metric": ["Figure", "指标"],
    "sys.since": ["Logged in", "登录时间"], "sys.last": ["Last active", "最近活动"], "sys.last15": ["Tickets per minute, last 15 minutes", "近15分钟每分钟出票"],
    "rep.off": ["No national data platform is configured: nothing is reported.", "未配置国家数据平台：不上报。"],
    "rep.pending": ["Waiting", "待上报"], "rep.delivered": ["Delivered", "已上报"], "rep.refused": ["Refused", "被拒绝"], "rep.failing": ["Failing", "通信失败"],
    "rep.lag": ["Oldest waiting", "最早待上报"], "rep.late": ["over the 60 s rule", "超过 60 秒"], "rep.none": ["Nothing needs a person.", "无需处理。"],
    "rep.serial": ["Serial", "流水号"], "rep.ticket": ["Ticket", "票号"], "rep.state": ["State", "状态"], "rep.sends": ["Sends", "发送次数"],
    "rc.title": ["Reconciliation: the cloud, the platform, the devices", "三方对账：云端、国家平台、终端"], "rc.incomplete": ["Days under 98 %", "完整率低于 98% 的营业日"],
    "rc.tickets": ["Tickets", "票数"], "rc.refunded": ["Refunded", "退票"], "rc.printed": ["Printed", "已出票"], "rc.admitted": ["Admitted", "已入场"],
    "rc.records": ["Records", "原始数据"], "rc.platform": ["At the platform", "平台已存"], "rc.complete": ["Complete", "完整率"],
    "rc.diff": ["Differences", "差异"], "rc.run": ["Reconcile", "对账"], "rc.none": ["No day reconciled yet.", "尚无对账记录。"],
    "rc.missing": ["lost by the platform (sent again)", "平台缺失（已重报）"], "rc.unknown": ["unknown to the cloud", "云端无此记录"],
    "rc.unreported": ["not reported", "未生成上报"], "rc.usedrefunded": ["refunded but printed or admitted", "已退票但已出票或入场"],
    "mk.title": ["补登: late sales and refunds", "补登"], "mk.session": ["Session", "场次"], "mk.kind": ["Kind", "类型"],
    "mk.sale": ["sale (seats sold outside the system)", "售票补登"], "mk.refund": ["refund after the show", "退票补登"],
    "mk.items": ["Seats or ticket numbers, comma-separated", "座位或票号（逗号分隔）"], "mk.price": ["Price per ticket", "单价"],
    "mk.evidence": ["Evidence", "凭证说明"], "mk.record": ["Record 补登", "登记补登"], "mk.note": ["Decision note (a rejection's reason)", "审批意见（驳回须填写）"],
    "mk.approve": ["Approve", "批准"], "mk.reject": ["Reject", "驳回"], "mk.none": ["No 补登.", "无补登。"], "mk.recorded": ["recorded: another manager decides it", "已登记，待另一位经理审批"],
    "mk.by": ["Recorded by", "登记人"], "mk.due": ["Report by", "上报期限"], "mk.day": ["Business day", "营业日"],
    "rep.answer": ["Platform answer", "平台应答"], "rep.resend": ["Send again", "重新上报"], "rep.queued": ["queued again", "已重新排队"],
    "venue": ["Venue", "场馆"], "hall": ["Hall", "影厅"], "event": ["Event", "节目"], "session": ["Session", "场次"], "starts": ["Starts", "开始"],
    "ends": ["Ends", "结束"], "status": ["Status", "状态"], "capacity": ["Capacity", "可售座位"], "sold": ["Sold", "已售"], "held": ["Held", "锁座"],
    "remaining": ["Remaining", "余票"], "printed": ["Printed", "已取票"], "admitted": ["Admitted", "已检票"], "attendance": ["Attendance", "上座率"], "passes.n": ["{0} with a pass", "其中通票 {0}"],
    "sales.per.minute": ["Tickets sold per minute (last hour)", "每分钟售票（近一小时）"], "channels": ["Sales channels", "销售渠道"],
    "gates": ["Admissions per gate", "各检票口入场"], "devices": ["Devices", "设备"], "anomalies": ["Anomalies", "异常"],
    "online": ["online", "在线"], "offline": ["offline", "离线"], "last.seen": ["Last seen", "最近在线"], "feed.lag": ["Feed lag", "同步延迟"],
    "outbox": ["Outbox", "待上传"], "printer": ["Printer", "打印机"], "last.error": ["Last error", "最近错误"],
    "dup.admissions": ["Duplicate admissions", "重复入场"], "print.failures": ["Print failures (24 h)", "打印失败（24小时）"],
    "devices.offline": ["Devices offline", "离线设备"], "max.feed.lag": ["Largest feed lag", "最大同步延迟"], "updated": ["Updated {0}", "更新于 {0}"],
    "live": ["live", "实时"], "reconnecting": ["reconnecting…", "重新连接中…"], "none": ["None", "无"],
    "halls": ["Halls", "影厅"], "seatmap": ["Seat map", "座位图"], "open": ["Open", "打开"], "save": ["Save", "保存"], "create": ["Create", "创建"],
    "generate": ["Draw a section", "绘制区域"], "section.code": ["Section code", "区域代码"], "section.name": ["Section name", "区域名称"],
    "rows": ["Rows", "排数"], "cols": ["Seats per row", "每排座位"], "click.sets": ["A click sets", "点击设置"],
    "import": ["Import", "导入"], "export.json": ["Export JSON", "导出 JSON"], "export.csv": ["Export CSV", "导出 CSV"],
    "import.hint": ["Paste a seat map (JSON or CSV) or choose a file; problems are shown by line.", "粘贴座位图（JSON 或 CSV）或选择文件；错误按行显示。"],
    "saved": ["Saved", "已保存"], "line": ["line {0}", "第 {0} 行"], "seats.n": ["{0} seats", "{0} 个座位"],
    "new.session": ["New session", "新建场次"], "min.price": ["Minimum price", "最低票价"], "prices": ["Prices", "票价"], "tier": ["Tier", "票档"],
    "seat.type": ["Seat type", "座位类型"], "price": ["Price", "价格"], "add.tier": ["Add tier", "添加票档"], "categories": ["Seat categories", "座位分类"],
    "reserve": ["Reserve for", "预留给"], "hold.back": ["Hold back", "保留（应急）"], "non.sale": ["Not for sale", "不售"], "release": ["Release to sale", "释放"],
    "selected": ["{0} seats selected", "已选 {0} 个座位"], "customer": ["Customer", "客户"], "until": ["Until", "截止"], "reason": ["Reason", "原因"],
    "find.orders": ["Find orders", "查找订单"], "pickup.code": ["Pickup code", "取票码"], "ticket.number": ["Ticket number", "票号"],
    "customer.name": ["Customer name", "客户姓名"], "search": ["Search", "搜索"], "order": ["Order", "订单"], "phone": ["Phone", "电话"],
    "channel": ["Channel", "渠道"], "total": ["Total", "金额"], "tickets": ["Tickets", "票"], "seat": ["Seat", "座位"],
    "request.refund": ["Request refund", "申请退票"], "refund.requested": ["Refund requested: it waits for another person's approval", "已提交退票申请，等待他人审批"],
    "pending": ["Waiting for approval", "待审批"], "approve": ["Approve", "批准"], "reject": ["Reject", "驳回"], "amount": ["Amount", "金额"],
    "requested": ["Requested", "申请时间"], "no.refunds": ["No refund requests wait for approval.", "没有待审批的退票申请。"],
    "register": ["Register a device", "登记设备"], "role": ["Role", "类型"], "name": ["Name", "名称"], "zone": ["Gate zone", "检票区"],
    "profile": ["Firmware profile", "设备型号"], "enroll.code": ["Enrollment code (shown once, valid 24 h)", "注册码（仅显示一次，24小时内有效）"],
    "revoke": ["Revoke", "吊销"], "revoked": ["revoked", "已吊销"], "confirm.revoke": ["Revoke device {0}? Its credential stops working at once.", "吊销设备 {0}？其凭证将立即失效。"],
    "action": ["Action", "操作"], "object": ["Object", "对象"], "since": ["Since", "起始时间"], "filter": ["Filter", "筛选"], "verify.chain": ["Verify chain", "校验哈希链"],
    "chain.ok": ["Chain intact: {0} entries verified", "哈希链完整：已校验 {0} 条"], "chain.bad": ["Chain broken at entry {0}: {1}", "哈希链在第 {0} 条断开：{1}"],
    "who": ["Who", "操作人"], "when": ["When", "时间"], "before": ["Before", "变更前"], "after": ["After", "变更后"], "approver": ["Approved by", "审批人"],
    "preview.hint": ["Enter a ticket number to see it as the kiosk printer prints it.", "输入票号，查看自助机打印的票面。"], "show": ["Show", "显示"],
    "paper": ["Paper", "纸宽"], "quotas": ["Quotas by channel and tier", "渠道与票档配额"], "limit": ["Limit", "上限"], "all.tiers": ["all tiers", "全部票档"],
    "add.quota": ["Add quota", "添加配额"], "new.event": ["New event", "新建节目"], "kind": ["Kind", "类型"], "film.code": ["Film code", "影片编码"],
    "real.name": ["Real-name (each ticket names its holder)", "实名制（每张票登记持票人）"], "holder.limit": ["Tickets per person", "每人限购"],
    "on.sale": ["Shop sale opens (optional)", "线上开售时间（选填）"],
    "ps.choice": ["Winners choose seats until (optional)", "中签者选座截止（选填）"],
    "ps.channels": ["Applications through", "申请渠道"], "ps.ch.both": ["the public page and the shop", "公开页面与商城"],
    "ps.ch.shop": ["the shop's verified accounts", "商城实名账户"], "ps.ch.page": ["the public page", "公开页面"],
    "shop.refunds": ["Refunds at the shop, graded fees (a week ahead 5 %, 3 days 10 %, a day 20 %, then none)", "线上可退票，阶梯手续费（提前7天 5%，3天 10%，1天 20%，之后不可退）"],
    "party": ["Only for (agency:N, customer:N)", "仅限（agency:N、customer:N）"],
    "postpone": ["Postpone", "延期"], "postponed": ["postponed", "已延期"],
    "refunds.closed": ["Refunds only if the session is cancelled or postponed", "仅在场次取消或延期时可退票"],
    "fee": ["Fee kept", "手续费"], "holder": ["Holder", "持票人"],
    "nav.presales": ["Presales", "预售抽签"], "nav.messages": ["Messages", "消息"], "nav.reviews": ["ID reviews", "实名审核"],
    "rv.none": ["No identity waits for a review.", "没有待审核的证件。"], "rv.doc": ["Document", "证件"], "rv.reason": ["Reason (needed to reject)", "原因（驳回必填）"],
    "ps.new": ["New presale", "新建预售"], "ps.tickets": ["Tickets on offer", "预售票数"], "ps.per": ["Per person", "每人限购"],
    "ps.named": ["Name every holder", "实名登记持票人"], "ps.opens": ["Opens", "开始"], "ps.closes": ["Closes", "截止"],
    "ps.state": ["State", "状态"], "ps.apps": ["Applications", "申请"], "ps.commit": ["Commitment (hash of the seed)", "种子承诺（哈希）"],
    "ps.lock": ["Lock the list", "锁定名单"], "ps.draw": ["Draw", "抽签"], "ps.settle": ["Capture and void", "扣款与撤销"], "ps.assign": ["Give seats", "分配座位"],
    "ps.results": ["Public results", "公开结果"], "ps.none": ["No presale yet.", "暂无预售。"], "ps.ref": ["Application", "申请号"],
    "ps.qty": ["Tickets", "张数"], "ps.rank": ["Draw order", "中签顺序"], "ps.done": ["Done: {0}", "完成：{0}"],
    "msg.state": ["State", "状态"], "msg.to": ["To", "接收人"], "msg.tpl": ["Template", "模板"], "msg.tries": ["Tries", "尝试"],
    "msg.body": ["Text", "内容"], "msg.resend": ["Send again", "重新发送"], "msg.none": ["No messages.", "暂无消息。"], "msg.all": ["All", "全部"],
    "vs.label": ["Status at the national data platform", "营业状态（国家数据平台）"], "vs.trial": ["Trial operation", "试营业"], "vs.open": ["Open", "正式营业"], "vs.closed": ["Closed", "停业"], "not.found": ["Not found", "未找到"], "forbidden": ["Not allowed for your role", "您的角色无权操作"],
  });

  const state = { token: sessionStorage.getItem("admit.token") || "", me: null, venues: [] };
  const main = () => document.getElementById("main");
  const api = (method, path, body, ct) => call(method, "/api/v1" + path, body, state.token, ct);

  function errorBox(err) {
    if (err instanceof ApiError && err.status === 401) { logout(); return el("p", { class: "error" }, err.message); }
    const box = el("div", { class: "error", "data-test": "error" }, err.code === "not_found" ? t("not.found") + ": " : "", err.message);
    if (err.fields && err.fields.length) {
      box.append(el("ul", { class: "problems" }, err.fields.map((f) => el("li", {}, f.line ? t("line", f.line) + ": " : "", f.field ? f.field + ": " : "", f.message))));
    }
    return box;
  }
  async function guarded(target, fn) {
    try { await fn(); } catch (err) { clear(target, errorBox(err)); }
  }

  // --- shell -----------------------------------------------------------
  // Who sees which page, as the API's permissions have it (the API still
  // decides every call; this only keeps menus to what a role can use).
  // Everyone on the organiser's staff; a customer's representative sees
  // only its own page.
  const everyone = ["platform_admin", "tenant_admin", "venue_manager", "clerk", "gate_staff", "auditor", "finance"];
  const sellers = ["platform_admin", "tenant_admin", "venue_manager", "clerk", "auditor"];
  const managers = ["platform_admin", "tenant_admin", "venue_manager"];
  const pages = [
    ["dashboard", "nav.dashboard", dashboardPage, everyone], ["venues", "nav.venues", venuesPage, everyone], ["sessions", "nav.sessions", sessionsPage, everyone],
    ["sales", "nav.sales", salesPage, sellers], ["refunds", "nav.refunds", refundsPage, ["tenant_admin", "venue_manager"]], ["devices", "nav.devices", devicesPage, [...managers, "auditor"]],
    ["audit", "nav.audit", auditPage, [...managers, "auditor"]], ["preview", "nav.preview", previewPage, sellers],
    ["reporting", "nav.reporting", reportingPage, [...managers, "auditor"]], ["presales", "nav.presales", presalesPage, [...managers, "auditor"]],
    ["messages", "nav.messages", messagesPage, [...managers, "auditor"]], ["reviews", "nav.reviews", reviewsPage, managers], ["system", "nav.system", systemPage, [...managers, "auditor"]],
  ];
  // The business pages (business.js) get the helpers they share.
  const download = async (path, name) => {
    const r = await fetch("/api/v1" + path, { headers: { Authorization: "Bearer " + state.token } });
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    const a = el("a", { href: URL.createObjectURL(await r.blob()), download: name });
    document.body.append(a); a.click(); a.remove();
  };
  const ext = { api, state, errorBox, venueSelect: (...a) => venueSelect(...a), download,
    guard: (target, fn) => fn().catch((err) => clear(target, errorBox(err))) };
  for (const [id, key, make, roles] of A.extraPages || []) pages.push([id, key, make(ext), roles]);
  const allowed = (p) => !p[3] || (state.me && p[3].includes(state.me.role));
  let stopPage = null;

  function header() {
    const top = document.getElementById("top");
    const current = (location.hash.slice(2).split("/")[0]) || "dashboard";
    clear(top, el("span", { class: "brand" }, t("app")));
    if (state.me) {
      top.append(el("nav", {}, pages.filter(allowed).map(([id, key]) => el("a", { href: "#/" + id, class: id === current ? "active" : "", "data-test": "nav-" + id }, t(key)))));
      top.append(el("span", { class: "who", "data-test": "who" }, state.me.username + " · " + state.me.role));
      top.append(el("button", { class: "secondary", type: "button", onclick: logout }, t("logout")));
    }
    top.append(A.langToggle());
  }

  async function logout() {
    // End the login at the cloud too: a copied token must not outlive it.
    if (state.token && state.me) await api("POST", "/auth/logout").catch(() => {});
    state.token = ""; state.me = null;
    sessionStorage.removeItem("admit.token");
    location.hash = "#/login";
    route();
  }

  async function route() {
    if (stopPage) { stopPage(); stopPage = null; }
    if (state.token && !state.me) {
      try {
        state.me = await api("GET", "/me");
        state.venues = await api("GET", "/venues");
      } catch { state.token = ""; sessionStorage.removeItem("admit.token"); }
    }
    const [name, ...args] = location.hash.slice(2).split("/");
    header();
    if (!state.me) { loginPage(); return; }
    // The landing page (dashboard) is the first page the role may use.
    const found = pages.find((p) => p[0] === name && (p[0] !== "dashboard" || allowed(p)));
    const page = found || (name === "hall" && [0, 0, hallPage]) || (name === "session" && [0, 0, sessionPage]) || pages.find(allowed) || pages[0];
    if (!allowed(page)) { clear(main(), el("p", { class: "error", "data-test": "error" }, t("forbidden"))); return; }
    const target = clear(main(), el("p", { class: "muted" }, "…"));
    await guarded(target, async () => { stopPage = (await page[2](target, ...args)) || null; });
  }
  A.whenLang(route);
  window.addEventListener("hashchange", route);

  function loginPage() {
    const u = el("input", { name: "username", autocomplete: "username", "data-test": "username", required: true });
    const p = el("input", { name: "password", type: "password", autocomplete: "current-password", "data-test": "password", required: true });
    const msg = el("div");
    const form = el("form", { class: "card login", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await call("POST", "/api/v1/auth/login", { username: u.value, password: p.value });
        state.token = r.token;
        sessionStorage.setItem("admit.token", r.token);
        state.me = null;
        if (!location.hash || location.hash === "#/login") location.hash = "#/dashboard";
        await route();
      } catch (err) { clear(msg, errorBox(err)); }
    } }, el("h1", {}, t("login")), el("label", {}, t("username"), u), el("label", {}, t("password"), p), msg,
      el("button", { type: "submit", "data-test": "login" }, t("login")));
    clear(main(), form);
    u.focus();
  }

  function venueSelect(onchange, selected) {
    const s = el("select", { "data-test": "venue", onchange: () => onchange(Number(s.value)) },
      state.venues.map((v) => el("option", { value: v.id, selected: v.id === selected }, v.name + " (" + v.code + ")")));
    return s;
  }
  const venueName = (id) => (state.venues.find((v) => v.id === id) || {}).name || "#" + id;

  // --- dashboard --------------------------------------------------------
  async function dashboardPage(target) {
    if (!state.venues.length) { clear(target, el("p", {}, t("none"))); return; }
    let venue = Number(sessionStorage.getItem("admit.venue")) || state.venues[0].id;
    if (!state.venues.some((v) => v.id === venue)) venue = state.venues[0].id;
    const status = el("span", { class: "badge", "data-test": "live" }, "…");
    const body = el("div", { "data-test": "dashboard" });
    let ctl = null;
    const connect = () => {
      if (ctl) ctl.abort();
      ctl = new AbortController();
      stream(venue, ctl.signal, (d) => { status.className = "badge ok"; status.textContent = t("live") + " · " + t("updated", A.clock(d.at)); drawDashboard(body, d); },
        () => { status.className = "badge warn"; status.textContent = t("reconnecting"); });
    };
    clear(target, el("div", { class: "row" }, el("h1", { class: "grow" }, t("nav.dashboard")),
      venueSelect((v) => { venue = v; sessionStorage.setItem("admit.venue", v); connect(); }, venue), status), body);
    connect();
    // Leaving the page ends the stream at once: an open stream would hold
    // one of the browser's few connections to the server.
    const leave = () => ctl && ctl.abort();
    window.addEventListener("pagehide", leave);
    return () => { window.removeEventListener("pagehide", leave); leave(); };
  }

  // stream follows the dashboard's server-sent events; a 401 logs out.
  function stream(venue, signal, onData, onDrop) {
    return A.follow(() => `/api/v1/venues/${venue}/dashboard/stream`, state.token, signal, (name, d) => onData(d), (err) => {
      if (err instanceof ApiError && err.status === 401) { logout(); return; }
      onDrop(err);
    });
  }

  function tile(label, value, test) {
    return el("div", { class: "tile" }, el("div", { class: "n", "data-test": test }, String(value)), el("div", { class: "l" }, label));
  }
  const pct = (x) => (x * 100).toFixed(0) + "%";

  function drawDashboard(body, d) {
    const tot = d.totals;
    const tiles = el("div", { class: "tiles" },
      tile(t("sold"), tot.sold, "total-sold"), tile(t("remaining"), tot.remaining, "total-remaining"), tile(t("printed"), tot.printed, "total-printed"),
      tile(t("admitted"), tot.admitted, "total-admitted"), tile(t("attendance"), tot.sold ? pct(tot.admitted / tot.sold) : "–", "total-attendance"),
      tile(t("devices.offline"), d.anomalies.devices_offline, "devices-offline"));
    const sessions = el("div", { class: "card scroll" }, el("h2", {}, t("nav.sessions")), el("table", { "data-test": "sessions" },
      el("thead", {}, el("tr", {}, [t("session"), t("starts"), t("capacity"), t("sold"), t("held"), t("remaining"), t("printed"), t("admitted"), t("attendance")].map((h, i) => el("th", { class: i > 1 ? "num" : "" }, h)))),
      el("tbody", {}, d.sessions.map((s) => el("tr", { "data-session": s.id },
        el("td", {}, s.event, el("div", { class: "muted" }, s.hall)), el("td", {}, A.time(s.starts_at)),
        ...[s.capacity, s.sold, s.held, s.remaining, s.printed, s.admitted].map((n, i) => el("td", { class: "num", "data-field": ["capacity", "sold", "held", "remaining", "printed", "admitted"][i] }, String(n),
          i === 5 && s.pass_admitted ? el("span", { class: "muted", "data-field": "pass-admitted" }, " (" + t("passes.n", s.pass_admitted) + ")") : "")),
        el("td", { class: "num" }, s.sold ? pct(s.attendance) : "–"))))));
    const chart = el("canvas", { class: "chart", width: 600, height: 180, "data-test": "rate-chart" });
    const channels = Object.entries(d.channels);
    const maxCh = Math.max(1, ...channels.map(([, n]) => n));
    const anomalies = d.anomalies;
    const sessionName = (id) => (d.sessions.find((s) => s.id === id) || {}).event || "#" + id;
    body.replaceChildren(tiles, sessions,
      el("div", { class: "grid2" },
        el("div", { class: "card" }, el("h2", {}, t("sales.per.minute")), chart),
        el("div", { class: "card" }, el("h2", {}, t("channels")), channels.length ? el("table", {}, el("tbody", {}, channels.map(([ch, n]) =>
          el("tr", {}, el("td", {}, ch), el("td", { class: "num", "data-channel": ch }, String(n)), el("td", { class: "grow" }, barEl(n / maxCh)))))) : el("p", { class: "muted" }, t("none"))),
        el("div", { class: "card" }, el("h2", {}, t("gates")), d.gates.length ? el("table", { "data-test": "gates" }, el("tbody", {}, d.gates.map((g) =>
          el("tr", {}, el("td", {}, g.device || g.device_id), el("td", {}, sessionName(g.session_id)), el("td", { class: "num" }, String(g.admitted)))))) : el("p", { class: "muted" }, t("none"))),
        el("div", { class: "card" }, el("h2", {}, t("anomalies")),
          el("div", { class: "row" }, el("span", { class: "badge" + (anomalies.duplicate_admissions ? " bad" : "") }, t("dup.admissions") + ": " + anomalies.duplicate_admissions),
            el("span", { class: "badge" + (anomalies.print_failures ? " warn" : ""), "data-test": "print-failures" }, t("print.failures") + ": " + anomalies.print_failures),
            el("span", { class: "badge" + (anomalies.devices_offline ? " bad" : "") }, t("devices.offline") + ": " + anomalies.devices_offline),
            el("span", { class: "badge" + (anomalies.max_feed_lag ? " warn" : "") }, t("max.feed.lag") + ": " + anomalies.max_feed_lag),
            el("span", { class: "badge" + (anomalies.reporting_lag_s > 60 ? " bad" : ""), "data-test": "reporting-lag" }, t("rep.lag") + ": " + Math.round(anomalies.reporting_lag_s || 0) + " s"),
            el("span", { class: "badge" + (anomalies.incomplete_days ? " bad" : ""), "data-test": "incomplete-days" }, t("rc.incomplete") + ": " + (anomalies.incomplete_days || 0))),
          anomalies.recent.length ? el("ul", { "data-test": "anomalies" }, anomalies.recent.map((a) => el("li", {}, el("span", { class: "muted" }, A.clock(a.at) + " "), a.detail))) : el("p", { class: "muted" }, t("none")))),
      el("div", { class: "card scroll" }, el("h2", {}, t("devices")), devicesTable(d.devices)));
    drawRate(chart, d.sales_per_minute);
  }
  function barEl(frac) { const b = el("div", { class: "bar" }); b.style.width = Math.max(1, frac * 100) + "%"; return b; }

  function drawRate(c, minutes) {
    const g = c.getContext("2d");
    const w = c.width, h = c.height, pad = 24;
    g.clearRect(0, 0, w, h);
    const max = Math.max(1, ...minutes.map((m) => m.tickets));
    const bw = (w - pad) / minutes.length;
    g.fillStyle = "#2956b2";
    minutes.forEach((m, i) => { const bh = (h - pad) * m.tickets / max; g.fillRect(pad + i * bw, h - pad - bh, Math.max(1, bw - 1), bh); });
    g.fillStyle = "#5f6368"; g.font = "11px sans-serif";
    g.fillText(String(max), 2, 12); g.fillText("0", 2, h - pad);
    if (minutes.length) { g.fillText(A.clock(minutes[0].minute).slice(0, 5), pad, h - 6); g.fillText(A.clock(minutes[minutes.length - 1].minute).slice(0, 5), w - 40, h - 6); }
  }

  function devicesTable(devs) {
    return el("table", { "data-test": "devices" }, el("thead", {}, el("tr", {}, [t("name"), t("role"), t("status"), t("last.seen"), t("feed.lag"), t("outbox"), t("printer"), t("last.error")].map((h) => el("th", {}, h)))),
      el("tbody", {}, devs.map((d) => el("tr", { "data-device": d.id }, el("td", {}, d.name), el("td", {}, d.role),
        el("td", {}, el("span", { class: "badge " + (d.online ? "ok" : "bad") }, t(d.online ? "online" : "offline"))),
        el("td", {}, d.last_seen ? A.time(d.last_seen) : "–"), el("td", { class: "num" }, String(d.feed_lag)), el("td", { class: "num" }, String(d.outbox_depth)),
        el("td", {}, d.printer || "–"), el("td", { class: "muted" }, d.last_error || "")))));
  }

  // --- venues, halls and the seat-map editor ----------------------------
  async function venuesPage(target) {
    const list = el("div");
    clear(target, el("h1", {}, t("nav.venues")), list);
    for (const v of state.venues) {
      const halls = await api("GET", `/venues/${v.id}/halls`);
      // The venue's business status at the national data platform (§9.2.3).
      const msg = el("span");
      const status = el("select", { "data-test": "venue-status-" + v.id }, ["trial", "open", "closed"].map((x) => el("option", { value: x, selected: x === (v.business_status || "open") }, t("vs." + x))));
      const setStatus = el("button", { type: "button", "data-test": "set-venue-status-" + v.id, onclick: async () => {
        try { const nv = await api("POST", `/venues/${v.id}/business-status`, { status: status.value }); v.business_status = nv.business_status; clear(msg, t("saved")); }
        catch (err) { clear(msg, errorBox(err)); }
      } }, t("save"));
      const canSet = state.me && ["platform_admin", "tenant_admin"].includes(state.me.role);
      list.append(el("div", { class: "card" }, el("h2", {}, v.name + " · " + v.code), el("p", { class: "muted" }, v.address || "", " · ", v.timezone),
        el("p", { class: "row" }, el("label", {}, t("vs.label"), canSet ? status : el("strong", { "data-test": "venue-status-" + v.id }, t("vs." + (v.business_status || "open")))),
          canSet ? setStatus : "", msg),
        el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("hall")), el("th", {}, t("seatmap")))),
          el("tbody", {}, halls.map((h) => el("tr", {}, el("td", {}, h.name + " (" + h.code + ")"),
            el("td", {}, el("a", { href: "#/hall/" + h.id, "data-test": "hall-" + h.id }, t("open")))))))));
    }
  }

  const seatTypes = ["standard", "vip", "couple", "accessible", "box"];
  const seatStates = ["ok", "damaged", "removed", "obstructed"];

  async function hallPage(target, hallID) {
    const doc = await api("GET", `/halls/${hallID}/seatmap`);
    let map = doc.seat_map;
    const msg = el("div");
    const grid = el("div", { class: "seatmap", "data-test": "seatmap" });
    const mode = el("select", { "data-test": "paint" }, [...seatTypes.map((x) => el("option", { value: "type:" + x }, t("seat.type") + ": " + x)),
      ...seatStates.map((x) => el("option", { value: "state:" + x }, t("status") + ": " + x))]);
    const count = el("span", { class: "muted" });
    const draw = () => {
      const maxCol = Math.max(1, ...map.seats.map((s) => s.col));
      const rows = [...new Set(map.seats.map((s) => s.section + "/" + s.row_no))];
      grid.style.gridTemplateColumns = `repeat(${maxCol}, 26px)`;
      grid.replaceChildren(...map.seats.map((s) => {
        const b = el("button", { type: "button", class: `seat ${s.type} ${s.state}`, title: s.label + " · " + s.type + " · " + s.state, "data-label": s.label,
          onclick: () => { const [k, v] = mode.value.split(":"); if (k === "type") s.type = v; else s.state = v; draw(); } }, String(s.col));
        b.style.gridColumn = String(s.col);
        b.style.gridRow = String(rows.indexOf(s.section + "/" + s.row_no) + 1);
        return b;
      }));
      count.textContent = t("seats.n", map.seats.length);
    };
    const code = el("input", { value: "A", size: 4, "data-test": "gen-code" }), name = el("input", { value: "Stalls", "data-test": "gen-name" });
    const nrows = el("input", { type: "number", value: 10, min: 1, max: 200, "data-test": "gen-rows" }), ncols = el("input", { type: "number", value: 20, min: 1, max: 500, "data-test": "gen-cols" });
    const generate = () => {
      const c = code.value.trim() || "A";
      map.sections = map.sections.filter((s) => s.code !== c).concat([{ code: c, name: name.value.trim() || c }]);
      map.seats = map.seats.filter((s) => s.section !== c);
      const firstRow = map.seats.reduce((m, s) => Math.max(m, s.row_no), 0);
      for (let r = 1; r <= Number(nrows.value); r++) {
        for (let col = 1; col <= Number(ncols.value); col++) {
          map.seats.push({ section: c, row: String(r), row_no: firstRow + r, col, label: `${c}${r}-${col}`, type: "standard", state: "ok" });
        }
      }
      draw();
    };
    const save = async () => {
      try { await api("PUT", `/halls/${hallID}/seatmap`, map); clear(msg, el("p", { class: "okmsg", "data-test": "saved" }, t("saved"))); }
      catch (err) { clear(msg, errorBox(err)); }
    };
    const text = el("textarea", { rows: 6, cols: 60, "data-test": "import-text", placeholder: "section,section_name,row,row_no,col,label,type,state" });
    const file = el("input", { type: "file", accept: ".csv,.json,text/csv,application/json", onchange: async () => { if (file.files[0]) text.value = await file.files[0].text(); } });
    const doImport = async () => {
      const body = text.value.trim();
      const json = body.startsWith("{");
      try {
        await api("PUT", `/halls/${hallID}/seatmap`, json ? JSON.parse(body) : body, json ? "application/json" : "text/csv");
        map = (await api("GET", `/halls/${hallID}/seatmap`)).seat_map;
        draw();
        clear(msg, el("p", { class: "okmsg", "data-test": "saved" }, t("saved")));
      } catch (err) { clear(msg, errorBox(err instanceof SyntaxError ? new ApiError(400, { error: { code: "bad_json", message: err.message } }) : err)); }
    };
    const download = async (format) => {
      const r = await fetch(`/api/v1/halls/${hallID}/seatmap${format === "csv" ? "?format=csv" : ""}`, { headers: { Authorization: "Bearer " + state.token } });
      const blob = await r.blob();
      const a = el("a", { href: URL.createObjectURL(blob), download: `hall-${hallID}.${format}` });
      document.body.append(a); a.click(); a.remove();
    };
    clear(target, el("h1", {}, doc.hall.name, " · ", t("seatmap")),
      el("div", { class: "card" }, el("h2", {}, t("generate")), el("div", { class: "row" }, el("label", {}, t("section.code"), code), el("label", {}, t("section.name"), name),
        el("label", {}, t("rows"), nrows), el("label", {}, t("cols"), ncols), el("button", { type: "button", onclick: generate, "data-test": "generate" }, t("generate")))),
      el("div", { class: "row" }, el("label", {}, t("click.sets"), mode), count, el("span", { class: "grow" }),
        el("button", { type: "button", onclick: save, "data-test": "save-map" }, t("save")),
        el("button", { type: "button", class: "secondary", onclick: () => download("json") }, t("export.json")),
        el("button", { type: "button", class: "secondary", onclick: () => download("csv") }, t("export.csv"))),
      msg, grid,
      el("div", { class: "card" }, el("h2", {}, t("import")), el("p", { class: "muted" }, t("import.hint")), text, el("div", { class: "row" }, file,
        el("button", { type: "button", onclick: doImport, "data-test": "import" }, t("import")))));
    draw();
  }

  // --- sessions, prices and seat categories -----------------------------
  async function sessionsPage(target) {
    let venue = Number(sessionStorage.getItem("admit.venue")) || (state.venues[0] || {}).id;
    const list = el("div");
    const form = el("div");
    const load = async () => {
      const [sessions, events, halls] = await Promise.all([api("GET", `/sessions?venue_id=${venue}`), api("GET", "/events"), api("GET", `/venues/${venue}/halls`)]);
      const evName = (id) => (events.find((e) => e.id === id) || {}).name || "#" + id;
      const hallName = (id) => (halls.find((h) => h.id === id) || {}).name || "#" + id;
      clear(list, el("table", { "data-test": "session-list" }, el("thead", {}, el("tr", {}, [t("event"), t("hall"), t("starts"), t("ends"), t("status")].map((h) => el("th", {}, h)))),
        el("tbody", {}, sessions.map((s) => el("tr", {}, el("td", {}, el("a", { href: "#/session/" + s.id }, evName(s.event_id))), el("td", {}, hallName(s.hall_id)),
          el("td", {}, A.time(s.starts_at)), el("td", {}, A.time(s.ends_at)), el("td", {}, s.status))))));
      const ev = el("select", { "data-test": "new-event" }, events.map((e) => el("option", { value: e.id }, e.name)));
      const hall = el("select", { "data-test": "new-hall" }, halls.map((h) => el("option", { value: h.id }, h.name)));
      const start = el("input", { type: "datetime-local", "data-test": "new-start", required: true });
      const end = el("input", { type: "datetime-local", "data-test": "new-end", required: true });
      const minp = el("input", { type: "number", value: "20", min: 0, step: "0.01", "data-test": "new-min" });
      const onSale = el("input", { type: "datetime-local", "data-test": "new-on-sale" });
      const out = el("div");
      const evName2 = el("input", { "data-test": "event-name" }), evKind = el("select", {}, ["film", "match", "concert", "show"].map((k) => el("option", { value: k }, k)));
      // A film's code from the national data platform (12 characters); other kinds may leave it empty.
      const films = el("datalist", { id: "platform-films", "data-test": "platform-films" });
      const evCode = el("input", { "data-test": "event-code", maxlength: 32, placeholder: "001X02212023", list: "platform-films" });
      // The national data platform's films, when the cloud reports to one: choosing fills the name too.
      api("GET", "/reporting/films").then((fs) => {
        clear(films, ...fs.films.map((f) => el("option", { value: f.code }, `${f.name} · ${f.version} · ${f.release_date}`)));
        evCode.addEventListener("change", () => {
          const f = fs.films.find((x) => x.code === evCode.value.trim());
          if (f && !evName2.value) evName2.value = f.name;
        });
      }).catch(() => {});
      const evOut = el("div");
      // Real-name: every ticket names its holder's document; the limit is per person across the event.
      const evReal = el("input", { type: "checkbox", "data-test": "event-real-name" });
      const evLimit = el("input", { type: "number", min: 0, max: 20, value: "0", size: 3, "data-test": "event-holder-limit" });
      // Refunds the public asks for at the shop, by the usual graded fees.
      const evRefunds = el("input", { type: "checkbox", "data-test": "event-refunds" });
      const graded = { grades: [{ before_hours: 168, fee_percent: 5 }, { before_hours: 72, fee_percent: 10 }, { before_hours: 24, fee_percent: 20 }] };
      // The big events' rule: no refunds unless the organiser cancels or postpones (checked for them by default).
      const evClosed = el("input", { type: "checkbox", "data-test": "event-refunds-closed" });
      evKind.addEventListener("change", () => { evClosed.checked = evKind.value !== "film"; });
      const eventForm = el("div", { class: "card" }, el("h2", {}, t("new.event")), el("div", { class: "row" }, el("label", {}, t("name"), evName2), el("label", {}, t("kind"), evKind), el("label", {}, t("film.code"), evCode, films),
        el("label", {}, evReal, " ", t("real.name")), el("label", {}, t("holder.limit"), evLimit), el("label", {}, evRefunds, " ", t("shop.refunds")),
        el("label", {}, evClosed, " ", t("refunds.closed")),
        el("button", { type: "button", "data-test": "create-event", onclick: async () => {
          try {
            await api("POST", "/events", { name: evName2.value, kind: evKind.value, code: evCode.value.trim(), real_name: evReal.checked, holder_limit: Number(evLimit.value) || 0,
              refunds: evRefunds.checked ? graded : undefined, refund_policy: evClosed.checked ? "closed" : undefined });
            await load();
          } catch (err) { clear(evOut, errorBox(err)); }
        } }, t("create"))), evOut);
      clear(form, eventForm, el("div", { class: "card" }, el("h2", {}, t("new.session")), el("div", { class: "row" }, el("label", {}, t("event"), ev), el("label", {}, t("hall"), hall),
        el("label", {}, t("starts"), start), el("label", {}, t("ends"), end), el("label", {}, t("min.price"), minp), el("label", {}, t("on.sale"), onSale),
        el("button", { type: "button", "data-test": "create-session", onclick: async () => {
          try {
            const s = await api("POST", "/sessions", { hall_id: Number(hall.value), event_id: Number(ev.value), starts_at: new Date(start.value).toISOString(),
              ends_at: new Date(end.value).toISOString(), min_price_cents: Math.round(Number(minp.value) * 100), max_per_order: 8,
              on_sale_at: onSale.value ? new Date(onSale.value).toISOString() : undefined });
            location.hash = "#/session/" + s.id;
          } catch (err) { clear(out, errorBox(err)); }
        } }, t("create"))), out));
    };
    clear(target, el("div", { class: "row" }, el("h1", { class: "grow" }, t("nav.sessions")), venueSelect(async (v) => { venue = v; sessionStorage.setItem("admit.venue", v); await guarded(list, load); }, venue)), form, el("div", { class: "card scroll" }, list));
    await load();
  }

  async function sessionPage(target, id) {
    const [s, tiers, seats] = await Promise.all([api("GET", `/sessions/${id}`), api("GET", `/sessions/${id}/prices`), api("GET", `/sessions/${id}/seats`)]);
    const msg = el("div");
    // Prices
    const rows = el("tbody");
    const addRow = (tr) => {
      const name = el("input", { value: tr.name || "", "data-test": "tier-name" });
      const type = el("select", { "data-test": "tier-type" }, el("option", { value: "" }, "—"), seatTypes.map((x) => el("option", { value: x, selected: tr.seat_type === x }, x)));
      const section = el("input", { value: tr.section || "", size: 4 });
      const price = el("input", { type: "number", step: "0.01", value: tr.price_cents ? (tr.price_cents / 100).toFixed(2) : "", "data-test": "tier-price" });
      const r = el("tr", {}, el("td", {}, name), el("td", {}, type), el("td", {}, section), el("td", {}, price));
      r.read = () => ({ name: name.value, seat_type: type.value || undefined, section: section.value || undefined, price_cents: Math.round(Number(price.value) * 100) });
      rows.append(r);
    };
    (tiers.length ? tiers : [{ name: "Standard" }]).forEach(addRow);
    const savePrices = async () => {
      try { await api("PUT", `/sessions/${id}/prices`, { tiers: [...rows.children].map((r) => r.read()) }); clear(msg, el("p", { class: "okmsg", "data-test": "saved" }, t("saved"))); await refreshMap(); }
      catch (err) { clear(msg, errorBox(err)); }
    };
    // Seat map with categories
    const selected = new Set();
    const grid = el("div", { class: "seatmap", "data-test": "session-seatmap" });
    const selInfo = el("span", { class: "muted", "data-test": "selected" });
    const codes = { A: "available", H: "held", S: "sold", X: "out", R: "reserved", B: "held_back", N: "non_sale", "-": "unpriced" };
    // The map follows the session live (server-sent events): a sale or a
    // release at any till shows here as it commits.
    let availText = [];
    const live = el("span", { class: "badge", "data-test": "map-live" }, "…");
    const paintSeat = (b, x, i) => {
      const st = codes[availText[i]] || "";
      b.className = `seat ${x.type} ${x.state} s-${st} c-${x.category}` + (selected.has(x.seat_id) ? " sel" : "");
      b.title = `${x.label} · ${x.type} · ${st}${x.reserved_for ? " · " + x.reserved_for : ""}`;
      b.dataset.code = availText[i] || "";
    };
    const drawMap = () => {
      const maxCol = Math.max(1, ...seats.map((x) => x.col));
      const rowKeys = [...new Set(seats.map((x) => x.section + "/" + x.row_no))];
      grid.style.gridTemplateColumns = `repeat(${maxCol}, 26px)`;
      grid.replaceChildren(...seats.map((x, i) => {
        const b = el("button", { type: "button", "data-seat": x.seat_id, "data-label": x.label,
          onclick: () => { selected.has(x.seat_id) ? selected.delete(x.seat_id) : selected.add(x.seat_id); drawMap(); } }, String(x.col));
        paintSeat(b, x, i);
        b.style.gridColumn = String(x.col);
        b.style.gridRow = String(rowKeys.indexOf(x.section + "/" + x.row_no) + 1);
        return b;
      }));
      selInfo.textContent = t("selected", selected.size);
    };
    const ctl = new AbortController();
    A.followSeatMap(`/api/v1/sessions/${id}/availability/stream`, state.token, ctl.signal, (c, changes) => {
      availText = c;
      live.className = "badge ok"; live.textContent = t("live");
      if (!changes || grid.children.length !== seats.length) { drawMap(); return; }
      for (const [i] of changes) paintSeat(grid.children[i], seats[i], i);
    }, (err) => {
      if (err instanceof ApiError && err.status === 401) { logout(); return; }
      live.className = "badge warn"; live.textContent = t("reconnecting");
    });
    // Categories and prices change the seats themselves: read them again.
    const refreshMap = async () => {
      const ss = await api("GET", `/sessions/${id}/seats`);
      seats.splice(0, seats.length, ...ss); drawMap();
    };
    const customer = el("input", { placeholder: t("customer") }), until = el("input", { type: "datetime-local" }), reason = el("input", { placeholder: t("reason"), value: "portal" });
    const categorise = (category) => async () => {
      try {
        await api("POST", `/sessions/${id}/seat-categories`, { seat_ids: [...selected], category, reserved_for: category === "reserved" ? customer.value : "",
          reserved_until: category === "reserved" && until.value ? new Date(until.value).toISOString() : null, reason: reason.value });
        selected.clear(); await refreshMap(); clear(msg, el("p", { class: "okmsg" }, t("saved")));
      } catch (err) { clear(msg, errorBox(err)); }
    };
    // Postponing: the tickets stay valid at the new time and may be refunded until it starts.
    const local = (d) => new Date(new Date(d).getTime() - new Date(d).getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    const newStart = el("input", { type: "datetime-local", "data-test": "postpone-start", value: local(s.starts_at) });
    const newEnd = el("input", { type: "datetime-local", "data-test": "postpone-end", value: local(s.ends_at) });
    const why = el("input", { "data-test": "postpone-reason", placeholder: t("reason") });
    const postpone = el("div", { class: "card" }, el("h2", {}, t("postpone")), el("div", { class: "row" }, el("label", {}, t("starts"), newStart), el("label", {}, t("ends"), newEnd),
      el("label", {}, t("reason"), why), el("button", { type: "button", class: "secondary", "data-test": "postpone", onclick: async () => {
        try {
          await api("POST", `/sessions/${id}/postpone`, { starts_at: new Date(newStart.value).toISOString(), ends_at: new Date(newEnd.value).toISOString(), reason: why.value });
          await route();
        } catch (err) { clear(msg, errorBox(err)); }
      } }, t("postpone"))));
    clear(target, el("h1", {}, `${t("session")} #${s.id} · ${A.time(s.starts_at)} · ${s.status}`, s.postponed ? el("span", { class: "badge warn", "data-test": "postponed" }, " " + t("postponed")) : ""), msg,
      el("div", { class: "card scroll" }, el("h2", {}, t("prices")), el("table", {}, el("thead", {}, el("tr", {}, [t("tier"), t("seat.type"), t("section.code"), t("price")].map((h) => el("th", {}, h)))), rows),
        el("div", { class: "row" }, el("button", { type: "button", class: "secondary", onclick: () => addRow({}) }, t("add.tier")), el("button", { type: "button", onclick: savePrices, "data-test": "save-prices" }, t("save")))),
      quotaCard(s, tiers, msg),
      el("div", { class: "card" }, el("div", { class: "row" }, el("h2", { class: "grow" }, t("categories")), live),
        el("div", { class: "legend" }, ["available", "held", "sold"].map((k) => el("span", {}, el("span", { class: "seat s-" + k }), t(k === "available" ? "remaining" : k))),
          ["reserved", "held_back", "non_sale"].map((k) => el("span", {}, el("span", { class: "seat c-" + k }), k))),
        grid, el("div", { class: "row" }, selInfo, el("label", {}, t("customer"), customer), el("label", {}, t("until"), until), el("label", {}, t("reason"), reason),
          el("button", { type: "button", onclick: categorise("reserved") }, t("reserve")), el("button", { type: "button", onclick: categorise("held_back") }, t("hold.back")),
          el("button", { type: "button", onclick: categorise("non_sale") }, t("non.sale")), el("button", { type: "button", class: "secondary", onclick: categorise("sellable") }, t("release")))),
      s.status === "cancelled" ? "" : postpone);
    drawMap();
    const leave = () => ctl.abort();
    window.addEventListener("pagehide", leave);
    return () => { window.removeEventListener("pagehide", leave); leave(); };
  }

  function quotaCard(s, tiers, msg) {
    const rows = el("tbody");
    const add = (q) => {
      const ch = el("select", { "data-test": "quota-channel" }, ["pos", "kiosk", "web", "agency", "contract"].map((c) => el("option", { value: c, selected: q.channel === c }, c)));
      const tier = el("select", {}, el("option", { value: "0" }, t("all.tiers")), tiers.map((tr) => el("option", { value: tr.id, selected: q.tier_id === tr.id }, tr.name)));
      const limit = el("input", { type: "number", min: 0, value: q.limit ?? "", "data-test": "quota-limit" });
      // A quota of one party of the channel (an agency, a contract customer: "agency:12").
      const party = el("input", { value: q.party || "", size: 12, placeholder: "agency:12", "data-test": "quota-party" });
      const r = el("tr", {}, el("td", {}, ch), el("td", {}, tier), el("td", {}, limit), el("td", {}, party));
      r.read = () => ({ channel: ch.value, tier_id: Number(tier.value) || undefined, limit: Number(limit.value), party: party.value.trim() || undefined });
      rows.append(r);
    };
    (s.quotas || []).forEach(add);
    return el("div", { class: "card scroll" }, el("h2", {}, t("quotas")),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("channel")), el("th", {}, t("tier")), el("th", {}, t("limit")), el("th", {}, t("party")))), rows),
      el("div", { class: "row" }, el("button", { type: "button", class: "secondary", onclick: () => add({}) }, t("add.quota")),
        el("button", { type: "button", "data-test": "save-quotas", onclick: async () => {
          try { await api("PUT", `/sessions/${s.id}/quotas`, { quotas: [...rows.children].map((r) => r.read()) }); clear(msg, el("p", { class: "okmsg", "data-test": "saved" }, t("saved"))); }
          catch (err) { clear(msg, errorBox(err)); }
        } }, t("save"))));
  }

  // --- sales and refunds ------------------------------------------------
  async function salesPage(target) {
    const q = el("input", { "data-test": "order-query", placeholder: t("pickup.code") });
    const kind = el("select", {}, el("option", { value: "pickup_code" }, t("pickup.code")), el("option", { value: "ticket_number" }, t("ticket.number")), el("option", { value: "customer_name" }, t("customer.name")));
    const results = el("div");
    const search = async () => {
      await guarded(results, async () => {
        const orders = await api("GET", `/orders?${kind.value}=${encodeURIComponent(q.value.trim())}`);
        clear(results, orders.length ? orders.map(orderCard) : el("p", { class: "muted" }, t("none")));
      });
    };
    clear(target, el("h1", {}, t("find.orders")), el("form", { class: "row card", onsubmit: (e) => { e.preventDefault(); search(); } }, el("label", {}, t("filter"), kind), el("label", { class: "grow" }, t("search"), q),
      el("button", { type: "submit", "data-test": "order-search" }, t("search"))), results);
  }

  function orderCard(o) {
    const msg = el("div");
    return el("div", { class: "card", "data-order": o.id }, el("h2", {}, `${t("order")} #${o.id} · ${o.pickup_code} · ${o.status}`),
      el("p", {}, `${t("venue")}: ${venueName(o.venue_id)} · ${t("channel")}: ${o.channel} · ${t("total")}: ${A.money(o.total_cents)} · `,
        `${t("customer")}: `, el("span", { "data-test": "masked-name" }, A.maskName(o.customer_name) || "–"), ` · ${t("phone")}: `, el("span", { "data-test": "masked-phone" }, A.maskPhone(o.customer_phone) || "–")),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("ticket.number")), el("th", {}, t("seat")), el("th", { class: "num" }, t("price")), el("th", {}, t("status")))),
        el("tbody", {}, (o.tickets || []).map((tk) => el("tr", {}, el("td", {}, tk.number), el("td", {}, tk.seat_label), el("td", { class: "num" }, A.money(tk.price_cents)), el("td", {}, tk.status))))),
      // A real-name order's holders, by seat (names masked for a clerk, documents always).
      o.holders && o.holders.length ? el("p", {}, `${t("holder")}: `, o.holders.map((h, i) => {
        const seat = (o.seats || []).find((s) => s.seat_id === h.seat_id);
        return el("span", { "data-holder-seat": seat ? seat.label : String(h.seat_id) }, (i ? " · " : "") + `${seat ? seat.label : h.seat_id} ${h.name} ${h.doc_masked}`);
      })) : null,
      o.status === "paid" ? el("div", { class: "row" }, el("button", { type: "button", class: "secondary", "data-test": "request-refund", onclick: async () => {
        try { await api("POST", "/refunds", { order_id: o.id, reason: "portal" }); clear(msg, el("p", { class: "okmsg" }, t("refund.requested"))); }
        catch (err) { clear(msg, errorBox(err)); }
      } }, t("request.refund")), msg) : null);
  }

  async function refundsPage(target) {
    const list = el("div");
    const load = async () => {
      const rs = await api("GET", "/refunds?status=pending");
      clear(list, rs.length ? el("table", { "data-test": "refund-queue" }, el("thead", {}, el("tr", {}, [t("order"), t("venue"), t("amount"), t("fee"), t("reason"), t("requested"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rs.map((r) => {
          const msg = el("span");
          const decide = (verb) => async () => { try { await api("POST", `/refunds/${r.id}/${verb}`, { note: "portal" }); await load(); } catch (err) { clear(msg, errorBox(err)); } };
          return el("tr", { "data-refund": r.id }, el("td", {}, "#" + r.order_id), el("td", {}, venueName(r.venue_id)), el("td", { class: "num" }, A.money(r.amount_cents)),
            el("td", { class: "num", "data-test": "refund-fee" }, r.fee_cents ? A.money(r.fee_cents) : "—"), el("td", {}, r.reason),
            el("td", {}, A.time(r.created_at)), el("td", {}, el("button", { type: "button", onclick: decide("approve"), "data-test": "approve" }, t("approve")), " ",
              el("button", { type: "button", class: "danger", onclick: decide("reject") }, t("reject")), msg));
        }))) : el("p", { class: "muted" }, t("no.refunds")));
    };
    clear(target, el("h1", {}, t("nav.refunds"), " · ", t("pending")), el("div", { class: "card scroll" }, list));
    await load();
  }

  // --- reporting to the national data platform ---------------------------
  async function reportingPage(target) {
    const body = el("div");
    const canResend = state.me && ["platform_admin", "tenant_admin"].includes(state.me.role);
    let load = async () => {
      const o = await api("GET", "/reporting");
      const q = o.queue;
      const lag = q.pending ? Math.round(o.lag_s) + " s" + (o.lag_s > 60 ? " · " + t("rep.late") : "") : "–";
      clear(body, o.configured ? "" : el("p", { class: "error" }, t("rep.off")),
        el("div", { class: "tiles" }, tile(t("rep.pending"), q.pending, "rep-pending"), tile(t("rep.delivered"), q.delivered, "rep-delivered"),
          tile(t("rep.failing"), q.failing, "rep-failing"), tile(t("rep.refused"), q.refused, "rep-refused"), tile(t("rep.lag"), lag, "rep-lag")),
        q.last_error ? el("p", { class: "error", "data-test": "rep-last-error" }, q.last_error) : "",
        el("div", { class: "card scroll" }, o.attention.length ? el("table", { "data-test": "rep-attention" },
          el("thead", {}, el("tr", {}, [t("rep.serial"), t("rep.ticket"), t("rep.state"), t("rep.sends"), t("rep.answer"), t("last.error"), ""].map((h) => el("th", {}, h)))),
          el("tbody", {}, o.attention.map((r) => {
            const msg = el("span");
            const resend = async () => { try { await api("POST", `/reporting/reports/${r.id}/resend`); clear(msg, t("rep.queued")); await load(); } catch (err) { clear(msg, errorBox(err)); } };
            return el("tr", { "data-report": r.id }, el("td", {}, r.serial), el("td", {}, r.key), el("td", {}, r.state + (r.failures ? ` (${r.failures}×)` : "")),
              el("td", { class: "num" }, String(r.sends)), el("td", {}, r.answer || "–"), el("td", {}, r.last_error || ""),
              el("td", {}, canResend ? el("button", { type: "button", "data-test": "resend", onclick: resend }, t("rep.resend")) : "", msg));
          }))) : el("p", { class: "muted", "data-test": "rep-none" }, t("rep.none"))));
      return o;
    };
    const makeups = makeupSection();
    const days = el("div", { class: "card scroll" });
    const rcMsg = el("span", { "data-test": "rc-msg" });
    const reconcile = async (venueID, date) => {
      try {
        const r = await api("POST", "/reporting/reconcile", { venue_id: venueID, business_date: date });
        clear(rcMsg, `${r.business_date}: ${r.completeness_pct.toFixed(1)} %` + (r.resent ? ` · ${r.resent} ` + t("rc.missing") : ""));
        await load();
      } catch (err) { clear(rcMsg, errorBox(err)); }
    };
    const drawDays = (list) => clear(days, list.length ? el("table", { "data-test": "rc-days" },
      el("thead", {}, el("tr", {}, [t("mk.day"), t("venue"), t("rc.tickets"), t("rc.refunded"), t("rc.printed"), t("rc.admitted"), t("rc.records"),
        t("rc.platform"), t("rc.complete"), t("rc.diff"), ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, list.map((r) => {
        const diffs = [["missing", "rc.missing"], ["unknown", "rc.unknown"], ["unreported", "rc.unreported"], ["used_refunded", "rc.usedrefunded"]]
          .filter(([k]) => r[k] && r[k].length).map(([k, label]) => `${r[k].length} ${t(label)}: ${r[k].slice(0, 5).join(", ")}${r[k].length > 5 ? " …" : ""}`);
        return el("tr", { "data-day": r.business_date, "data-venue": r.venue_id }, el("td", {}, r.business_date), el("td", {}, venueName(r.venue_id)),
          ...[r.tickets, r.refunded, r.printed, r.admitted, r.records, r.platform].map((n) => el("td", { class: "num" }, String(n))),
          el("td", { class: "num rc-complete" + (r.completeness_pct < 98 ? " error" : "") }, r.completeness_pct.toFixed(1) + " %"),
          el("td", { class: "rc-diff" }, diffs.join("; ")),
          el("td", {}, canResend ? el("button", { type: "button", "data-test": "rc-run", onclick: () => reconcile(r.venue_id, r.business_date) }, t("rc.run")) : ""));
      }))) : el("p", { class: "muted", "data-test": "rc-none" }, t("rc.none")));
    const rcVenue = venueSelect(() => {}, (state.venues[0] || {}).id);
    const rcDate = el("input", { type: "date", "data-test": "rc-date" });
    const rcForm = canResend ? el("form", { onsubmit: (ev) => { ev.preventDefault(); reconcile(Number(rcVenue.value), rcDate.value); } },
      rcVenue, " ", rcDate, " ", el("button", { "data-test": "rc-go" }, t("rc.run")), " ", rcMsg) : "";
    const inner = load;
    load = async () => { const o = await inner(); drawDays(o.days || []); };
    clear(target, el("h1", {}, t("nav.reporting")), body, el("section", {}, el("h2", {}, t("rc.title")), rcForm, days), makeups.node);
    await load();
    await makeups.load();
    const timer = setInterval(() => { guarded(body, load); guarded(makeups.list, makeups.load); }, 2000);
    return () => clearInterval(timer);
  }

  // 补登: a manager records a late sale or refund with its evidence, another decides.
  function makeupSection() {
    const can = state.me && ["tenant_admin", "venue_manager"].includes(state.me.role);
    const list = el("div", { class: "card scroll" });
    const note = el("input", { "data-test": "mk-note", placeholder: t("mk.note"), size: 40 });
    // The film sessions, newest first (the cloud refuses one that has not started).
    const session = el("select", { "data-test": "mk-session" });
    Promise.all([api("GET", "/sessions"), api("GET", "/events")]).then(([ss, evs]) => {
      const films = new Map(evs.filter((e) => e.kind === "film").map((e) => [e.id, e.name]));
      clear(session, ss.filter((x) => films.has(x.event_id))
        .sort((a, b) => new Date(b.starts_at) - new Date(a.starts_at)).slice(0, 300)
        .map((x) => el("option", { value: x.id }, `${films.get(x.event_id)} · ${new Date(x.starts_at).toLocaleString()} · ${venueName(x.venue_id)} (#${x.id})`)));
    }).catch(() => {});
    const kind = el("select", { "data-test": "mk-kind" }, el("option", { value: "sale" }, t("mk.sale")), el("option", { value: "refund" }, t("mk.refund")));
    const items = el("input", { "data-test": "mk-items", size: 40 });
    const price = el("input", { type: "number", step: "0.01", min: "0", "data-test": "mk-price" });
    const evidence = el("textarea", { "data-test": "mk-evidence", rows: 2, cols: 50 });
    const msg = el("span", { "data-test": "mk-msg" });
    const load = async () => {
      const ms = await api("GET", "/reporting/makeups");
      clear(list, ms.length ? el("table", { "data-test": "mk-list" },
        el("thead", {}, el("tr", {}, ["#", t("mk.session"), t("mk.day"), t("mk.kind"), t("rep.ticket"), "¥", t("rep.state"), t("mk.by"), t("mk.evidence"), t("mk.due"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ms.map((m) => {
          const out = el("span");
          const decide = (verb) => async () => {
            try { await api("POST", `/reporting/makeups/${m.id}/${verb}`, { note: note.value }); note.value = ""; await load(); } catch (err) { clear(out, errorBox(err)); }
          };
          return el("tr", { "data-makeup": m.id }, el("td", {}, String(m.id)), el("td", {}, String(m.session_id)), el("td", {}, m.business_date), el("td", {}, m.kind),
            el("td", {}, m.lines.map((l) => l.seat_label + (l.ticket ? ` (${l.ticket})` : "")).join(", ")), el("td", { class: "num" }, A.money(m.amount_cents)),
            el("td", { class: "mk-state" }, m.state + (m.application ? ` (${m.application})` : "") + (m.reason ? ": " + m.reason : "")),
            el("td", {}, m.proposed_by), el("td", {}, m.evidence), el("td", {}, m.report_by ? new Date(m.report_by).toLocaleString() : ""),
            el("td", {}, can && m.state === "proposed" ? [el("button", { type: "button", "data-test": "mk-approve", onclick: decide("approve") }, t("mk.approve")), " ",
              el("button", { type: "button", "data-test": "mk-reject", onclick: decide("reject") }, t("mk.reject"))] : "", out));
        }))) : el("p", { class: "muted", "data-test": "mk-none" }, t("mk.none")));
    };
    const record = async (ev) => {
      ev.preventDefault();
      const words = items.value.split(",").map((x) => x.trim()).filter((x) => x);
      const body = { session_id: Number(session.value), kind: kind.value, evidence: evidence.value };
      if (kind.value === "sale") { body.seats = words; body.price_cents = Math.round(Number(price.value) * 100); } else { body.tickets = words; }
      try { const m = await api("POST", "/reporting/makeups", body); clear(msg, `#${m.id} ` + t("mk.recorded")); await load(); } catch (err) { clear(msg, errorBox(err)); }
    };
    const form = can ? el("form", { class: "card", onsubmit: record },
      el("label", {}, t("mk.session"), " ", session), " ", el("label", {}, t("mk.kind"), " ", kind), el("br"),
      el("label", {}, t("mk.items"), " ", items), " ", el("label", {}, t("mk.price"), " ", price), el("br"),
      el("label", {}, t("mk.evidence"), " ", evidence), " ", el("button", { "data-test": "mk-record" }, t("mk.record")), " ", msg) : "";
    return { list, load, node: el("section", {}, el("h2", {}, t("mk.title")), form, can ? el("p", {}, note) : "", list) };
  }

  // --- devices ----------------------------------------------------------
  async function devicesPage(target) {
    const list = el("div", { class: "card scroll" });
    const out = el("div");
    const venue = venueSelect(() => {}, (state.venues[0] || {}).id);
    const role = el("select", { "data-test": "dev-role" }, ["gate", "kiosk", "pos"].map((r) => el("option", { value: r }, r)));
    const name = el("input", { "data-test": "dev-name", required: true }), zone = el("input", { size: 8 }), prof = el("input", { placeholder: "printer/snbc-bt-t080-kiosk-80mm" });
    const load = async () => {
      const devs = await api("GET", "/devices");
      const now = Date.now();
      clear(list, el("table", { "data-test": "device-list" }, el("thead", {}, el("tr", {}, [t("name"), t("venue"), t("role"), t("status"), t("last.seen"), t("feed.lag"), t("outbox"), t("printer"), t("last.error"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, devs.map((d) => {
          const st = d.state || {};
          const online = d.status === "active" && d.last_seen && now - new Date(d.last_seen) < 60000;
          const badge = d.status !== "active" ? el("span", { class: "badge" }, d.status === "revoked" ? t("revoked") : d.status) : el("span", { class: "badge " + (online ? "ok" : "bad") }, t(online ? "online" : "offline"));
          return el("tr", { "data-device": d.id }, el("td", {}, d.name, el("div", { class: "muted" }, d.id)), el("td", {}, venueName(d.venue_id)), el("td", {}, d.role), el("td", {}, badge),
            el("td", {}, d.last_seen ? A.time(d.last_seen) : "–"), el("td", { class: "num" }, st.feed_lag || "–"), el("td", { class: "num" }, st.outbox_depth || "–"), el("td", {}, st.printer || "–"),
            el("td", { class: "muted" }, st.turnstile_error || st.scanner_error || st.rfid_error || ""),
            el("td", {}, d.status === "active" || d.status === "pending" ? el("button", { type: "button", class: "danger", "data-test": "revoke", onclick: async () => {
              if (!confirm(t("confirm.revoke", d.name))) return;
              try { await api("POST", `/devices/${d.id}/revoke`, { reason: "portal" }); await load(); } catch (err) { clear(out, errorBox(err)); }
            } }, t("revoke")) : null));
        }))));
    };
    clear(target, el("h1", {}, t("nav.devices")), el("div", { class: "card" }, el("h2", {}, t("register")), el("div", { class: "row" }, el("label", {}, t("venue"), venue), el("label", {}, t("role"), role),
      el("label", {}, t("name"), name), el("label", {}, t("zone"), zone), el("label", {}, t("profile"), prof),
      el("button", { type: "button", "data-test": "register", onclick: async () => {
        try {
          const r = await api("POST", "/devices", { venue_id: Number(venue.value), role: role.value, name: name.value, zone: zone.value, profile: prof.value });
          clear(out, el("p", {}, t("enroll.code") + ": ", el("span", { class: "code", "data-test": "enroll-code" }, r.enrollment_code)),
            el("p", { class: "muted" }, `admit-edge enroll -api ${location.origin} -code ${r.enrollment_code}`));
          await load();
        } catch (err) { clear(out, errorBox(err)); }
      } }, t("register"))), out), list);
    await load();
    const timer = setInterval(() => guarded(list, load), 5000);
    return () => clearInterval(timer);
  }

  // --- audit ------------------------------------------------------------
  async function auditPage(target) {
    const action = el("input", { placeholder: "refund.approve", size: 16 }), object = el("input", { placeholder: "order:12", size: 12 }), since = el("input", { type: "datetime-local" });
    const list = el("div", { class: "card scroll" });
    const verdict = el("div", { "data-test": "verify-result" });
    const load = async () => {
      const qs = new URLSearchParams({ limit: "200" });
      if (action.value) qs.set("action", action.value);
      if (object.value) qs.set("object", object.value);
      if (since.value) qs.set("since", new Date(since.value).toISOString());
      const entries = await api("GET", "/audit?" + qs);
      clear(list, el("table", { "data-test": "audit" }, el("thead", {}, el("tr", {}, ["#", t("when"), t("who"), t("action"), t("object"), t("reason"), t("approver"), t("before"), t("after")].map((h) => el("th", {}, h)))),
        el("tbody", {}, entries.slice().reverse().map((e) => el("tr", {}, el("td", {}, String(e.seq)), el("td", {}, A.time(e.at)), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.object),
          el("td", {}, e.reason || ""), el("td", {}, e.approver || ""), el("td", { class: "muted" }, short(e.before)), el("td", { class: "muted" }, short(e.after)))))));
    };
    clear(target, el("h1", {}, t("nav.audit")), el("form", { class: "card row", onsubmit: (e) => { e.preventDefault(); guarded(list, load); } },
      el("label", {}, t("action"), action), el("label", {}, t("object"), object), el("label", {}, t("since"), since), el("button", { type: "submit" }, t("filter")),
      el("button", { type: "button", class: "secondary", "data-test": "verify", onclick: async () => {
        try {
          const r = await api("GET", "/audit/verify");
          clear(verdict, r.ok ? el("p", { class: "okmsg" }, t("chain.ok", r.entries)) : el("p", { class: "error" }, t("chain.bad", r.break.Seq, r.break.Kind + (r.break.Detail ? ": " + r.break.Detail : ""))));
        } catch (err) { clear(verdict, errorBox(err)); }
      } }, t("verify.chain"))), verdict, list);
    await load();
  }
  function short(v) { if (v === undefined || v === null) return ""; const s = typeof v === "string" ? v : JSON.stringify(v); return s.length > 120 ? s.slice(0, 117) + "…" : s; }

  // --- system: users and devices online, throughput, safe ranges ------
  const sysMetrics = [["users_online", "sys.users"], ["pos_online", "sys.pos"], ["kiosks_online", "sys.kiosks"], ["gates_online", "sys.gates"],
    ["devices_offline", "sys.offline"], ["tickets_per_minute", "sys.rate"], ["reporting_lag_s", "sys.replag"], ["feed_lag", "sys.feedlag"]];
  async function systemPage(target) {
    const body = el("div", { "data-test": "system" });
    const status = el("span", { class: "badge" }, "…");
    const admin = ["platform_admin", "tenant_admin"].includes(state.me.role);
    const draw = (s) => {
      const bad = new Set(s.breaches.map((b) => b.metric));
      const fmt = (v) => Number.isInteger(v) ? String(v) : v.toFixed(1);
      const tiles = el("div", { class: "tiles" }, sysMetrics.map(([m, key]) => {
        const tl = tile(t(key), fmt(s.values[m] || 0), "sys-" + m);
        if (bad.has(m)) tl.classList.add("bad");
        return tl;
      }));
      const breaches = el("div", { class: "card" }, el("h2", {}, t("sys.breaches")), s.breaches.length
        ? el("ul", { "data-test": "breaches" }, s.breaches.map((b) => el("li", { class: "error", "data-metric": b.metric }, b.detail)))
        : el("p", { class: "okmsg", "data-test": "all-well" }, t("sys.allwell")));
      const chart = el("canvas", { class: "chart", width: 600, height: 160 });
      const now = new Date(s.at);
      const minutes = s.sales_by_minute.map((n, i) => ({ minute: new Date(now.getTime() - (s.sales_by_minute.length - 1 - i) * 60000).toISOString(), tickets: n }));
      const users = el("div", { class: "card scroll" }, el("h2", {}, t("sys.users"), " · ", String(s.users.length)),
        el("table", { "data-test": "online-users" }, el("thead", {}, el("tr", {}, [t("username"), t("role"), t("sys.since"), t("sys.last")].map((h) => el("th", {}, h)))),
          el("tbody", {}, s.users.map((u) => el("tr", { "data-user": u.username }, el("td", {}, u.username), el("td", {}, u.role), el("td", {}, A.time(u.since)), el("td", {}, A.time(u.last_seen)))))));
      const devices = el("div", { class: "card" }, el("h2", {}, t("devices")), el("table", { "data-test": "devices-by-role" }, el("tbody", {},
        Object.entries(s.devices).map(([role, c]) => el("tr", { "data-role": role }, el("td", {}, role), el("td", { class: "num" }, c.online + " / " + c.total), el("td", { class: "grow" }, barEl(c.total ? c.online / c.total : 0)))))));
      body.replaceChildren(tiles, breaches, el("div", { class: "grid2" }, el("div", { class: "card" }, el("h2", {}, t("sys.last15")), chart), devices), users, rangesCard(s.ranges));
      drawRate(chart, minutes);
      status.className = "badge ok"; status.textContent = t("updated", A.clock(s.at));
    };
    const rangesCard = (ranges) => {
      const by = Object.fromEntries(ranges.map((r) => [r.metric, r]));
      const msg = el("div");
      const inputs = sysMetrics.map(([m, key]) => {
        const mk = (v, bound) => el("input", { type: "number", min: 0, step: "any", value: v === undefined ? "" : String(v), disabled: !admin, "data-range": m + "." + bound, size: 6 });
        return [m, key, mk((by[m] || {}).min, "min"), mk((by[m] || {}).max, "max")];
      });
      const form = el("form", { class: "card", onsubmit: async (e) => {
        e.preventDefault();
        const out = [];
        for (const [m, , lo, hi] of inputs) {
          if (lo.value === "" && hi.value === "") continue;
          const r = { metric: m };
          if (lo.value !== "") r.min = Number(lo.value);
          if (hi.value !== "") r.max = Number(hi.value);
          out.push(r);
        }
        try { await api("PUT", "/system/ranges", out); clear(msg, el("p", { class: "okmsg", "data-test": "ranges-saved" }, t("saved"))); await load(); }
        catch (err) { clear(msg, errorBox(err)); }
      } }, el("h2", {}, t("sys.ranges")),
      el("table", {}, el("thead", {}, el("tr", {}, [t("sys.metric"), t("sys.min"), t("sys.max")].map((h) => el("th", {}, h)))),
        el("tbody", {}, inputs.map(([, key, lo, hi]) => el("tr", {}, el("td", {}, t(key)), el("td", {}, lo), el("td", {}, hi))))),
      admin ? el("button", { type: "submit", "data-test": "save-ranges" }, t("save")) : "", msg);
      return form;
    };
    const load = async () => draw(await api("GET", "/system"));
    clear(target, el("div", { class: "row" }, el("h1", { class: "grow" }, t("nav.system")), status), body);
    await load();
    // The figures move on their own (devices drop, minutes pass): refresh
    // every 10 s while the page is shown, but never under a person typing.
    const timer = setInterval(() => { if (!body.contains(document.activeElement)) load().catch(() => {}); }, 10000);
    return () => clearInterval(timer);
  }

  // --- presales ----------------------------------------------------------
  // A presale by lottery: created here with its seed's commitment, locked
  // after closing, drawn, settled (winners captured, the rest voided) and
  // given seats. Each step is the API's; the page only offers the next one.
  async function presalesPage(target) {
    const venue = Number(sessionStorage.getItem("admit.venue")) || (state.venues[0] || {}).id;
    const manager = managers.includes(state.me.role);
    const list = el("div"), detail = el("div"), msg = el("div");
    const step = (p, path, label) => el("button", { type: "button", "data-test": "ps-" + path + "-" + p.id, onclick: async () => {
      try {
        const r = await api("POST", `/presales/${p.id}/${path}`);
        clear(msg, el("p", { class: "okmsg", "data-test": "ps-done" }, t("ps.done", label + (r && r.state ? " · " + r.state : ""))));
        await load();
      } catch (err) { clear(msg, errorBox(err)); }
    } }, label);
    const actions = (p) => {
      if (!manager) return "";
      switch (p.state) {
        case "open": return step(p, "lock", t("ps.lock"));
        case "locked": return step(p, "draw", t("ps.draw"));
        case "drawn": return step(p, "settle", t("ps.settle"));
        case "settled": return step(p, "assign", t("ps.assign"));
      }
      return "";
    };
    const show = async (p) => {
      const apps = await api("GET", `/presales/${p.id}/applications`);
      clear(detail, el("div", { class: "card scroll" }, el("h2", {}, p.name, " · ", t("ps.apps"), " · ", String(apps.length)),
        el("p", { class: "muted mono" }, t("ps.commit"), ": ", p.commitment),
        el("table", { "data-test": "ps-apps" }, el("thead", {}, el("tr", {}, [t("ps.ref"), t("name"), t("ps.qty"), t("ps.state"), t("ps.rank"), t("order")].map((h) => el("th", {}, h)))),
          el("tbody", {}, apps.map((a) => el("tr", { "data-ref": a.ref }, el("td", { class: "mono" }, a.ref), el("td", {}, a.name), el("td", { class: "num" }, String(a.quantity)),
            el("td", { "data-test": "app-state" }, a.state), el("td", { class: "num" }, a.rank ? String(a.rank) : ""), el("td", {}, a.order_id ? "#" + a.order_id : "")))))));
    };
    const load = async () => {
      const ps = await api("GET", "/presales");
      clear(list, ps.length ? el("table", { "data-test": "ps-list" }, el("thead", {}, el("tr", {}, [t("name"), t("session"), t("ps.tickets"), t("ps.closes"), t("ps.state"), t("action"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ps.map((p) => el("tr", { "data-presale": p.id }, el("td", {}, el("a", { href: "javascript:void 0", onclick: () => show(p).catch((err) => clear(detail, errorBox(err))) }, p.name)),
          el("td", {}, "#" + p.session_id), el("td", { class: "num" }, String(p.tickets)), el("td", {}, A.time(p.closes_at)), el("td", { "data-test": "ps-state" }, p.state),
          el("td", {}, actions(p)), el("td", {}, el("a", { href: "/shop/#/presale/" + p.id, target: "_blank", "data-test": "ps-public-" + p.id }, t("ps.results")))))))
        : el("p", { class: "muted" }, t("ps.none")));
    };
    const form = el("div");
    if (manager && venue) {
      const sessions = await api("GET", `/sessions?venue_id=${venue}`);
      const ss = el("select", { "data-test": "ps-session" }, sessions.map((s) => el("option", { value: s.id }, "#" + s.id + " · " + A.time(s.starts_at))));
      const tier = el("select", { "data-test": "ps-tier" });
      const tiers = async () => clear(tier, ...(ss.value ? await api("GET", `/sessions/${ss.value}/prices`) : []).map((p) => el("option", { value: p.id }, p.name + " · " + A.money(p.price_cents))));
      ss.addEventListener("change", () => tiers().catch(() => {}));
      await tiers();
      const name = el("input", { "data-test": "ps-name", required: true }), tickets = el("input", { type: "number", min: 1, value: "100", "data-test": "ps-tickets" });
      const per = el("input", { type: "number", min: 1, max: 20, value: "2", size: 3, "data-test": "ps-per" }), named = el("input", { type: "checkbox", "data-test": "ps-named" });
      const opens = el("input", { type: "datetime-local", "data-test": "ps-opens", required: true }), closes = el("input", { type: "datetime-local", "data-test": "ps-closes", required: true });
      // Optional: winners pick their own seats until then; after it the system assigns them.
      const choice = el("input", { type: "datetime-local", "data-test": "ps-choice" });
      const chans = el("select", { "data-test": "ps-channels" }, el("option", { value: "page,shop" }, t("ps.ch.both")),
        el("option", { value: "shop" }, t("ps.ch.shop")), el("option", { value: "page" }, t("ps.ch.page")));
      const out = el("div");
      clear(form, el("form", { class: "card", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("POST", "/presales", { session_id: Number(ss.value), tier_id: Number(tier.value), name: name.value, tickets: Number(tickets.value), per_person: Number(per.value),
            named_holders: named.checked, opens_at: new Date(opens.value).toISOString(), closes_at: new Date(closes.value).toISOString(),
            choice_until: choice.value ? new Date(choice.value).toISOString() : undefined, channels: chans.value.split(",") });
          clear(out); await load();
        } catch (err) { clear(out, errorBox(err)); }
      } }, el("h2", {}, t("ps.new")), el("div", { class: "row" }, el("label", {}, t("session"), ss), el("label", {}, t("tier"), tier), el("label", {}, t("name"), name),
        el("label", {}, t("ps.tickets"), tickets), el("label", {}, t("ps.per"), per), el("label", {}, named, " ", t("ps.named")),
        el("label", {}, t("ps.opens"), opens), el("label", {}, t("ps.closes"), closes), el("label", {}, t("ps.choice"), choice), el("label", {}, t("ps.channels"), chans),
        el("button", { type: "submit", "data-test": "ps-create" }, t("create"))), out));
    }
    clear(target, el("h1", {}, t("nav.presales")), msg, list, detail, form);
    await load();
  }

  // --- identity reviews -------------------------------------------------
  // Documents the identity provider cannot check online (permits,
  // passports) wait here for a person who has seen the document.
  async function reviewsPage(target) {
    const msg = el("div"), list = el("div");
    const load = async () => {
      const rs = await api("GET", "/identity-reviews");
      clear(list, rs.length ? el("table", { "data-test": "reviews" }, el("thead", {}, el("tr", {}, [t("when"), t("name"), t("rv.doc"), t("rv.reason"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rs.map((r) => {
          const why = el("input", { "data-test": "reason-" + r.id, size: 16 });
          const decide = (verb) => async () => {
            try { await api("POST", `/identity-reviews/${r.id}/${verb}`, { reason: why.value }); clear(msg); await load(); } catch (err) { clear(msg, errorBox(err)); }
          };
          return el("tr", { "data-identity": r.id }, el("td", {}, A.time(r.created_at)), el("td", {}, r.name), el("td", {}, r.doc_type + " " + r.doc_masked), el("td", {}, why),
            el("td", {}, el("button", { type: "button", "data-test": "approve-" + r.id, onclick: decide("approve") }, t("approve")), " ",
              el("button", { type: "button", class: "secondary", "data-test": "reject-" + r.id, onclick: decide("reject") }, t("reject"))));
        }))) : el("p", { class: "muted", "data-test": "no-reviews" }, t("rv.none")));
    };
    clear(target, el("h1", {}, t("nav.reviews")), msg, list);
    await load();
  }

  // --- messages ---------------------------------------------------------
  async function messagesPage(target) {
    const manager = managers.includes(state.me.role);
    const filter = el("select", { "data-test": "msg-filter" }, [["", t("msg.all")], ["queued", "queued"], ["sent", "sent"], ["failed", "failed"]].map(([v, l]) => el("option", { value: v }, l)));
    const list = el("div"), msg = el("div");
    const load = async () => {
      const ms = await api("GET", "/messages" + (filter.value ? "?state=" + filter.value : ""));
      clear(list, ms.length ? el("div", { class: "card scroll" }, el("table", { "data-test": "msg-list" },
        el("thead", {}, el("tr", {}, [t("when"), t("channel"), t("msg.to"), t("msg.tpl"), t("msg.state"), t("msg.tries"), t("last.error"), t("msg.body"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ms.map((m) => el("tr", { "data-key": m.key }, el("td", {}, A.time(m.created_at)), el("td", {}, m.channel), el("td", { class: "mono" }, m.recipient),
          el("td", {}, m.template), el("td", { "data-test": "msg-state" }, m.state), el("td", { class: "num" }, String(m.attempts)), el("td", {}, m.last_error || ""),
          el("td", { class: "grow" }, m.body),
          el("td", {}, manager && m.state === "failed" ? el("button", { type: "button", "data-test": "msg-resend-" + m.id, onclick: async () => {
            try { await api("POST", `/messages/${m.id}/resend`); await load(); } catch (err) { clear(msg, errorBox(err)); }
          } }, t("msg.resend")) : "")))))) : el("p", { class: "muted" }, t("msg.none")));
    };
    filter.addEventListener("change", () => load().catch((err) => clear(msg, errorBox(err))));
    clear(target, el("div", { class: "row" }, el("h1", { class: "grow" }, t("nav.messages")), filter), msg, list);
    await load();
  }

  // --- print preview ----------------------------------------------------
  async function previewPage(target, number) {
    const n = el("input", { value: number || "", size: 26, "data-test": "preview-number" });
    const paper = el("select", {}, el("option", { value: "80" }, "80 mm"), el("option", { value: "58" }, "58 mm"));
    const out = el("div");
    const show = async () => {
      const r = await fetch(`/api/v1/tickets/${encodeURIComponent(n.value.trim())}/preview.png?paper=${paper.value}`, { headers: { Authorization: "Bearer " + state.token } });
      if (!r.ok) { clear(out, errorBox(new ApiError(r.status, await r.json().catch(() => null)))); return; }
      clear(out, el("img", { class: "preview", src: URL.createObjectURL(await r.blob()), alt: n.value, "data-test": "preview" }));
    };
    clear(target, el("h1", {}, t("nav.preview")), el("p", { class: "muted" }, t("preview.hint")),
      el("form", { class: "row card", onsubmit: (e) => { e.preventDefault(); show(); } }, el("label", {}, t("ticket.number"), n), el("label", {}, t("paper"), paper), el("button", { type: "submit", "data-test": "show-preview" }, t("show"))), out);
    if (number) await show();
  }

  route();
})();
