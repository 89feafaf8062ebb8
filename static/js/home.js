// The home page's job list, live: new, changed and removed jobs appear, update and disappear
// without a reload, respecting the filters and search the page was loaded with.
(function () {
  "use strict";
  const dataElement = document.getElementById("home-data");
  const mountPoint = document.getElementById("job-list");
  if (!dataElement || !mountPoint || !window.Vue || !window.PortalLive) return;
  const initial = JSON.parse(dataElement.textContent);
  const filters = initial.filters;
  const HIGHLIGHT_MS = 4000;
  const RECOUNT_SPREAD_MS = 1500; // many open pages asking at once are spread over this
  let recountTimer = null;
  const filtered = Boolean(filters.q || filters.category || filters.type || filters.remote || filters.location);
  // Signed in: the saved jobs among these cards, and the toggles' labels (portal/saved).
  const savedElement = document.getElementById("saved-data");
  const savedData = savedElement && window.PortalSaved ? JSON.parse(savedElement.textContent) : null;
  const saved = savedData && {
    ids: Object.fromEntries(savedData.ids.map((id) => [id, true])),
    busy: {},
    labels: savedData.labels,
  };

  // The same rules as the server's list query; `q` is approximated by "every word appears".
  function matches(job) {
    if (job.status !== "published") return false;
    if (job.expires_at && new Date(job.expires_at) <= new Date()) return false;
    if (filters.category && job.category !== filters.category) return false;
    if (filters.type && job.employment_type !== filters.type) return false;
    if (filters.remote && !job.remote) return false;
    if (filters.location && !job.location.toLowerCase().includes(filters.location.toLowerCase())) {
      return false;
    }
    if (filters.q) {
      const company = job.company ? job.company.name : "";
      const text = [job.title, job.summary, job.location, company].join(" ").toLowerCase();
      const words = filters.q.toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.every((word) => text.includes(word))) return false;
    }
    return true;
  }

  const app = Vue.createApp({
    template: "#job-list-template",
    data() {
      return { jobs: initial.jobs, labels: initial.labels, newCount: 0, saved: saved, total: initial.total, capped: Boolean(initial.total_capped), now: Date.now() };
    },
    methods: {
      // The same words as the server's salary macro (jobs/macros.html).
      salary(s) {
        const number = new Intl.NumberFormat("en"); // "{:,}" on the server, whatever the language
        let range;
        if (s.min !== null && s.max !== null) range = number.format(s.min) + "–" + number.format(s.max);
        else if (s.min !== null) range = this.labels.salary_from.replace("%(amount)s", number.format(s.min));
        else range = this.labels.salary_up_to.replace("%(amount)s", number.format(s.max));
        return [range, s.currency || "", s.period ? this.labels.periods[s.period] : ""].join(" ").trim();
      },
      // The location beside the remote badge, none when it only repeats it (place_of, labels.py).
      place(job) {
        const text = (job.location || "").trim();
        if (job.remote && this.labels.remote_words.includes(text.toLowerCase())) return "";
        return text;
      },
      relative(iso) {
        return window.PortalWhen ? window.PortalWhen.relative(iso, this.now) : iso.slice(0, 10);
      },
      exact(iso) {
        return window.PortalWhen ? window.PortalWhen.exact(iso) : iso;
      },
      // Whether a job not among the cards was counted in the total: with no filters every
      // public job is (job.updated and job.deleted are only sent for jobs that were public);
      // when every match is on the page, one not shown was not. Otherwise the server knows.
      countedUnseen() {
        if (filters.q) return null; // the server's full-text match is not ours
        if (!filtered) return true;
        if (initial.first_page && this.total === this.jobs.length) return false;
        return null;
      },
      adjust(delta) {
        if (this.capped) return; // "1,000+ jobs": one more or less reads the same
        if (delta === null) this.recount();
        else this.total = Math.max(0, this.total + delta);
      },
      recount() {
        clearTimeout(recountTimer);
        recountTimer = setTimeout(async () => {
          const params = new URLSearchParams({ per_page: "1" });
          for (const [name, value] of Object.entries(filters)) if (value) params.set(name, String(value));
          try {
            const response = await fetch("/api/v1/jobs?" + params, { headers: { Accept: "application/json" } });
            if (response.ok) {
              const body = await response.json();
              this.capped = Boolean(body.total_capped);
              this.total = body.total;
            }
          } catch (e) {
            /* offline: the next event or a reload corrects the count */
          }
        }, Math.random() * RECOUNT_SPREAD_MS);
      },
      upsert(job, isNew) {
        const index = this.jobs.findIndex((j) => j.id === job.id);
        const unseen = index < 0 ? this.countedUnseen() : true;
        if (!matches(job)) {
          if (index >= 0) this.jobs.splice(index, 1);
          // job.created is a job that was not public before: it was never counted.
          if (!isNew) this.adjust(unseen === null ? null : unseen ? -1 : 0);
          return;
        }
        if (filters.q && !(index >= 0 && !isNew)) this.adjust(null);
        else if (isNew) this.adjust(1);
        else if (index < 0) this.adjust(unseen === null ? null : unseen ? 0 : 1);
        if (index >= 0) {
          this.jobs.splice(index, 1, Object.assign({}, job, { arrived: this.jobs[index].arrived }));
          return;
        }
        if (!initial.first_page) {
          this.newCount += 1; // older pages don't reshuffle under the reader; offer a link instead
          return;
        }
        const arrived = Object.assign({}, job, { arrived: isNew });
        this.jobs.unshift(arrived);
        if (this.jobs.length > initial.per_page) this.jobs.pop();
        setTimeout(() => {
          const current = this.jobs.find((j) => j.id === job.id);
          if (current) current.arrived = false;
        }, HIGHLIGHT_MS);
      },
      async toggleSave(id) {
        this.saved.busy[id] = true;
        try {
          await window.PortalSaved.set(id, !this.saved.ids[id]);
        } catch (failure) {
          // Taken down meanwhile: the live list drops the card; otherwise the state stays.
        } finally {
          this.saved.busy[id] = false;
        }
      },
      remove(id) {
        const index = this.jobs.findIndex((j) => j.id === id);
        if (index >= 0) {
          this.jobs.splice(index, 1);
          this.adjust(-1);
        } else {
          const unseen = this.countedUnseen();
          this.adjust(unseen === null ? null : unseen ? -1 : 0);
        }
      },
    },
    watch: {
      total(count) {
        const forms = this.labels.count;
        const form = new Intl.PluralRules(document.documentElement.lang).select(count);
        // As the server words it (portal/jobs/views.py): "28 jobs", or "1,000+ jobs".
        const shown = this.capped ? new Intl.NumberFormat("en").format(count) + "+" : String(count);
        document.getElementById("job-count").textContent = (forms[form] || forms.other).replace("%(num)s", shown);
      },
      newCount(count) {
        const banner = document.getElementById("live-banner");
        banner.hidden = count === 0;
        banner.firstElementChild.textContent = this.labels.new_jobs.replace("%(num)s", count);
      },
    },
  });
  const list = app.mount(mountPoint);
  setInterval(() => (list.now = Date.now()), 60000); // "5 minutes ago" keeps up
  document.addEventListener("portal:saved", (event) => {
    if (list.saved) list.saved.ids[event.detail.jobId] = event.detail.saved;
  });
  window.PortalLive.connect().subscribe(
    "jobs",
    (event) => {
      if (event.event === "job.created") list.upsert(event.data, true);
      else if (event.event === "job.updated") list.upsert(event.data, false);
      else if (event.event === "job.deleted") list.remove(event.data.id);
      else if (event.event === "reload") window.location.reload();
    },
    { since: initial.since }
  );
})();
