// What every device screen shares: the agent's status, the online/offline
// indicator and banner, the title and the language switch.
"use strict";
window.D = (() => {
  const { el, t } = A;
  A.addWords({
    "online": ["Online", "在线"], "offline": ["Offline", "离线"],
    "banner.pos": ["OFFLINE: sales disabled. Tickets cannot be sold until the cloud is reachable.", "离线：暂停售票。连接恢复前不能售票。"],
    "banner.kiosk": ["Offline: printing tickets already sent to this kiosk still works.", "离线：已同步到本机的票仍可打印。"],
    "banner.gate": ["Offline: admitting from this gate's ticket list.", "离线：按本机票据名单检票。"],
  });
  let status = null;
  const listeners = [];
  async function poll() {
    try {
      status = await A.call("GET", "/status");
    } catch { status = Object.assign({}, status || {}, { connected: false }); }
    listeners.forEach((f) => f(status));
  }
  function start(role, titleKey) {
    const title = document.getElementById("title"), net = document.getElementById("net"), banner = document.getElementById("offline");
    document.getElementById("lang").append(A.langToggle());
    const paint = () => {
      title.textContent = t(titleKey);
      banner.textContent = t("banner." + role);
      if (!status) return;
      document.body.classList.toggle("offline", !status.connected);
      net.className = "badge " + (status.connected ? "ok" : "bad");
      net.textContent = t(status.connected ? "online" : "offline");
      net.setAttribute("data-test", "net");
    };
    listeners.push(paint);
    A.whenLang(paint);
    paint();
    poll();
    setInterval(poll, 1000);
  }
  return { start, onStatus: (f) => listeners.push(f), status: () => status, poll };
})();
