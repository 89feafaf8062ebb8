// The notification bell: its unread count rises live when a job alert matches or an
// application moves, and a toast says what arrived. The toasts sit in a polite status region
// made at load (so screen readers already watch it), never take the focus, close with their
// button or Escape, and leave by themselves after a while unless pointed at or focused.
(function () {
  "use strict";
  const bell = document.getElementById("bell");
  if (!bell || !window.PortalLive) return;
  const count = bell.querySelector(".bell-count");
  const labels = JSON.parse(bell.dataset.labels || "{}");
  const TOAST_MS = 10000;
  const MAX_TOASTS = 3;

  const region = document.createElement("div");
  region.className = "toasts";
  region.id = "toasts";
  region.setAttribute("role", "status");
  document.body.append(region);

  function message(data) {
    if (data.kind === "application") {
      const status = (labels.statuses || {})[data.status];
      return labels.application.replace("%(title)s", data.title) + (status ? ": " + status : "");
    }
    if (data.kind === "job_alert") return labels.job_alert.replace("%(title)s", data.title);
    return data.title || "";
  }

  function dismiss(toast) {
    clearTimeout(toast.timer);
    toast.remove();
  }

  function later(toast) {
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => {
      if (toast.matches(":hover, :focus-within")) later(toast);
      else dismiss(toast);
    }, TOAST_MS);
  }

  function toast(data) {
    const item = document.createElement("div");
    item.className = "toast";
    const text = document.createElement("p");
    text.textContent = message(data) + " ";
    if (data.url) {
      const link = document.createElement("a");
      link.href = data.url;
      link.textContent = labels.view;
      text.append(link);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", labels.dismiss);
    close.textContent = "×";
    close.addEventListener("click", () => dismiss(item));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Escape") dismiss(item);
    });
    item.append(text, close);
    region.append(item);
    while (region.children.length > MAX_TOASTS) dismiss(region.firstElementChild);
    later(item);
  }

  window.PortalLive.connect().subscribe("me", (event) => {
    if (event.event !== "notification") return;
    const unread = Number(event.data.unread) || Number(count.textContent || 0) + 1;
    count.textContent = String(unread);
    count.hidden = unread === 0;
    bell.classList.add("ring");
    setTimeout(() => bell.classList.remove("ring"), 1500);
    toast(event.data || {});
  }, { since: Number(bell.dataset.since) || null });
})();
