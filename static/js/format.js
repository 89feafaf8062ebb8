// How durations and sizes read on pages: the same rules as portal/media/formatting.py.
//   PortalFormat.duration(75) → "1:15";  PortalFormat.filesize(2003458) → "2.0 MB"
(function () {
  "use strict";
  if (window.PortalFormat) return;
  const UNITS = ["B", "KB", "MB", "GB", "TB"];

  function duration(seconds) {
    if (!Number.isFinite(seconds)) return "–";
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function filesize(size) {
    let value = size;
    for (const unit of UNITS) {
      if (value < 1000 || unit === "TB") return unit === "B" ? Math.round(value) + " B" : value.toFixed(1) + " " + unit;
      value /= 1000;
    }
    return size + " B";
  }

  window.PortalFormat = { duration: duration, filesize: filesize };
})();
