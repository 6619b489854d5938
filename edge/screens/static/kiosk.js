// The pickup kiosk: enter a pickup code (or scan the order QR), see the
// tickets, print them with progress; plain-word errors in both languages.
"use strict";
(() => {
  const { el, t, clear } = A;
  A.addWords({
    "title.kiosk": ["Ticket pickup", "自助取票"], "enter.code": ["Enter your pickup code or scan the order QR", "请输入取票码或扫描订单二维码"],
    "find": ["Find my tickets", "查找"], "clear": ["Clear", "清除"], "print.all": ["Print tickets", "打印票"], "printing": ["Printing {0} of {1}…", "正在打印第 {0} 张，共 {1} 张…"],
    "printed.all": ["Done: please take your tickets", "打印完成，请取票"], "already": ["printed", "已打印"], "refunded.tag": ["refunded", "已退"],
    "e.invalid_code": ["That is not a pickup code: it has 8 letters and digits", "取票码格式不对：应为 8 位字母和数字"],
    "e.not_found": ["No tickets found for this code: please check it or ask at the box office", "未找到该取票码的票，请核对或咨询售票处"],
    "e.already_printed": ["This ticket has already been printed: please ask staff for a reprint", "此票已打印，如需补打请咨询工作人员"],
    "e.refunded": ["This ticket was refunded or replaced and cannot be printed", "此票已退或已换，不能打印"],
    "e.printer": ["The printer has a problem ({0}): your ticket was not printed. Please ask staff; it can be printed again.", "打印机故障（{0}），票未打印。请咨询工作人员，可重新打印。"],
    "p.out of paper": ["out of paper", "缺纸"], "p.cover open": ["cover open", "纸仓盖未关"], "p.printer not answering": ["printer not answering", "打印机无响应"],
    "p.printer disconnected": ["printer disconnected", "打印机未连接"], "p.printer offline": ["printer offline", "打印机离线"],
    "seat": ["Seat", "座位"], "no": ["No.", "票号"],
  });
  const alphabet = "34679ACDEFGHJKMNPQRTUVWXY";
  const code = el("input", { class: "codebox", maxlength: 80, autocomplete: "off", "data-test": "code", autofocus: true });
  const out = el("div", { "data-test": "kiosk-out" });
  const msg = el("div", { "data-test": "kiosk-msg" });
  const errorText = (err) => err.code === "printer" ? t("e.printer", t("p." + err.problem)) : (t("e." + err.code) !== "e." + err.code ? t("e." + err.code) : err.message);
  let items = [];
  const render = () => {
    const printable = items.filter((i) => !i.Refunded && !i.Printed);
    clear(out, items.length ? el("div", { class: "card" }, el("ul", { class: "tickets" }, items.map((i) => el("li", { "data-ticket": i.Number },
      `${t("seat")} ${i.SeatLabel} · ${t("no")} ${i.Number} `, i.Printed ? el("span", { class: "badge ok" }, t("already")) : null, i.Refunded ? el("span", { class: "badge bad" }, t("refunded.tag")) : null))),
      printable.length ? el("button", { class: "big", type: "button", "data-test": "print", onclick: () => printAll(printable) }, t("print.all")) : null) : null);
  };
  const find = async () => {
    clear(msg);
    try { items = await A.call("GET", "/pickup/" + encodeURIComponent(code.value.trim())); render(); }
    catch (err) { items = []; render(); clear(msg, el("p", { class: "error", "data-test": "kiosk-error" }, errorText(err))); }
  };
  const printAll = async (list) => {
    const bar = el("div");
    const label = el("p", { "data-test": "progress" });
    clear(msg, el("div", { class: "progress" }, bar), label);
    for (let i = 0; i < list.length; i++) {
      label.textContent = t("printing", i + 1, list.length);
      bar.style.width = (100 * i / list.length) + "%";
      try { await A.call("POST", "/print", { number: list[i].Number }); list[i].Printed = 1; }
      catch (err) { render(); clear(msg, el("p", { class: "error", "data-test": "kiosk-error" }, errorText(err))); return; }
    }
    bar.style.width = "100%";
    label.textContent = t("printed.all");
    label.className = "okmsg";
    render();
  };
  code.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); find(); } });
  const keypad = el("div", { class: "keypad" }, [...alphabet].map((c) => el("button", { type: "button", onclick: () => { code.value += c; code.focus(); } }, c)),
    el("button", { type: "button", "aria-label": "delete", "data-test": "backspace", onclick: () => { code.value = code.value.slice(0, -1); code.focus(); } }, "⌫"));
  const draw = () => clear(document.getElementById("main"), el("h1", {}, t("enter.code")), code, keypad,
    el("div", { class: "row" }, el("button", { class: "big", type: "button", "data-test": "find", onclick: find }, t("find")),
      el("button", { class: "big secondary", type: "button", onclick: () => { code.value = ""; items = []; render(); clear(msg); } }, t("clear"))), msg, out);
  A.whenLang(() => { draw(); render(); });
  draw();
  D.start("kiosk", "title.kiosk");
})();
