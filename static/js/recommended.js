// "Recommended for you", live: the recommender publishes a user's new top list on `me`.
(function () {
  "use strict";
  const section = document.getElementById("recommended");
  if (!section || !window.PortalLive) return;
  const list = section.querySelector(".recommended-list");
  const LIMIT = 6;

  function render(items) {
    list.replaceChildren(
      ...items.slice(0, LIMIT).map((item) => {
        const li = document.createElement("li");
        li.dataset.jobId = item.job_id;
        const link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.title;
        const why = document.createElement("span");
        why.className = "muted small";
        why.textContent = " " + item.reason;
        li.append(link, why);
        return li;
      })
    );
    const empty = section.querySelector(".recommended-empty");
    if (empty) empty.hidden = items.length > 0;
    section.classList.add("updated");
    setTimeout(() => section.classList.remove("updated"), 2000);
  }

  window.PortalLive.connect().subscribe("me", (event) => {
    if (event.event === "recommendations.updated") render(event.data.items || []);
  });
})();
