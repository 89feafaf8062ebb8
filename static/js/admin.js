// The admin dashboard's live activity stream: job and upload events as they happen.
(function () {
  "use strict";
  const list = document.getElementById("live-activity");
  if (!list || !window.PortalLive) return;
  const labels = JSON.parse(list.dataset.labels || "{}");
  const MAX_ITEMS = 50;

  function describe(event) {
    const data = event.data || {};
    const name = data.title || data.filename || (data.id !== undefined ? "#" + data.id : "");
    // A cancel travels as upload.failed (code "cancelled"), but it is no failure.
    const kind = event.event === "upload.failed" && data.code === "cancelled" ? "upload.cancelled" : event.event;
    return (labels[kind] || event.event) + (name ? ": " + name : "");
  }

  function add(event) {
    if (event.event === "reload" || event.event === "upload.progress") return;
    const item = document.createElement("li");
    item.className = "arrived";
    const time = document.createElement("time");
    time.dateTime = event.at;
    time.textContent = new Date(event.at).toLocaleTimeString();
    item.append(time, " ", describe(event));
    list.prepend(item);
    list.hidden = false;
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
  }

  const live = window.PortalLive.connect();
  const since = Number(list.dataset.since) || null;
  live.subscribe("jobs", add, { since: since });
  live.subscribe("uploads", add, { since: Number(list.dataset.sinceUploads) || null });
})();
