// The notification bell: its unread count rises live when a job alert matches.
(function () {
  "use strict";
  const bell = document.getElementById("bell");
  if (!bell || !window.PortalLive) return;
  const count = bell.querySelector(".bell-count");
  window.PortalLive.connect().subscribe("me", (event) => {
    if (event.event !== "notification") return;
    const unread = Number(event.data.unread) || Number(count.textContent || 0) + 1;
    count.textContent = String(unread);
    count.hidden = unread === 0;
    bell.classList.add("ring");
    setTimeout(() => bell.classList.remove("ring"), 1500);
  }, { since: Number(bell.dataset.since) || null });
})();
