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

  // The same markup as templates/jobs/job.html.
  const videoSection = document.getElementById("videos");

  const { duration, filesize } = window.PortalFormat;

  function videoItem(video, signedIn, vlabels) {
    const item = document.createElement("li");
    item.className = "video arrived";
    item.dataset.videoId = String(video.id);
    const title = document.createElement("h3");
    title.textContent = video.title;
    item.append(title);
    if (signedIn) {
      const player = document.createElement("video");
      player.controls = true;
      player.preload = "metadata";
      player.playsInline = true;
      if (video.poster_url) player.poster = video.poster_url;
      if (video.width) {
        player.width = video.width;
        player.height = video.height;
      }
      const source = document.createElement("source");
      source.src = video.url;
      source.type = video.content_type;
      player.append(source, vlabels.unsupported || "");
      item.append(player);
    }
    const facts = document.createElement("p");
    facts.className = "muted small";
    if (video.duration_seconds) {
      const span = document.createElement("span");
      span.className = "duration";
      span.textContent = duration(video.duration_seconds);
      facts.append(span, " · ");
    }
    const size = document.createElement("span");
    size.className = "size";
    size.textContent = filesize(video.size);
    facts.append(size);
    if (signedIn) {
      const link = document.createElement("a");
      link.className = "download";
      link.href = video.download_url;
      link.textContent = vlabels.download;
      facts.append(" · ", link);
    }
    item.append(facts);
    return item;
  }

  function renderVideos(videos) {
    if (!videoSection) return;
    const vlabels = JSON.parse(videoSection.dataset.labels || "{}");
    const signedIn = videoSection.dataset.signedIn === "true";
    const list = videoSection.querySelector(".video-list");
    const existing = new Map([...list.children].map((li) => [li.dataset.videoId, li]));
    for (const [id, li] of existing) if (!videos.some((v) => String(v.id) === id)) li.remove();
    // New videos are the newest: they go last. Existing players are never moved (moving a
    // <video> element pauses it).
    for (const video of videos) {
      if (!existing.has(String(video.id))) list.append(videoItem(video, signedIn, vlabels));
    }
    videoSection.querySelector(".empty").hidden = videos.length > 0;
  }

  async function refresh() {
    const response = await fetch("/api/v1/jobs/" + jobId, { headers: { Accept: "application/json" } });
    if (response.status === 404) return notice(labels.removed);
    if (!response.ok) return;
    const job = await response.json();
    page.querySelector("h1").textContent = job.title;
    document.title = job.title + " · Portal";
    page.querySelector(".content").innerHTML = job.content_html; // sanitised by the server (nh3)
    renderVideos(job.videos || []);
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
