// Name modebar downloads <symbol>_<chart>_<UTC time>: set the file name just before the
// "Download plot" button's click handler reads it (mousedown precedes click).
(function () {
  function stamp() {
    var d = new Date();
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getUTCFullYear() + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + "T" +
      p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z";
  }
  document.addEventListener("mousedown", function (ev) {
    var btn = ev.target.closest && ev.target.closest('.modebar-btn[data-title^="Download plot"]');
    if (!btn) return;
    var gd = btn.closest(".js-plotly-plot");
    var holder = btn.closest("[data-chart]");
    var root = document.getElementById("root");
    if (!gd || !gd._context) return;
    var symbol = root ? root.getAttribute("data-symbol") : "cob";
    var chart = holder ? holder.getAttribute("data-chart") : "chart";
    var opts = gd._context.toImageButtonOptions || {};
    opts.filename = symbol + "_" + chart + "_" + stamp();
    gd._context.toImageButtonOptions = opts;
  }, true);
})();
