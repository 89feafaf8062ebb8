// Applications, live both ways: the applicant's "My applications" follows an admin's moves
// (application.updated on the `me` channel); the admins' pipeline and dashboard show new
// applications and moves as they happen (the admin-only `applications` channel).
// Everything a user typed is set with textContent, never as HTML.
(function () {
  "use strict";
  if (!window.PortalLive) return;
  const OPEN = ["submitted", "reviewing", "interview", "offer"];
  const HIGHLIGHT_MS = 4000;

  function setStatus(badge, status, labels) {
    badge.className = "app-status status-" + status;
    badge.textContent = labels[status] || status;
  }

  function highlight(element) {
    element.classList.add("arrived");
    setTimeout(() => element.classList.remove("arrived"), HIGHLIGHT_MS);
  }

  function followMine(root) {
    const labels = JSON.parse(root.dataset.labels || "{}");
    window.PortalLive.connect().subscribe("me", (event) => {
      if (event.event !== "application.updated") return;
      const data = event.data || {};
      const item = root.querySelector('[data-application-id="' + Number(data.id) + '"]');
      if (!item) return;
      item.dataset.status = data.status;
      setStatus(item.querySelector(".app-status"), data.status, labels);
      const updated = item.querySelector("time.updated");
      if (updated && data.updated_at) {
        updated.dateTime = data.updated_at;
        updated.textContent = new Date(data.updated_at).toLocaleString();
      }
      if (!OPEN.includes(data.status)) {
        const withdraw = item.querySelector("form.withdraw");
        if (withdraw) withdraw.remove();
      }
      highlight(item);
    }, { since: Number(root.dataset.since) || null });
  }

  function followAdmin(root) {
    const labels = JSON.parse(root.dataset.labels || "{}");
    const list = root.querySelector("#applicant-list");
    const empty = root.querySelector("#applicants-empty");
    const note = root.querySelector("#applications-live");
    const onlyJob = Number(root.dataset.jobId) || null;
    const onlyStatus = root.dataset.status || null;
    const limit = Number(root.dataset.limit) || null;
    const pickable = root.tagName === "FORM";

    function bump(status, by) {
      for (const key of ["all", status]) {
        const count = document.querySelector('.status-tabs [data-count="' + key + '"]');
        if (count) count.textContent = String(Math.max(0, Number(count.textContent) + by));
      }
    }

    function detailUrl(id) {
      return root.dataset.detailUrl.replace(/\/0$/, "/" + id);
    }

    function row(data) {
      const item = document.createElement("li");
      item.className = "applicant";
      item.dataset.applicationId = String(data.id);
      item.dataset.status = data.status;
      if (pickable) {
        const pick = document.createElement("input");
        pick.type = "checkbox";
        pick.name = "ids";
        pick.value = String(data.id);
        pick.setAttribute("aria-label", data.applicant);
        item.append(pick);
      }
      const main = document.createElement("div");
      main.className = "applicant-main";
      const name = document.createElement("a");
      name.className = "applicant-name";
      name.href = detailUrl(data.id);
      name.textContent = data.applicant;
      main.append(name);
      if (!onlyJob) {
        const job = document.createElement("span");
        job.className = "applicant-job";
        job.textContent = data.job_title + (data.company ? " · " + data.company : "");
        main.append(job);
      }
      const when = document.createElement("span");
      when.className = "muted small";
      const time = document.createElement("time");
      time.dateTime = data.created_at;
      time.textContent = new Date(data.created_at).toLocaleString();
      when.append(time);
      main.append(when);
      const badge = document.createElement("span");
      setStatus(badge, data.status, labels);
      item.append(main, badge);
      return item;
    }

    window.PortalLive.connect().subscribe("applications", (event) => {
      const data = event.data || {};
      const existing = list.querySelector('[data-application-id="' + Number(data.id) + '"]');
      if (event.event === "application.created") {
        if (existing) return;
        bump(data.status, 1);
        if ((onlyJob && data.job_id !== onlyJob) || (onlyStatus && data.status !== onlyStatus)) {
          return;
        }
        const item = row(data);
        list.prepend(item);
        highlight(item);
        if (empty) empty.hidden = true;
        if (note) note.textContent = item.textContent.replace(/\s+/g, " ").trim();
        if (limit) while (list.children.length > limit) list.lastElementChild.remove();
      } else if (event.event === "application.updated" && existing) {
        if (existing.dataset.status !== data.status) {
          bump(existing.dataset.status, -1);
          bump(data.status, 1);
        }
        existing.dataset.status = data.status;
        setStatus(existing.querySelector(".app-status"), data.status, labels);
        highlight(existing);
      }
    }, { since: Number(root.dataset.since) || null });
  }

  const mine = document.getElementById("my-applications");
  if (mine) followMine(mine);
  const admin = document.getElementById("admin-applications");
  if (admin) followAdmin(admin);
})();
