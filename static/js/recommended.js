// "Recommended for you", live: the recommender publishes a user's new top list on `me`.
(function () {
  "use strict";
  const section = document.getElementById("recommended");
  if (!section || !window.PortalLive) return;
  const list = section.querySelector(".recommended-list");
  const LIMIT = 6;
  // Each reason code's words in the page's language (the event carries codes, not words).
  const reasons = JSON.parse(section.dataset.reasons || "{}");

  function reasonText(item) {
    const words = reasons[item.reason_code];
    if (!words) return item.reason || "";
    const title = (item.reason_params && item.reason_params.title) || "";
    return words.replace("%(title)s", title);
  }

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
        why.textContent = " " + reasonText(item);
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
