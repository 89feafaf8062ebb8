// The admin dashboard's training videos: resumable uploads with tus-js-client, and the live
// table of every upload (from any admin or command-line client) fed by the `uploads` channel.
(function () {
  "use strict";
  const form = document.getElementById("video-upload");
  const table = document.getElementById("uploads-table");
  if (!form || !table) return;
  const labels = JSON.parse(form.dataset.labels || "{}");
  const statusLabels = JSON.parse(table.dataset.labels || "{}");
  const jobSelect = document.getElementById("upload-job");
  const input = document.getElementById("upload-input");
  const drop = document.getElementById("upload-drop");
  const fileList = document.getElementById("upload-files");
  const maxSize = Number(form.dataset.maxSize) || Infinity;
  const jobTitles = new Map([...jobSelect.options].map((o) => [o.value, o.textContent.split(" · ")[0]]));

  // ------------------------------------------------------------------ formatting

  const { filesize, duration: clock } = window.PortalFormat;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ uploading

  // The fingerprint names the job too: the same file for another job is another upload.
  function fingerprint(file, jobId) {
    return Promise.resolve(["portal-tus", jobId, file.name, file.type, file.size, file.lastModified].join("|"));
  }

  const urlStorage = () => window.tus.defaultOptions.urlStorage;

  // The server said no for good (not a video, too large, gone): nothing is left to resume, so
  // a reload must not offer the file again.
  async function forgetStored(fingerprintValue) {
    const storage = urlStorage();
    if (!storage || !storage.findUploadsByFingerprint) return;
    for (const stored of await storage.findUploadsByFingerprint(fingerprintValue)) {
      await storage.removeUpload(stored.urlStorageKey);
    }
  }

  function refusedForGood(status) {
    return status >= 400 && status < 500 && status !== 409 && status !== 423; // 409/423: tus retries
  }

  // Cards of this page's own uploads by upload id, and how the server's side of each ended
  // (the live table's events), for a card whose last request returns after its event arrived.
  const cards = new Map();
  const outcomes = new Map();

  function uploadIdOf(url) {
    return url ? decodeURIComponent(String(url).split("?")[0].split("/").pop()) : null;
  }

  class FileUpload {
    constructor(file, jobId) {
      this.file = file;
      this.jobId = jobId;
      this.samples = []; // [time ms, bytes] over the last seconds, for speed and time left
      fingerprint(file, jobId).then((value) => (this.fingerprint = value));
      this.build();
      this.upload = new window.tus.Upload(file, {
        endpoint: form.dataset.endpoint,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream", job_id: String(jobId) },
        fingerprint: (f) => fingerprint(f, jobId),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => {
          this.register();
          this.progress(sent, total);
        },
        onSuccess: () => this.finished(),
        onError: (error) => this.failed(error),
      });
    }

    build() {
      this.item = element("li", "upload-file");
      this.item.append(element("span", "name", this.file.name), " ");
      this.item.append(element("span", "muted small", "→ " + (jobTitles.get(String(this.jobId)) || "#" + this.jobId)));
      this.bar = element("progress");
      this.bar.max = this.file.size;
      this.bar.value = 0;
      this.stats = element("div", "stats", "0% · " + filesize(this.file.size));
      this.pauseButton = element("button", "button small secondary", labels.pause);
      this.pauseButton.type = "button";
      this.pauseButton.addEventListener("click", () => this.togglePause());
      this.cancelButton = element("button", "button small secondary danger", labels.cancel);
      this.cancelButton.type = "button";
      this.cancelButton.addEventListener("click", () => this.cancel());
      const actions = element("div", "actions");
      actions.append(this.pauseButton, " ", this.cancelButton);
      this.item.append(this.bar, this.stats, actions);
      fileList.prepend(this.item);
    }

    async start() {
      const previous = await this.upload.findPreviousUploads();
      if (previous.length) this.upload.resumeFromPreviousUpload(previous[0]);
      this.paused = false;
      this.upload.start();
    }

    register() {
      const id = uploadIdOf(this.upload.url);
      if (id && !cards.has(id)) cards.set(id, this);
      return id;
    }

    progress(sent, total) {
      const now = performance.now();
      this.samples.push([now, sent]);
      while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
      const [t0, b0] = this.samples[0];
      const speed = now > t0 ? ((sent - b0) * 1000) / (now - t0) : 0;
      this.bar.value = sent;
      const percent = total ? Math.floor((sent / total) * 100) : 0;
      this.stats.textContent =
        percent + "% · " + filesize(sent) + " / " + filesize(total) +
        (speed > 0 ? " · " + filesize(speed) + "/s · " + clock((total - sent) / speed) + " " + labels.left : "");
    }

    togglePause() {
      if (this.paused) {
        this.paused = false;
        this.samples = [];
        this.pauseButton.textContent = labels.pause;
        this.upload.start(); // tus asks the server for its offset and goes on from there
      } else {
        this.paused = true;
        this.pauseButton.textContent = labels.resume;
        this.upload.abort();
        this.stats.textContent = labels.paused + " · " + this.stats.textContent;
      }
    }

    async cancel() {
      this.pauseButton.disabled = this.cancelButton.disabled = true;
      try {
        await this.upload.abort(true); // terminates it on the server (bytes removed)
      } catch (e) {
        /* not created on the server yet: nothing to remove */
      }
      this.stats.textContent = labels.cancelled;
      this.item.classList.add("cancelled");
      this.pauseButton.remove();
      this.cancelButton.remove();
    }

    finished() {
      this.done = true;
      this.bar.value = this.bar.max;
      this.stats.textContent = "100% · " + labels.done;
      this.pauseButton.remove();
      this.cancelButton.remove();
      const outcome = outcomes.get(this.register());
      if (outcome) this.settle(outcome.status, outcome.reason);
    }

    // What the live table says once the media worker is done: the card says the same.
    settle(status, reason) {
      if (this.settled || this.item.classList.contains("cancelled")) return;
      this.settled = true;
      this.pauseButton.remove();
      this.cancelButton.remove();
      this.stats.textContent = "";
      if (status === "ready") {
        this.bar.value = this.bar.max;
        this.stats.append(element("span", "status-ready", statusLabels.ready));
      } else {
        this.item.classList.add("failed");
        this.stats.append(element("span", "error", reason || statusLabels.failed));
      }
    }

    failed(error) {
      const response = error && error.originalResponse;
      let message = labels.failed;
      try {
        const body = response && JSON.parse(response.getBody());
        if (body && body.error && body.error.message) message = body.error.message;
      } catch (e) {
        /* not our JSON: keep the generic message */
      }
      this.stats.textContent = "";
      this.stats.append(element("span", "error", message));
      this.item.classList.add("failed");
      // Nothing is running any more: neither pausing nor cancelling means anything now.
      this.pauseButton.remove();
      this.cancelButton.remove();
      if (response && refusedForGood(response.getStatus())) forgetStored(this.fingerprint);
    }
  }

  function addFiles(files) {
    const jobId = jobSelect.value;
    if (!jobId) {
      window.alert(labels.no_job);
      return;
    }
    for (const file of files) {
      if (file.size > maxSize) {
        const item = element("li", "upload-file");
        item.append(element("span", "name", file.name), element("span", "error", labels.too_large));
        fileList.prepend(item);
        continue;
      }
      new FileUpload(file, jobId).start();
    }
  }

  input.addEventListener("change", () => {
    addFiles([...input.files]);
    input.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    addFiles([...event.dataTransfer.files]);
  });

  // Whether the server still holds an unfinished upload: refused, cancelled (in another tab),
  // expired or finished ones are forgotten; when the server cannot be asked, it is kept.
  async function stillResumable(stored) {
    let response;
    try {
      response = await fetch(stored.uploadUrl, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" }, cache: "no-store" });
    } catch (e) {
      return true;
    }
    if (response.ok) return response.headers.get("Upload-Offset") !== response.headers.get("Upload-Length");
    return !refusedForGood(response.status);
  }

  // After a reload the browser cannot reopen a file by itself: say which uploads can resume.
  async function listResumable() {
    const storage = urlStorage();
    if (!storage || !storage.findAllUploads) return;
    const previous = [];
    for (const stored of await storage.findAllUploads()) {
      if (!String(stored.urlStorageKey || "").startsWith("tus::portal-tus|")) continue;
      if (stored.uploadUrl && !(await stillResumable(stored))) await storage.removeUpload(stored.urlStorageKey);
      else previous.push(stored);
    }
    if (!previous.length) return;
    const note = document.getElementById("upload-resumable");
    note.textContent = labels.resumable + " " + previous.map((u) => (u.metadata && u.metadata.filename) || "?").join(", ");
    note.hidden = false;
  }
  // data-checked tells a waiting test (and a curious reader) that the list is settled.
  listResumable().finally(() => (document.getElementById("upload-resumable").dataset.checked = "true"));

  // ------------------------------------------------------------------ the live table

  const body = table.tBodies[0];

  function rowFor(data) {
    let row = body.querySelector('tr[data-upload-id="' + CSS.escape(String(data.upload_id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.uploadId = data.upload_id;
      for (const name of ["file", "job", "progress", "status", "poster", "actions"]) row.append(element("td", name));
      row.querySelector(".progress").append(element("progress"));
      body.prepend(row);
    }
    if (data.job_id !== undefined) row.dataset.jobId = data.job_id;
    if (data.video_id) row.dataset.videoId = data.video_id;
    const file = row.querySelector(".file");
    if (data.filename && !file.textContent) file.textContent = data.filename;
    const job = row.querySelector(".job");
    if (!job.textContent) job.textContent = data.job_title || jobTitles.get(String(row.dataset.jobId)) || "";
    return row;
  }

  function setStatus(row, status, extra) {
    const cell = row.querySelector(".status");
    cell.textContent = "";
    cell.append(element("span", "status-" + status, statusLabels[status] || status));
    if (extra) cell.append(document.createElement("br"), element("span", "small muted reason", extra));
  }

  function deleteButton(row) {
    const actions = row.querySelector(".actions");
    if (!row.dataset.videoId || actions.querySelector("button")) return;
    const button = element("button", "button small secondary danger", statusLabels.delete);
    button.type = "button";
    button.dataset.deleteVideo = row.dataset.videoId;
    actions.append(button);
  }

  function onEvent(event) {
    const data = event.data || {};
    if (event.event === "video.deleted") {
      const row = body.querySelector('tr[data-video-id="' + Number(data.video_id) + '"]');
      if (row) row.remove();
      return;
    }
    if (!data.upload_id) return;
    const row = rowFor(data);
    const bar = row.querySelector("progress");
    if (event.event === "upload.progress") {
      bar.max = data.length || 1;
      bar.value = data.offset || 0;
      setStatus(row, data.status === "processing" ? "processing" : "uploading");
    } else if (event.event === "upload.finished") {
      bar.max = 1;
      bar.value = 1;
      const facts = data.duration_seconds ? clock(data.duration_seconds) : "";
      setStatus(row, "ready", facts);
      const poster = row.querySelector(".poster");
      poster.textContent = "";
      if (data.poster_url) {
        const img = element("img");
        img.src = data.poster_url;
        img.alt = "";
        poster.append(img);
      }
      const file = row.querySelector(".file");
      if (!file.querySelector("a")) {
        const link = element("a", "", file.textContent);
        link.href = "/jobs/" + Number(row.dataset.jobId) + "#videos";
        file.textContent = "";
        file.append(link);
      }
      deleteButton(row);
      row.classList.add("arrived");
    } else if (event.event === "upload.failed") {
      // The uploader's own cancel is no failure; other reasons are said as the server words them.
      if (data.code === "cancelled") setStatus(row, "cancelled");
      else setStatus(row, "failed", data.reason || "");
      deleteButton(row);
    }
    if (event.event === "upload.finished" || event.event === "upload.failed") {
      const outcome = { status: event.event === "upload.finished" ? "ready" : "failed", reason: data.reason };
      outcomes.set(String(data.upload_id), outcome);
      const card = cards.get(String(data.upload_id));
      if (card && card.done) card.settle(outcome.status, outcome.reason);
    }
  }

  body.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-delete-video]");
    if (!button || !window.confirm(statusLabels.confirm_delete)) return;
    button.disabled = true;
    const response = await fetch("/api/v1/videos/" + Number(button.dataset.deleteVideo), {
      method: "DELETE",
      headers: { Accept: "application/json" },
    });
    if (response.ok || response.status === 404) button.closest("tr").remove();
    else button.disabled = false;
  });

  for (const row of body.rows) {
    if (!row.querySelector(".job").textContent) row.querySelector(".job").textContent = jobTitles.get(row.dataset.jobId) || "";
  }
  if (window.PortalLive) {
    window.PortalLive.connect().subscribe("uploads", onEvent, { since: Number(table.dataset.since) || null });
  }
})();
