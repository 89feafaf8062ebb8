// Moments in words that stay current: every <time data-relative> reads "2 days ago" (in the
// page's language, the same units as portal/web/dates.py) with the exact date and time, in the
// reader's own time zone, on hover. Rewritten every minute, and on demand for new content:
//   PortalWhen.refresh(element)   // that element's <time data-relative> and itself
//   PortalWhen.relative(iso)      // "5 minutes ago"; PortalWhen.exact(iso): the hover text
(function () {
  "use strict";
  if (window.PortalWhen) return;
  const EVERY_MS = 60000;
  const UNITS = [
    ["year", 365 * 86400],
    ["month", 30 * 86400],
    ["week", 7 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const lang = document.documentElement.lang || "en";
  const words = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
  const nowWords = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const JUST_NOW_SECONDS = 45;
  const full = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });

  function relative(iso, now) {
    const seconds = (new Date(iso).getTime() - (now || Date.now())) / 1000;
    if (!Number.isFinite(seconds)) return "";
    if (Math.abs(seconds) < JUST_NOW_SECONDS) return nowWords.format(0, "second"); // "now", "现在"; also a clock a little ahead
    for (const [unit, size] of UNITS) {
      const value = Math.abs(seconds) / size;
      if (value >= 1 || unit === "second") return words.format(Math.sign(seconds) * Math.max(1, Math.round(value)), unit);
    }
    return "";
  }

  function exact(iso) {
    const date = new Date(iso);
    return Number.isFinite(date.getTime()) ? full.format(date) : "";
  }

  function render(element) {
    if (!element.dateTime) return;
    element.textContent = relative(element.dateTime);
    element.title = exact(element.dateTime);
  }

  function refresh(root) {
    const scope = root || document;
    if (scope.matches && scope.matches("time[data-relative]")) render(scope);
    scope.querySelectorAll("time[data-relative]").forEach(render);
  }

  window.PortalWhen = { relative: relative, exact: exact, refresh: refresh };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => refresh());
  else refresh();
  setInterval(() => refresh(), EVERY_MS);
})();
