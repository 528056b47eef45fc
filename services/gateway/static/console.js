// Kefu console: the few behaviours htmx does not give.  No build step, no inline script
// (the pages' Content-Security-Policy allows only files of this origin).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf.content; }
  });

  // Keyboard: "/" or Ctrl+K focuses the search box; Esc closes the call panel.
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((e.target || {}).tagName || "");
    if ((e.key === "/" && !typing) || (e.key === "k" && (e.ctrlKey || e.metaKey))) {
      var box = document.getElementById("global-search");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    }
    if (e.key === "Escape") {
      var pop = document.getElementById("call-panel");
      if (pop && pop.dataset.callId) { pop.innerHTML = ""; delete pop.dataset.callId; }
    }
  });

  // Double-click or Enter on a ticket row opens it (the source documents' habit).
  document.addEventListener("dblclick", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-href]");
    if (row) { window.location = row.dataset.href; }
  });
  document.addEventListener("keydown", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-href]");
    if (row && e.key === "Enter") { window.location = row.dataset.href; }
  });

  // The live screen pop: an incoming call for me arrives on the event stream; the pop is
  // fetched as a fragment into the call panel, beside whatever is being typed (focus
  // stays where it is).
  var panel = document.getElementById("call-panel");
  var state = document.getElementById("live-state");
  if (panel && window.EventSource) {
    var source = new EventSource("/console/events");
    source.addEventListener("open", function () {
      if (state) { state.textContent = "来电推送已连接"; state.dataset.live = "on"; }
    });
    source.addEventListener("error", function () {
      if (state) { state.textContent = "来电推送重连中…"; state.dataset.live = "off"; }
    });
    source.addEventListener("call", function (e) {
      var data = JSON.parse(e.data);
      if (panel.dataset.callId === data.call_id) { return; }
      panel.dataset.callId = data.call_id;
      htmx.ajax("GET", "/console/pop/" + encodeURIComponent(data.call_id),
                {target: "#call-panel", swap: "innerHTML"});
    });
  }
})();

// Upload progress of the customer import (htmx reports the request's progress).
(function () {
  "use strict";
  document.body.addEventListener("htmx:xhr:progress", function (e) {
    var bar = document.getElementById("import-progress");
    if (!bar || !e.detail.lengthComputable) { return; }
    bar.hidden = false;
    bar.value = Math.round(100 * e.detail.loaded / e.detail.total);
  });
})();

// Statistics curves (issue 13): an element with data-chart names the <script
// type="application/json"> holding its ECharts option (built by the page, no code in
// it); drawn with the Chinese locale, redrawn to the element's width.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = document.getElementById(el.dataset.chart);
    if (!data) { return; }
    var chart = window.echarts.init(el, null, {locale: "ZH", renderer: "canvas"});
    chart.setOption(JSON.parse(data.textContent));
    el.dataset.drawn = "true";
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
