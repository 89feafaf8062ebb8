// A job page, live: an edit shows up without a reload; closing or removing the job says so.
(function () {
  "use strict";
  const page = document.querySelector(".job-page[data-job-id]");
  if (!page || !window.PortalLive) return;
  const jobId = Number(page.dataset.jobId);
  const labels = JSON.parse(page.dataset.labels || "{}");

  function notice(text) {
    let box = page.querySelector(".notice.live");
    if (!box) {
      box = document.createElement("p");
      box.className = "notice closed live";
      box.setAttribute("role", "status");
      page.querySelector("h1").before(box);
    }
    box.textContent = text;
  }

  async function refresh() {
    const response = await fetch("/api/v1/jobs/" + jobId, { headers: { Accept: "application/json" } });
    if (response.status === 404) return notice(labels.removed);
    if (!response.ok) return;
    const job = await response.json();
    page.querySelector("h1").textContent = job.title;
    document.title = job.title + " · Portal";
    page.querySelector(".content").innerHTML = job.content_html; // sanitised by the server (nh3)
    if (job.status === "closed") {
      notice(labels.closed);
      page.querySelectorAll(".apply a.button").forEach((a) => a.remove());
    }
    page.classList.add("updated");
    setTimeout(() => page.classList.remove("updated"), 2500);
  }

  window.PortalLive.connect().subscribe(
    "jobs",
    (event) => {
      if (event.event === "reload") return window.location.reload();
      if (!event.data || event.data.id !== jobId) return;
      if (event.event === "job.deleted") notice(labels.removed);
      else refresh();
    },
    { since: Number(page.dataset.since) || null }
  );
})();
