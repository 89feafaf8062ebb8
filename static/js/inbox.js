// The alerts page's inbox, live: a notification arriving on the `me` channel is listed at once
// (the bell counts it, bell.js shows the toast), and a job taken down while the page is open
// is said to be removed instead of leaving a link to "not found".
(function () {
  "use strict";
  const inbox = document.getElementById("inbox");
  const list = document.getElementById("inbox-list");
  if (!inbox || !list || !window.PortalLive) return;
  const labels = JSON.parse(inbox.dataset.labels || "{}");

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(href, text) {
    const anchor = element("a", "", text);
    anchor.href = href;
    return anchor;
  }

  function add(data) {
    // A replay (a resumed socket) may bring what the page was rendered with.
    if (list.querySelector('li[data-note-id="' + Number(data.id) + '"]')) return;
    const item = element("li", "unread arrived");
    item.dataset.noteId = data.id;
    if (data.job_id) item.dataset.jobId = data.job_id;
    if (data.kind === "application") {
      item.append(link(data.url, labels.application.replace("%(title)s", data.title)));
      const status = labels.statuses[data.status];
      if (status) item.append(" ", element("span", "app-status status-" + data.status, status));
    } else {
      item.append(link(data.url, data.title));
    }
    const when = element("time");
    when.dateTime = new Date().toISOString();
    when.dataset.relative = "";
    const muted = element("span", "muted small");
    muted.append(when);
    item.append(" ", muted);
    if (window.PortalWhen) window.PortalWhen.refresh(when);
    list.prepend(item);
    document.getElementById("inbox-empty").hidden = true;
    document.getElementById("inbox-read").hidden = false;
  }

  function removed(jobId) {
    for (const item of list.querySelectorAll('li[data-job-id="' + Number(jobId) + '"]')) {
      const anchor = item.querySelector("a");
      if (!anchor) continue;
      anchor.replaceWith(element("span", "note-title", anchor.textContent), " ", element("span", "note-removed", labels.removed));
    }
  }

  const live = window.PortalLive.connect();
  live.subscribe("me", (event) => {
    if (event.event === "notification") add(event.data || {});
  });
  live.subscribe(
    "jobs",
    (event) => {
      if (event.event === "job.deleted") removed(event.data.id);
    },
    { since: Number(inbox.dataset.sinceJobs) || null }
  );
})();
