// The recommender studio (/admin/recommendations): live charts from the `recs` channel, task
// progress, and the evaluation's charts. Charts are uPlot (static/vendor/uplot).
(function () {
  "use strict";
  const root = document.getElementById("studio");
  if (!root || !window.uPlot || !window.PortalLive) return;
  const labels = JSON.parse(root.dataset.labels);
  const data = JSON.parse(document.getElementById("studio-data").textContent);
  const KEEP = 300; // live points kept (ten minutes of busy ticks)
  const COLOURS = ["#4f46e5", "#0891b2", "#d97706", "#dc2626", "#16a34a"];
  // The tables' order (the page's JSON has its keys sorted).
  const ORDER = ["popularity", "item-cf", "user-cf", "blend", "ease"];
  const byOrder = (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99);
  const charts = [];

  function width(el) {
    return Math.max(240, el.clientWidth || 300);
  }

  function chart(el, series, values, extra) {
    if (!el) return null;
    const options = Object.assign(
      {
        width: width(el),
        height: 200,
        series: [{}].concat(
          series.map((s, i) => Object.assign({ stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }, s))
        ),
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      extra || {}
    );
    const plot = new window.uPlot(options, values, el);
    charts.push([plot, el]);
    return plot;
  }

  // -------------------------------------------------------------------------------- live
  const live = { at: [], clicks: [], lists: [], lag: [], queue: [] };

  function addFigures(f) {
    if (typeof f.at !== "number") return;
    live.at.push(f.at);
    live.clicks.push(f.clicks_per_minute);
    live.lists.push(f.lists_per_minute);
    live.lag.push(f.lag_ms_p95);
    live.queue.push(f.queue_depth);
    for (const key of Object.keys(live)) if (live[key].length > KEEP) live[key].splice(0, live[key].length - KEEP);
    root.dataset.points = String(live.at.length); // how far the live chart got (tests read it)
  }
  data.stats.forEach(addFigures);

  // Live charts: clock times on the x axis (uPlot's default shows fractions of a second).
  const timeAxis = {
    space: 90,
    incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400],
    values: (u, splits) => splits.map((v) => new Date(v * 1000).toLocaleTimeString(document.documentElement.lang)),
  };

  const clicksChart = chart(
    document.getElementById("chart-clicks"),
    [{ label: labels.clicks_per_minute }, { label: labels.lists_per_minute, dash: [6, 4] }],
    [live.at, live.clicks, live.lists],
    { axes: [timeAxis, {}] }
  );
  const lagChart = chart(
    document.getElementById("chart-lag"),
    [{ label: labels.lag, scale: "ms" }, { label: labels.queue, scale: "n" }],
    [live.at, live.lag, live.queue],
    { axes: [timeAxis, { scale: "ms" }, { scale: "n", side: 1, grid: { show: false } }] }
  );

  function showFigures(f) {
    for (const dd of document.querySelectorAll("#recs-figures [data-figure]")) {
      const value = f[dd.dataset.figure];
      if (value === undefined) continue;
      dd.textContent = formatted(value, dd.dataset.format);
    }
  }

  function formatted(value, format) {
    if (value === null || value === "") return "–";
    if (format === "bytes") return window.PortalFormat ? window.PortalFormat.filesize(value) : String(value);
    if (format === "ms") return Number(value).toFixed(1) + " ms";
    if (format === "time") return new Date(Number(value) * 1000).toLocaleString(document.documentElement.lang);
    return Number(value).toLocaleString(document.documentElement.lang);
  }

  // The server rendered raw numbers: word them as the live updates will.
  for (const dd of document.querySelectorAll("#recs-figures [data-format]")) {
    const text = dd.textContent.trim();
    if (text !== "–" && text !== "") dd.textContent = formatted(Number(text), dd.dataset.format);
  }

  // ------------------------------------------------------------------------ evaluations
  function evaluationCharts() {
    const evaluation = data.evaluation;
    const random = evaluation && evaluation.results.find((r) => r.protocol === "random");
    const el = document.getElementById("chart-evaluation");
    if (random && el) {
      const names = Object.keys(random.algorithms).sort(byOrder);
      const xs = names.map((_n, i) => i);
      const bars = (align) => window.uPlot.paths.bars({ size: [0.35, 48], align: align });
      chart(
        el,
        [
          { label: labels.ndcg, paths: bars(-1), fill: COLOURS[0], points: { show: false } },
          { label: labels.precision, paths: bars(1), fill: COLOURS[1], stroke: COLOURS[1], points: { show: false } },
        ],
        [xs, names.map((n) => random.algorithms[n].ndcg), names.map((n) => random.algorithms[n].precision)],
        {
          scales: { x: { time: false, range: [-0.6, names.length - 0.4] }, y: { range: (u, lo, hi) => [0, hi * 1.1 || 1] } },
          axes: [
            { splits: () => xs, values: (u, splits) => splits.map((i) => labels.algorithms[names[i]] || names[i] || "") },
            {},
          ],
        }
      );
    }
    const history = document.getElementById("chart-history");
    if (history && data.history.length > 1) {
      const names = [];
      for (const run of data.history) {
        const r = run.results.find((x) => x.protocol === "random");
        if (r) for (const n of Object.keys(r.algorithms)) if (!names.includes(n)) names.push(n);
      }
      names.sort(byOrder);
      const at = data.history.map((run) => run.at);
      const series = names.map((n) =>
        data.history.map((run) => {
          const r = run.results.find((x) => x.protocol === "random");
          return r && r.algorithms[n] ? r.algorithms[n].ndcg : null;
        })
      );
      chart(history, names.map((n) => ({ label: labels.algorithms[n] || n })), [at].concat(series), {
        axes: [{ space: 90, values: (u, splits) => splits.map((v) => new Date(v * 1000).toLocaleDateString(document.documentElement.lang)) }, {}],
      });
    }
  }
  evaluationCharts();

  // ------------------------------------------------------------------------------ tasks
  function showTask(task) {
    const box = document.getElementById("task-" + task.kind);
    if (!box) return;
    const bar = box.querySelector("progress");
    const status = box.querySelector(".task-status");
    const button = box.querySelector("button");
    bar.value = task.status === "done" ? 1 : task.progress;
    let text = (labels.status[task.status] || task.status) + " · " + Math.round(bar.value * 100) + "%";
    if (task.status === "failed") text = labels.status.failed + ": " + (labels.errors[task.error] || task.error || "");
    status.textContent = text;
    button.disabled = task.status === "queued" || task.status === "running";
    if (task.status === "done" || task.status === "failed") refreshResults();
  }

  // A finished task: the server renders its results; take them from a fresh copy of the page.
  async function refreshResults() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("recs-results");
    const freshData = page.getElementById("studio-data");
    if (!fresh || !freshData) return;
    for (let i = charts.length - 1; i >= 0; i--) {
      if (document.getElementById("recs-results").contains(charts[i][1])) {
        charts[i][0].destroy();
        charts.splice(i, 1);
      }
    }
    document.getElementById("recs-results").replaceWith(fresh);
    const next = JSON.parse(freshData.textContent);
    data.evaluation = next.evaluation;
    data.history = next.history;
    if (window.PortalTables) fresh.querySelectorAll("table.table").forEach(window.PortalTables.label);
    evaluationCharts();
  }

  // ------------------------------------------------------------------------------- live
  const state = document.getElementById("studio-state");
  const client = window.PortalLive.connect();
  client.onState((s) => {
    state.textContent = s === "live" ? labels.live : labels.offline;
  });
  client.subscribe(
    "recs",
    (event) => {
      if (event.event === "recs.stats") {
        addFigures(event.data);
        showFigures(event.data);
        if (clicksChart) clicksChart.setData([live.at, live.clicks, live.lists]);
        if (lagChart) lagChart.setData([live.at, live.lag, live.queue]);
      } else if (event.event === "recs.task") {
        showTask(event.data);
      } else if (event.event === "recs.algorithm") {
        const name = event.data.algorithm;
        document.getElementById("serving-now").textContent = labels.serving[name] || name;
        const select = document.getElementById("f-algorithm");
        if (select) select.value = name;
      }
    },
    { since: Number(root.dataset.since) || 0 }
  );

  // Readable at any width: charts follow their box.
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const [plot, el] of charts) plot.setSize({ width: width(el), height: 200 });
    }, 150);
  });
})();
