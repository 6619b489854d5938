// The portal's pages for the big events' business: agencies and their API
// keys, settlement with partners, the ticket inventory, and contract
// customers' representatives. portal.js adds them to its menu with the
// helpers they share (ctx: api, errorBox, state, venueSelect, download).
"use strict";
(() => {
  const { el, clear, t } = A;
  A.addWords({
    "nav.agencies": ["Agencies", "代理商"], "nav.settlement": ["Settlement", "结算"], "nav.inventory": ["Inventory", "票库盘点"], "nav.contract": ["Contract orders", "大客户订票"],
    "ag.code": ["Code", "代码"], "ag.commission": ["Commission (basis points)", "佣金（万分比）"], "ag.fee": ["Service fee per ticket (fen)", "每张服务费（分）"],
    "ag.rate": ["Requests per second per key", "每个密钥每秒请求"], "ag.enabled": ["Enabled", "启用"], "ag.keys": ["API keys", "API 密钥"], "ag.newkey": ["New key", "新建密钥"],
    "ag.token": ["The key (shown once: give it to the agency now)", "密钥（仅显示一次，请立即交给代理商）"], "ag.rotate": ["Rotate", "轮换"], "ag.grace": ["Old key works for (hours)", "旧密钥保留（小时）"],
    "ag.revoke": ["Revoke", "吊销"], "ag.prefix": ["Key", "密钥"], "ag.ends": ["Ends", "失效"], "ag.current": ["current", "有效"], "ag.none": ["No agency yet.", "暂无代理商。"],
    "ag.disable": ["Disable", "停用"], "ag.enable": ["Enable", "启用"],
    "st.partner": ["Partner", "合作方"], "st.from": ["From", "开始"], "st.to": ["To", "结束"], "st.run": ["Settle", "结算"], "st.gross": ["Gross", "票款"],
    "st.commission": ["Commission", "佣金"], "st.fees": ["Fees", "服务费"], "st.net": ["Net due", "应结金额"], "st.state": ["State", "状态"],
    "st.close": ["Close", "关账"], "st.lines": ["Lines", "明细"], "st.none": ["No settlement run yet.", "暂无结算批次。"], "st.kind": ["Kind", "类型"],
    "st.statement": ["Reconcile the partner's statement for the period (CSV: order_id,reference,amount_cents)", "与合作方对账单核对（CSV：order_id,reference,amount_cents）"],
    "st.reconcile": ["Reconcile", "对账"], "st.diffs": ["Differences", "差异"], "st.ours": ["Ours", "我方"], "st.theirs": ["Theirs", "对方"], "st.run.of": ["Run", "批次"],
    "st.note": ["How it was resolved", "处理说明"], "st.resolve": ["Resolve", "处理"], "st.agree": ["The statement agrees with the runs.", "对账单与结算一致。"],
    "diff.missing_in_run": ["we settled none", "我方未结算"], "diff.missing_in_statement": ["not in their statement", "对方未列出"], "diff.amount_differs": ["amounts differ", "金额不符"],
    "inv.asof": ["As of", "截至"], "inv.seats": ["Seats", "座位"], "inv.sold": ["Sold", "已售"], "inv.unsold": ["Unsold", "未售"], "inv.nonsale": ["Not for sale", "不可售"],
    "inv.production": ["Production", "制票"], "inv.use": ["Use", "使用"], "inv.share": ["Kept from the public", "非公开比例"], "inv.csv": ["CSV now", "导出当前"],
    "inv.daily": ["Daily CSV", "日报 CSV"], "inv.weekly": ["Weekly CSV", "周报 CSV"],
    "inv.exports": ["Exports taken (daily and weekly, kept as taken)", "已生成的盘点报表（日报、周报，按生成时原样保存）"], "inv.period": ["Period", "周期"],
    "inv.channels": ["Tickets by channel", "各渠道票数"], "inv.anomalies": ["Against the channels' sales", "与渠道销售核对"], "inv.agree": ["agree", "一致"],
    "inv.file": ["File", "文件"], "inv.none": ["No export taken yet: the server takes them each day.", "暂无报表：系统每天自动生成。"],
    "ct.sessions": ["Sessions with quotas", "可订场次与配额"], "ct.left": ["Left", "剩余"], "ct.track.all": ["all customers", "全部大客户"], "ct.track.mine": ["yours", "本客户"],
    "ct.order": ["Order", "订票"], "ct.qty": ["Quantity", "数量"], "ct.orders": ["Orders", "订单"], "ct.seat": ["Assign seats", "分配座位"],
    "ct.names": ["Holders (CSV: doc_type,doc_number,name)", "持票人（CSV：证件类型,证件号,姓名）"], "ct.upload": ["Upload holders", "上传持票人"],
    "ct.deadline": ["Names due", "实名截止"], "ct.report": ["Report", "购票报表"], "ct.paid": ["Paid", "已付款"], "ct.none": ["No order yet.", "暂无订单。"],
    "ct.notices": ["Notices", "通知"], "ct.notices.none": ["No notice.", "暂无通知。"], "ct.post": ["Post a notice", "发布通知"], "ct.title": ["Title", "标题"], "ct.body": ["Text", "内容"],
    "ct.to": ["To", "发给"], "ct.to.all": ["all customers", "全部大客户"], "ct.print": ["Print tickets", "打印门票"], "ct.reprint": ["Print again (lost paper)", "补打（原票遗失）"],
    "ct.sheet": ["Tickets to print: one per holder", "待打印门票（每位持票人一张）"], "ct.holder": ["Holder", "持票人"], "ct.print.now": ["Print this sheet", "打印本页"],
  });

  const money = A.money;

  // --- agencies (tenant admin) -------------------------------------------
  const agenciesPage = (ctx) => async (target) => {
    const list = el("div", { "data-test": "ag-list" }), keys = el("div"), msg = el("div");
    // showKeys draws an agency's keys, and a token just made: the only
    // time it is shown.
    const showKeys = async (a, token) => {
      const ks = await ctx.api("GET", `/agencies/${a.id}/keys`);
      const out = el("div");
      if (token) out.append(el("p", { class: "okmsg" }, t("ag.token"), ": ", el("code", { "data-test": "ag-token" }, token)));
      const grace = el("input", { type: "number", min: 0, max: 168, value: "0", size: 4, "data-test": "ag-grace" });
      clear(keys, el("div", { class: "card" }, el("h2", {}, a.name, " · ", t("ag.keys")),
        el("table", { "data-test": "ag-keys" }, el("thead", {}, el("tr", {}, [t("ag.prefix"), t("name"), t("ag.ends"), t("action")].map((h) => el("th", {}, h)))),
          el("tbody", {}, ks.map((k) => el("tr", { "data-key": k.id }, el("td", { class: "mono" }, "agk_" + k.prefix + "_…"), el("td", {}, k.label),
            el("td", { "data-test": "ag-ends" }, k.ends_at ? A.time(k.ends_at) : t("ag.current")),
            el("td", {}, k.ends_at ? "" : [
              el("button", { type: "button", class: "secondary", "data-test": "ag-rotate-" + k.id, onclick: () => ctx.guard(out, async () => {
                const nk = await ctx.api("POST", `/agencies/${a.id}/keys/${k.id}/rotate`, { grace_hours: Number(grace.value) }); await showKeys(a, nk.token); }) }, t("ag.rotate")),
              el("button", { type: "button", class: "secondary", "data-test": "ag-revoke-" + k.id, onclick: () => ctx.guard(out, async () => {
                await ctx.api("POST", `/agencies/${a.id}/keys/${k.id}/revoke`); await showKeys(a); }) }, t("ag.revoke"))]))))),
        el("div", { class: "row" }, el("label", {}, t("ag.grace"), grace),
          el("button", { type: "button", "data-test": "ag-newkey", onclick: () => ctx.guard(out, async () => {
            const nk = await ctx.api("POST", `/agencies/${a.id}/keys`, { label: "" }); await showKeys(a, nk.token); }) }, t("ag.newkey"))), out));
    };
    const load = async () => {
      const as = await ctx.api("GET", "/agencies");
      clear(list, as.length ? el("table", {}, el("thead", {}, el("tr", {}, [t("ag.code"), t("name"), t("ag.commission"), t("ag.fee"), t("ag.rate"), t("ag.enabled"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, as.map((a) => el("tr", { "data-agency": a.id }, el("td", { class: "mono" }, a.code),
          el("td", {}, el("a", { href: "javascript:void 0", "data-test": "ag-open-" + a.code, onclick: () => showKeys(a).catch((err) => clear(keys, ctx.errorBox(err))) }, a.name)),
          el("td", { class: "num" }, String(a.commission_bp)), el("td", { class: "num" }, String(a.service_fee_cents)), el("td", { class: "num" }, String(a.rate_per_second)),
          el("td", { "data-test": "ag-enabled" }, a.enabled ? "✓" : "✗"),
          el("td", {}, el("button", { type: "button", class: "secondary", "data-test": "ag-toggle-" + a.code, onclick: () => ctx.guard(msg, async () => {
            await ctx.api("PUT", `/agencies/${a.id}`, { ...a, enabled: !a.enabled }); await load(); }) }, a.enabled ? t("ag.disable") : t("ag.enable")))))))
        : el("p", { class: "muted" }, t("ag.none")));
    };
    const code = el("input", { "data-test": "ag-code", required: true, size: 10 }), name = el("input", { "data-test": "ag-name", required: true });
    const bp = el("input", { type: "number", min: 0, max: 10000, value: "300", "data-test": "ag-bp", size: 6 });
    const fee = el("input", { type: "number", min: 0, value: "0", "data-test": "ag-fee", size: 6 });
    const rate = el("input", { type: "number", min: 1, value: "20", "data-test": "ag-rate", size: 6 });
    const form = el("form", { class: "card", onsubmit: (e) => { e.preventDefault(); ctx.guard(msg, async () => {
      await ctx.api("POST", "/agencies", { code: code.value, name: name.value, enabled: true, commission_bp: Number(bp.value), service_fee_cents: Number(fee.value), rate_per_second: Number(rate.value) });
      clear(msg); await load(); }); } },
      el("div", { class: "row" }, el("label", {}, t("ag.code"), code), el("label", {}, t("name"), name), el("label", {}, t("ag.commission"), bp), el("label", {}, t("ag.fee"), fee),
        el("label", {}, t("ag.rate"), rate), el("button", { type: "submit", "data-test": "ag-create" }, t("create"))), msg);
    clear(target, el("h1", {}, t("nav.agencies")), form, el("div", { class: "card scroll" }, list), keys);
    await load();
  };

  // --- settlement (tenant admin, finance) ---------------------------------
  const settlementPage = (ctx) => async (target) => {
    const runs = el("div"), lines = el("div"), msg = el("div"), diffs = el("div");
    const partners = await ctx.api("GET", "/settlement/partners");
    const party = el("select", { "data-test": "st-party" }, partners.map((p) => el("option", { value: p.party }, p.name + " (" + p.party + ")")));
    const day = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    const from = el("input", { type: "datetime-local", "data-test": "st-from", value: day(new Date(Date.now() - 86400000)) });
    // To: empty settles up to the moment of the click.
    const to = el("input", { type: "datetime-local", "data-test": "st-to" });
    // showDiffs lists differences from a statement, each resolved by
    // finance with a note (audited).
    const showDiffs = (ds, reload) => clear(diffs, el("div", { class: "card scroll" }, el("h2", {}, t("st.diffs")), ds.length ? el("table", { "data-test": "st-diffs" },
      el("thead", {}, el("tr", {}, [t("order"), t("st.kind"), t("st.ours"), t("st.theirs"), t("st.run.of"), t("st.note")].map((h) => el("th", {}, h)))),
      el("tbody", {}, ds.map((d) => {
        const note = el("input", { size: 24, "data-test": "st-note-" + d.id }), out = el("span");
        return el("tr", { "data-diff": d.id }, el("td", {}, "#" + d.order_id), el("td", {}, t("diff." + d.kind)), el("td", { class: "num" }, money(d.ours_cents)),
          el("td", { class: "num" }, money(d.theirs_cents)), el("td", {}, "#" + d.run_id),
          el("td", { "data-test": "st-resolution" }, d.resolved_at ? [d.note, el("span", { class: "muted" }, " · ", d.resolved_by)] : [note,
            el("button", { type: "button", class: "secondary", "data-test": "st-resolve-" + d.id, onclick: () => ctx.guard(out, async () => {
              await ctx.api("POST", `/settlement/diffs/${d.id}/resolve`, { note: note.value }); await reload(); }) }, t("st.resolve")), out]));
      }))) : el("p", { class: "okmsg" }, t("st.agree"))));
    const show = async (id) => {
      const r = await ctx.api("GET", `/settlement/runs/${id}`);
      const reload = async () => showDiffs(await ctx.api("GET", `/settlement/runs/${id}/diffs`), reload);
      await reload();
      clear(lines, el("div", { class: "card scroll" }, el("h2", {}, r.name, " · ", t("st.lines")),
        el("button", { type: "button", class: "secondary", onclick: () => ctx.download(`/settlement/runs/${id}/lines.csv`, `settlement-${id}.csv`) }, "CSV"),
        el("table", { "data-test": "st-lines" }, el("thead", {}, el("tr", {}, [t("st.kind"), t("order"), t("tickets"), t("st.gross"), t("st.commission"), t("st.fees"), t("st.net")].map((h) => el("th", {}, h)))),
          el("tbody", {}, (r.lines || []).map((l) => el("tr", {}, el("td", {}, l.kind), el("td", {}, "#" + l.order_id), el("td", { class: "num" }, String(l.tickets)),
            el("td", { class: "num" }, money(l.gross_cents)), el("td", { class: "num" }, money(l.commission_cents)), el("td", { class: "num" }, money(l.fee_cents)), el("td", { class: "num" }, money(l.net_cents))))))));
    };
    const load = async () => {
      const rs = await ctx.api("GET", "/settlement/runs");
      clear(runs, rs.length ? el("table", { "data-test": "st-runs" }, el("thead", {}, el("tr", {}, [t("st.partner"), t("st.from"), t("st.to"), t("tickets"), t("st.gross"), t("st.net"), t("st.state"), ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rs.map((r) => el("tr", { "data-run": r.id }, el("td", {}, el("a", { href: "javascript:void 0", onclick: () => show(r.id).catch((err) => clear(lines, ctx.errorBox(err))) }, r.name)),
          el("td", {}, A.time(r.from)), el("td", {}, A.time(r.to)), el("td", { class: "num" }, String(r.totals.tickets)), el("td", { class: "num" }, money(r.totals.gross_cents)),
          el("td", { class: "num", "data-test": "st-net" }, money(r.totals.net_cents)), el("td", { "data-test": "st-state" }, r.state),
          el("td", {}, r.state === "open" ? el("button", { type: "button", class: "secondary", "data-test": "st-close-" + r.id, onclick: () => ctx.guard(msg, async () => {
            await ctx.api("POST", `/settlement/runs/${r.id}/close`); await load(); }) }, t("st.close")) : "")))))
        : el("p", { class: "muted" }, t("st.none")));
    };
    const form = el("form", { class: "card", onsubmit: (e) => { e.preventDefault(); ctx.guard(msg, async () => {
      const r = await ctx.api("POST", "/settlement/runs", { party: party.value, from: new Date(from.value).toISOString(), to: (to.value ? new Date(to.value) : new Date()).toISOString() });
      clear(msg); await load(); await show(r.id); }); } },
      el("div", { class: "row" }, el("label", {}, t("st.partner"), party), el("label", {}, t("st.from"), from), el("label", {}, t("st.to"), to),
        el("button", { type: "submit", "data-test": "st-create" }, t("st.run"))), msg);
    // A statement for a period: the runs must settle it whole.
    const text = el("textarea", { rows: 4, cols: 50, "data-test": "st-statement" }, "order_id,reference,amount_cents\n");
    const file = el("input", { type: "file", accept: ".csv,text/csv", onchange: async () => { if (file.files[0]) text.value = await file.files[0].text(); } });
    const smsg = el("div");
    const reconcile = el("form", { class: "card", onsubmit: (e) => { e.preventDefault(); ctx.guard(smsg, async () => {
      const q = `party=${encodeURIComponent(party.value)}&from=${encodeURIComponent(new Date(from.value).toISOString())}&to=${encodeURIComponent((to.value ? new Date(to.value) : new Date()).toISOString())}`;
      const path = `/settlement/statement?${q}`;
      const reload = async () => {
        // Each run's differences, resolved or not, after the statement.
        const all = await Promise.all([...new Set(ds.map((d) => d.run_id))].map((id) => ctx.api("GET", `/settlement/runs/${id}/diffs`)));
        showDiffs(all.flat(), reload);
      };
      const ds = await ctx.api("POST", path, text.value, "text/csv");
      clear(smsg); showDiffs(ds, reload); }); } },
      el("p", {}, t("st.statement")), el("div", { class: "row" }, text, file, el("button", { type: "submit", "data-test": "st-reconcile" }, t("st.reconcile"))), smsg);
    clear(target, el("h1", {}, t("nav.settlement")), form, el("div", { class: "card scroll" }, runs), reconcile, diffs, lines);
    await load();
  };

  // --- inventory ------------------------------------------------------------
  const inventoryPage = (ctx) => async (target) => {
    if (!ctx.state.venues.length) { clear(target, el("p", {}, t("none"))); return; }
    let venue = Number(sessionStorage.getItem("admit.venue")) || ctx.state.venues[0].id;
    if (!ctx.state.venues.some((v) => v.id === venue)) venue = ctx.state.venues[0].id;
    const body = el("div");
    const counts = (m) => Object.entries(m || {}).map(([k, v]) => k + " " + v).join(", ");
    const load = async () => {
      const inv = await ctx.api("GET", `/venues/${venue}/inventory`);
      clear(body, el("p", { class: "muted" }, t("inv.asof"), " ", A.time(inv.as_of)),
        el("div", { class: "row" }, ["", "daily", "weekly"].map((p) => el("button", { type: "button", class: "secondary", "data-test": "inv-csv-" + (p || "now"),
          onclick: () => ctx.download(`/venues/${venue}/inventory.csv${p ? "?period=" + p : ""}`, `inventory-${venue}${p ? "-" + p : ""}.csv`) }, t(p ? "inv." + p : "inv.csv")))),
        el("div", { class: "card scroll" }, el("table", { "data-test": "inv-table" }, el("thead", {}, el("tr", {}, [t("session"), t("inv.seats"), t("inv.sold"), t("inv.unsold"), t("inv.nonsale"),
          t("inv.production"), t("inv.use"), t("inv.share")].map((h) => el("th", {}, h)))),
        el("tbody", {}, inv.sessions.map((s) => el("tr", { "data-session": s.session_id }, el("td", {}, "#" + s.session_id), el("td", { class: "num", "data-test": "inv-seats" }, String(s.seats)),
          el("td", { class: "num", "data-test": "inv-sold" }, String(s.sold)), el("td", { class: "num" }, String(s.unsold)), el("td", { class: "num" }, String(s.not_for_sale)),
          el("td", {}, counts(s.produced)), el("td", {}, counts(s.use)),
          el("td", { class: s.public_share.warning ? "error" : "", "data-test": "inv-share", title: s.public_share.warning || "" }, s.public_share.non_public_percent + " %",
            s.public_share.warning ? " ⚠" : "")))))));
      // The exports the server took: each file as it was, and where the
      // inventory and the channels' sales disagreed.
      const es = await ctx.api("GET", `/venues/${venue}/inventory/exports`);
      body.append(el("div", { class: "card scroll" }, el("h2", {}, t("inv.exports")), es.length ? el("table", { "data-test": "inv-exports" },
        el("thead", {}, el("tr", {}, [t("inv.period"), t("inv.asof"), t("inv.seats"), t("inv.sold"), t("inv.channels"), t("inv.anomalies"), t("inv.file")].map((h) => el("th", {}, h)))),
        el("tbody", {}, es.map((e) => el("tr", { "data-export": e.id }, el("td", {}, t("inv." + e.period)), el("td", {}, A.time(e.as_of)), el("td", { class: "num" }, String(e.seats)),
          el("td", { class: "num" }, String(e.sold)), el("td", {}, counts(e.channels)),
          el("td", { class: e.anomalies.length ? "error" : "", "data-test": "inv-anomalies" }, e.anomalies.length ? e.anomalies.map((a) => el("div", {}, "⚠ ", a.message)) : t("inv.agree")),
          el("td", {}, el("button", { type: "button", class: "secondary", title: "SHA-256 " + e.sha256, "data-test": "inv-export-" + e.id,
            onclick: () => ctx.download(`/venues/${venue}/inventory/exports/${e.id}`, `inventory-${venue}-${e.period}-${e.as_of.slice(0, 10)}.csv`).catch((err) => body.append(ctx.errorBox(err))) },
          "CSV · ", el("span", { class: "mono" }, e.sha256.slice(0, 12)))))))) : el("p", { class: "muted" }, t("inv.none"))));
    };
    clear(target, el("h1", {}, t("nav.inventory")), el("div", { class: "row" }, ctx.venueSelect((v) => { venue = v; sessionStorage.setItem("admit.venue", v); load().catch((err) => clear(body, ctx.errorBox(err))); }, venue)), body);
    await load();
  };

  // --- contract customers' representatives -----------------------------------
  const contractPage = (ctx) => async (target) => {
    const notices = el("div"), sessions = el("div"), orders = el("div"), report = el("div"), msg = el("div"), sheet = el("div", { class: "print-sheet" });
    const staff = ctx.state.me.role !== "customer_rep";
    // The tickets of a paid order, printed at the customer's office: each
    // names its holder, with its QR code for the gate.
    const showSheet = (ts) => clear(sheet, el("div", { class: "card", "data-test": "ct-print-sheet" }, el("div", { class: "row no-print" }, el("h2", { class: "grow" }, t("ct.sheet")),
      el("button", { type: "button", onclick: () => window.print() }, t("ct.print.now"))),
      el("div", { class: "tickets-sheet" }, ts.map((tk) => el("div", { class: "paper-ticket", "data-ticket": tk.number },
        el("div", {}, el("strong", {}, tk.event), el("div", {}, tk.venue, " · ", tk.hall), el("div", {}, A.time(tk.starts_at)),
          el("div", { class: "big-seat" }, tk.seat), el("div", {}, t("ct.holder"), ": ", el("span", { "data-test": "ct-holder" }, tk.holder), " · ", tk.document),
          el("div", { class: "mono" }, tk.number), el("div", {}, money(tk.price_cents))),
        el("img", { src: tk.qr_image, alt: tk.number, width: 160, height: 160 }))))));
    const print = (o, out, reprint) => ctx.guard(out, async () => {
      try {
        const ts = await ctx.api("POST", `/contract/orders/${o.id}/print${reprint ? "?reprint=true" : ""}`);
        clear(out); showSheet(ts); sheet.scrollIntoView();
      } catch (err) {
        if (err.code !== "already_printed") throw err;
        clear(out, ctx.errorBox(err), el("button", { type: "button", class: "secondary", "data-test": "ct-reprint-" + o.id, onclick: () => print(o, out, true) }, t("ct.reprint")));
      }
    });
    const loadNotices = async () => {
      const ns = await ctx.api("GET", "/contract/notices");
      const form = [];
      if (staff) {
        const cs = await ctx.api("GET", "/contract/customers");
        const to = el("select", { "data-test": "ct-notice-to" }, el("option", { value: "0" }, t("ct.to.all")), cs.map((c) => el("option", { value: c.id }, c.name)));
        const title = el("input", { size: 30, maxlength: 120, "data-test": "ct-notice-title" }), body = el("textarea", { rows: 2, cols: 40, "data-test": "ct-notice-body" });
        const nmsg = el("div");
        form.push(el("form", { class: "row", onsubmit: (e) => { e.preventDefault(); ctx.guard(nmsg, async () => {
          await ctx.api("POST", "/contract/notices", { customer_id: Number(to.value), title: title.value, body: body.value }); title.value = ""; body.value = ""; await loadNotices(); }); } },
          el("label", {}, t("ct.to"), to), el("label", {}, t("ct.title"), title), el("label", {}, t("ct.body"), body), el("button", { type: "submit", "data-test": "ct-notice-post" }, t("ct.post"))), nmsg);
      }
      clear(notices, el("div", { class: "card" }, el("h2", {}, t("ct.notices")),
        ns.length ? el("ul", { "data-test": "ct-notices" }, ns.map((n) => el("li", { class: n.reminder ? "error" : "", "data-notice": n.reminder ? "reminder" : "posted" },
          el("strong", {}, n.title), " · ", n.body, el("span", { class: "muted" }, " · ", A.time(n.created_at))))) : el("p", { class: "muted" }, t("ct.notices.none")), ...form));
    };
    const load = async () => {
      await loadNotices();
      const ss = await ctx.api("GET", "/contract/sessions");
      // One choice per session and price level with a quota.
      const choices = [...new Set(ss.flatMap((s) => s.quotas.filter((q) => q.tier_id > 0).map((q) => s.session_id + ":" + q.tier_id)))];
      const starts = Object.fromEntries(ss.map((s) => [s.session_id, s.starts_at]));
      const sel = el("select", { "data-test": "ct-session" }, choices.map((c) => el("option", { value: c }, "#" + c.split(":")[0] + " · " + A.time(starts[c.split(":")[0]]) + " · " + t("tier") + " #" + c.split(":")[1])));
      const qty = el("input", { type: "number", min: 1, value: "2", size: 4, "data-test": "ct-qty" });
      clear(sessions, el("div", { class: "card scroll" }, el("h2", {}, t("ct.sessions")),
        el("table", { "data-test": "ct-sessions" }, el("thead", {}, el("tr", {}, [t("session"), t("starts"), t("ct.deadline"), t("tier"), t("limit"), t("ct.left")].map((h) => el("th", {}, h)))),
          el("tbody", {}, ss.flatMap((s) => s.quotas.map((q) => el("tr", { "data-session": s.session_id }, el("td", {}, "#" + s.session_id), el("td", {}, A.time(s.starts_at)), el("td", {}, A.time(s.deadline)),
            el("td", {}, q.tier_id ? "#" + q.tier_id : t("all.tiers"), " · ", t(q.track === "mine" ? "ct.track.mine" : "ct.track.all")), el("td", { class: "num" }, String(q.limit)),
            el("td", { class: "num", "data-test": "ct-left-" + q.track }, String(q.left))))))),
        el("form", { class: "row", onsubmit: (e) => { e.preventDefault(); ctx.guard(msg, async () => {
          const [sid, tid] = sel.value.split(":").map(Number);
          await ctx.api("POST", "/contract/orders", { session_id: sid, tier_id: tid, quantity: Number(qty.value) }); clear(msg); await load(); }); } },
          el("label", {}, t("session"), sel), el("label", {}, t("ct.qty"), qty), el("button", { type: "submit", "data-test": "ct-order" }, t("ct.order"))), msg));
      const os = await ctx.api("GET", "/contract/orders");
      clear(orders, el("div", { class: "card scroll" }, el("h2", {}, t("ct.orders")), os.length ? el("table", { "data-test": "ct-orders" },
        el("thead", {}, el("tr", {}, [t("order"), t("session"), t("ct.qty"), t("status"), t("ct.deadline"), t("action")].map((h) => el("th", {}, h)))),
        el("tbody", {}, os.map((o) => {
          const out = el("div");
          const names = el("textarea", { rows: 3, cols: 40, "data-test": "ct-names-" + o.id }, "doc_type,doc_number,name\n");
          const act = o.state === "ordered" ? el("button", { type: "button", "data-test": "ct-seat-" + o.id, onclick: () => ctx.guard(out, async () => { await ctx.api("POST", `/contract/orders/${o.id}/seats`, {}); await load(); }) }, t("ct.seat"))
            : (o.state === "seated" || o.state === "named") ? el("div", {}, el("label", {}, t("ct.names"), names),
              el("button", { type: "button", "data-test": "ct-upload-" + o.id, onclick: () => ctx.guard(out, async () => { await ctx.api("POST", `/contract/orders/${o.id}/holders`, names.value, "text/csv"); await load(); }) }, t("ct.upload")))
            : o.state === "paid" ? el("button", { type: "button", "data-test": "ct-print-" + o.id, onclick: () => print(o, out, false) }, t("ct.print"))
            : "";
          return el("tr", { "data-order": o.id }, el("td", {}, "#" + o.id), el("td", {}, "#" + o.session_id), el("td", { class: "num" }, String(o.quantity)),
            el("td", { "data-test": "ct-state" }, o.state, o.holders && o.holders.length ? " · " + o.holders.map((h) => h.name).join(", ") : ""), el("td", {}, A.time(o.deadline)), el("td", {}, act, out));
        }))) : el("p", { class: "muted" }, t("ct.none"))));
      const rs = await ctx.api("GET", "/contract/report");
      clear(report, el("div", { class: "card scroll" }, el("h2", {}, t("ct.report")), el("table", { "data-test": "ct-report" },
        el("thead", {}, el("tr", {}, [t("customer"), t("session"), t("ct.orders"), t("ct.paid"), t("amount")].map((h) => el("th", {}, h)))),
        el("tbody", {}, rs.map((r) => el("tr", {}, el("td", {}, r.customer), el("td", {}, "#" + r.session_id), el("td", { class: "num" }, String(r.ordered)),
          el("td", { class: "num" }, String(r.paid)), el("td", { class: "num" }, money(r.paid_cents))))))));
    };
    clear(target, el("h1", {}, t("nav.contract")), notices, sessions, orders, report, sheet);
    await load();
  };

  A.extraPages = [
    ["agencies", "nav.agencies", agenciesPage, ["tenant_admin"]],
    ["settlement", "nav.settlement", settlementPage, ["tenant_admin", "finance"]],
    ["inventory", "nav.inventory", inventoryPage, ["platform_admin", "tenant_admin", "venue_manager", "auditor", "finance"]],
    ["contract", "nav.contract", contractPage, ["customer_rep", "tenant_admin", "venue_manager"]],
  ];
})();
