/* Public disclosure page: draws the charts and the facility map.
 * Progressive enhancement only: every number is already in the page's tables, and the
 * supplier table lists every facility, so nothing is lost without this script.
 * Data comes from a json_script block (no inline script, strict CSP). */
(function () {
  "use strict";

  var COLORS = ["#0b5cad", "#1e7b34", "#a55b00", "#b3261e", "#6a3d9a"];

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function drawCharts() {
    if (typeof window.Chart === "undefined") { return; }
    var data = readJSON("disclosure-charts") || {};
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var spec = data[canvas.getAttribute("data-chart")];
      if (!spec) { return; }
      var datasets = spec.series.map(function (s, i) {
        return {
          label: s.label,
          data: s.data,
          backgroundColor: COLORS[i % COLORS.length],
          borderColor: COLORS[i % COLORS.length],
          fill: false,
          tension: 0.2
        };
      });
      var chart = new window.Chart(canvas, {
        type: spec.type || "bar",
        data: { labels: spec.labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          // Counts step by whole numbers (no "0.5 complaints"); percentages as they are.
          scales: { y: { beginAtZero: true, ticks: spec.integer ? { precision: 0 } : {} } },
          plugins: { legend: { display: datasets.length > 1 } }
        }
      });
      canvas.setAttribute("data-drawn", "true");
      return chart;
    });
  }

  function popup(props) {
    // Built with text nodes: names come from data, never parsed as HTML.
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = props.facility_name;
    box.appendChild(title);
    var lines = [props.supplier_name, props.address];
    if (props.worker_count !== null) { lines.push(props.worker_count + " workers"); }
    if (props.standing) { lines.push(props.standing.replace(/_/g, " ")); }
    lines.forEach(function (text) {
      if (!text) { return; }
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(text));
    });
    return box;
  }

  var STANDING_COLORS = {
    good: "#1e7b34",
    probation: "#a55b00",
    reinstatement_review: "#a55b00",
    suspended: "#b3261e",
    terminated: "#5f6368"
  };

  // The map shows what the supplier list below it shows: the filters of the page's
  // address (the same form's fields) applied to each facility.
  var FILTERS = new URLSearchParams(window.location.search);
  function matchesFilters(props) {
    var country = FILTERS.get("country"), standing = FILTERS.get("standing");
    var stage = FILTERS.get("stage"), q = (FILTERS.get("q") || "").trim().toLowerCase();
    if (country && props.country !== country) { return false; }
    if (standing && props.standing !== standing) { return false; }
    if (stage && String(props.escalation_stage) !== stage) { return false; }
    if (q) {
      var text = [props.supplier_name, props.facility_name, props.address, props.os_id]
        .join(" ").toLowerCase();
      if (text.indexOf(q) < 0) { return false; }
    }
    return true;
  }

  function drawMap() {
    var el = document.getElementById("facility-map");
    if (!el || typeof window.L === "undefined" || !window.fetch) { return; }
    var url = el.getAttribute("data-geojson");
    window.fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (collection) {
        if (!collection) { return; }
        var located = collection.features.filter(function (f) {
          return f.geometry && matchesFilters(f.properties);
        });
        if (!located.length) { return; }
        el.hidden = false;
        var legend = document.getElementById("map-legend");
        if (legend) { legend.hidden = false; }
        var map = window.L.map(el, { scrollWheelZoom: false });
        window.L.tileLayer(el.getAttribute("data-tile-url"), {
          maxZoom: 18,
          attribution: el.getAttribute("data-attribution")
        }).addTo(map);
        var layer = window.L.geoJSON({ type: "FeatureCollection", features: located }, {
          pointToLayer: function (feature, latlng) {
            var color = STANDING_COLORS[feature.properties.standing] || "#0b5cad";
            return window.L.circleMarker(latlng, {
              radius: 7, color: color, fillColor: color, fillOpacity: 0.7, weight: 1
            });
          },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { maxZoom: 10, padding: [20, 20] });
        el.setAttribute("data-markers", String(located.length));
      })
      .catch(function () { el.hidden = true; });
  }

  function start() { drawCharts(); drawMap(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
