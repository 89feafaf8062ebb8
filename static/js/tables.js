// Stacked table rows on a phone (layout.css) show each cell's column name from data-label:
// copied here from the header row, for the server's rows and for rows added live.
(function () {
  "use strict";

  function label(table) {
    const heads = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
    if (!heads.length) return;
    for (const row of table.tBodies[0] ? table.tBodies[0].rows : []) {
      Array.from(row.cells).forEach((cell, index) => {
        if (!cell.hasAttribute("data-label") && heads[index] && cell.colSpan === 1) {
          cell.setAttribute("data-label", heads[index]);
        }
      });
    }
  }

  // A page that replaces a table (the studio's results) labels the new one.
  window.PortalTables = { label: label };

  for (const table of document.querySelectorAll("table.table")) {
    label(table);
    if (table.tBodies[0]) {
      new MutationObserver(() => label(table)).observe(table.tBodies[0], { childList: true });
    }
  }
})();
