// The gate's handheld screen: scan (a keyboard-wedge scanner types into the
// field and ends with Enter) and see a big green or red answer with the
// reason; counters of admitted and rejected; offline indicator.
"use strict";
(() => {
  const { el, t, clear } = A;
  A.addWords({
    "title.gate": ["Gate", "检票"], "scan.here": ["Scan a ticket", "请扫描票码"], "admit.ok": ["ADMIT", "请通行"], "admit.no": ["STOP", "禁止通行"],
    "admitted": ["Admitted", "已入场"], "rejected": ["Rejected", "已拒绝"], "ready": ["Ready", "就绪"], "no.passage": ["Opened, nobody passed", "已开闸，无人通过"],
    "r.ok": ["Welcome", "欢迎入场"], "r.bad_signature": ["Invalid ticket: the code has been altered", "无效票：票码被篡改"],
    "r.unknown_key": ["Invalid ticket: not issued by this venue's box office", "无效票：非本场馆售出"], "r.malformed": ["Not a ticket code", "不是票码"],
    "r.wrong_venue": ["This ticket is for another venue", "此票不属于本场馆"], "r.wrong_date": ["This ticket is for another day", "此票不是今天的"],
    "r.wrong_session_time": ["Not valid at this time", "未到检票时间或已结束"], "r.wrong_zone": ["Please use another entrance", "请走其他入口"],
    "r.already_admitted": ["Ticket already used", "此票已检"], "r.refunded": ["Ticket refunded or replaced", "此票已退或已换"],
    "r.not_admitted": ["Ticket was not used to enter", "此票未入场"], "r.unknown_session": ["Unknown session: ask staff", "场次未知，请咨询工作人员"],
    "r.session_cancelled": ["Session cancelled", "场次已取消"], "r.cache_rebuilding": ["Gate is updating its ticket list: please wait or ask staff", "检票机正在更新名单，请稍候"],
    "r.unknown_card": ["Card not recognised", "卡片未识别"], "o.no_passage": ["No passage: your ticket is still valid, please scan again", "未通过：票仍有效，请重新扫码"],
    "o.device_fault": ["Gate device offline: please ask staff", "闸机故障，请咨询工作人员"],
  });
  const input = el("input", { class: "codebox", autofocus: true, autocomplete: "off", "data-test": "scan", "aria-label": "scan" });
  const result = el("div", { class: "result idle", "data-test": "result" });
  const admitted = el("div", { class: "n", "data-test": "admitted" }, "0"), rejected = el("div", { class: "n", "data-test": "rejected" }, "0");
  let last = null, lastAt = "";
  const show = (r) => {
    last = r;
    const ok = r.admit;
    result.className = "result " + (ok ? "ok" : "bad");
    const why = r.outcome === "no_passage" || r.outcome === "device_fault" ? t("o." + r.outcome) : (A.getLang() === "zh" ? t("r." + r.reason) : r.message || t("r." + r.reason));
    clear(result, el("div", { class: "head", "data-test": "verdict" }, t(ok ? "admit.ok" : "admit.no")), el("div", { class: "why", "data-test": "reason" }, why),
      r.seat_label ? el("div", {}, r.seat_label) : null, r.number ? el("div", { class: "muted" }, r.number) : null);
  };
  const idle = () => { result.className = "result idle"; clear(result, el("div", { class: "head" }, t("ready")), el("div", { class: "why" }, t("scan.here"))); };
  idle();
  input.addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const qr = input.value;
    input.value = "";
    if (!qr.trim()) return;
    try {
      const r = await A.call("POST", "/validate", { qr });
      lastAt = r.at;
      show(r);
    } catch (err) {
      show({ admit: false, reason: err.code, message: err.message, outcome: "device_fault" });
    }
    D.poll();
  });
  D.onStatus((s) => {
    admitted.textContent = String(s.admitted || 0);
    rejected.textContent = String((s.rejected || 0) + (s.no_passage || 0));
    // A read on the gate's own scanner or card reader shows here too.
    if (s.last_scan && s.last_scan.at !== lastAt) { lastAt = s.last_scan.at; show(s.last_scan); }
  });
  A.whenLang(() => { if (last) show(last); else idle(); });
  clear(document.getElementById("main"), el("label", { class: "grow" }, t("scan.here"), input), result,
    el("div", { class: "counters" }, el("div", { class: "tile" }, admitted, el("div", {}, t("admitted"))), el("div", { class: "tile" }, rejected, el("div", {}, t("rejected")))));
  document.addEventListener("click", () => input.focus());
  D.start("gate", "title.gate");
})();
