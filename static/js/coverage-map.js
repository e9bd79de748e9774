// The coverage maps' layers (maps/coverage_map.py gives the data; Leaflet, vendored, draws them):
//   neighbours   the countries around Vietnam in light grey (a background without tiles);
//   land         on a province's map, the other provinces likewise
//   provinces    the choropleth; layers[i][k] is the colour of class k in layer i, -1 is no data;
//                its tooltip wins over everything at national zoom (labels and communes are not there)
//   labels       each province's short name at a point inside it, never catching the pointer
//   communes     [lat, lon, status, name, province, members, on duty, gaps] points, drawn from
//                communeZoom on (below it 3,321 points run into each other)
// A form[data-map-layers] of radio buttons switches the provinces' layer and the legend shown.
window.tcnCoverageMap = function (map, d) {
  "use strict";
  var el = function (tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  var fill = function (s, n) { return s.replace("{n}", n); };
  var fmt = function (n) { return Number(n).toLocaleString(document.documentElement.lang === "vi" ? "vi-VN" : "en"); };
  map.createPane("tcnNeighbours").style.zIndex = 350;
  map.createPane("tcnLabels").style.zIndex = 450;
  map.getPane("tcnLabels").style.pointerEvents = "none";
  if (d.neighbours) {
    L.geoJSON(d.neighbours, {pane: "tcnNeighbours", interactive: false,
      style: {color: "#9aa0a6", weight: 1, fillColor: "#f1f3f4", fillOpacity: 1, className: "tcn-neighbour"}}).addTo(map);
  }
  if (d.land) {
    L.geoJSON(d.land, {pane: "tcnNeighbours", interactive: false,
      style: {color: "#b0b6bc", weight: 1, fillColor: "#f8f9fa", fillOpacity: 1, className: "tcn-land"}}).addTo(map);
  }
  var layer = 0, provinces = null;
  var provinceStyle = function (f) {
    var k = f.properties.k[layer];
    return {fillColor: k < 0 ? d.noData : d.layers[layer][k], color: "#555", weight: 0.8,
      fillOpacity: map.getZoom() >= d.communeZoom ? 0.3 : 0.85, className: "tcn-province"};
  };
  if (d.provinces) {
    provinces = L.geoJSON(d.provinces, {style: provinceStyle, onEachFeature: function (f, l) {
      var box = el("div");
      box.appendChild(el("b", f.properties.name));
      var table = el("table");
      f.properties.t.forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(el("th", row[0]));
        tr.appendChild(el("td", row[1]));
        table.appendChild(tr);
      });
      box.appendChild(table);
      l.bindTooltip(box, {sticky: true, className: "tcn-tooltip"});
      l.on("mouseover", function () { l.setStyle({weight: 2.5, color: "#222"}); });
      l.on("mouseout", function () { provinces.resetStyle(l); });
      l.on("click", function () { window.location = d.url + f.properties.code; });
    }}).addTo(map);
    var labels = L.layerGroup(), markers = [];
    d.provinces.features.filter(function (f) { return f.properties.lp; })
      .sort(function (a, b) { return a.properties.lp[2] - b.properties.lp[2]; })
      .forEach(function (f) {
        markers.push(L.marker(f.properties.lp.slice(0, 2), {pane: "tcnLabels", interactive: false, keyboard: false,
          icon: L.divIcon({className: "tcn-label", html: el("span", f.properties.s).outerHTML, iconSize: null})
        }).addTo(labels));
      });
    labels.addTo(map);
    // Labels that would cover one another move apart (up, down, sideways), smallest province first.
    var declutter = function () {
      var placed = [];
      var hits = function (r) {
        return placed.some(function (p) { return r.left < p.right && p.left < r.right && r.top < p.bottom && p.top < r.bottom; });
      };
      markers.forEach(function (m) {
        var span = m.getElement().firstChild;
        span.style.marginTop = span.style.marginLeft = "0px";
        var r = span.getBoundingClientRect(), h = r.height, w = r.width / 2 + 2;
        var tries = [[0, 0], [0, -h], [0, h], [w, 0], [-w, 0], [w, -h], [-w, h], [w, h], [-w, -h], [0, -2 * h], [0, 2 * h],
          [2 * w, 0], [-2 * w, 0], [w, 2 * h], [-w, -2 * h], [0, 3 * h], [0, -3 * h], [2 * w, h], [-2 * w, -h]];
        var best = tries.find(function (t) {
          return !hits({left: r.left + t[0], right: r.right + t[0], top: r.top + t[1], bottom: r.bottom + t[1]});
        }) || [0, 0];
        span.style.marginLeft = best[0] + "px";
        span.style.marginTop = best[1] + "px";
        placed.push({left: r.left + best[0], right: r.right + best[0], top: r.top + best[1], bottom: r.bottom + best[1]});
      });
    };
    map.on("zoomend", declutter);
    declutter();
  }
  var communes = L.layerGroup();
  d.communes.forEach(function (c) {
    var status = c[2], box = el("div");
    box.appendChild(el("b", c[3]));
    if (c[4] >= 0) box.appendChild(el("div", d.names[c[4]]));
    var team = status === 0 ? d.texts.no_team : status === 3 ? d.texts.empty : fill(d.texts.team, fmt(c[5]));
    box.appendChild(el("div", team));
    if (c[6]) box.appendChild(el("div", fill(d.texts.duty, fmt(c[6]))));
    if (status !== 0) box.appendChild(el("div", fill(d.texts.gaps, fmt(c[7]))));
    L.circleMarker([c[0], c[1]], {radius: d.radius, weight: 0.5, color: "#ffffff", fillColor: d.colours[status],
      fillOpacity: status === 0 ? 0.5 : 0.95, className: "tcn-commune"})
      .bindTooltip(box, {className: "tcn-tooltip"}).addTo(communes);
  });
  var zoomed = function () {
    var show = map.getZoom() >= d.communeZoom;
    if (show && !map.hasLayer(communes)) communes.addTo(map);
    if (!show && map.hasLayer(communes)) communes.remove();
    if (provinces) provinces.setStyle(provinceStyle);
    map.getContainer().classList.toggle("tcn-zoomed", show);
  };
  map.on("zoomend", zoomed);
  zoomed();
  var form = document.querySelector("form[data-map-layers]");
  if (form && provinces) {
    form.hidden = false;
    map.invalidateSize();  // the page grew: a scroll bar may have narrowed the map
    form.addEventListener("change", function () {
      layer = Number(form.querySelector("input:checked").value);
      provinces.setStyle(provinceStyle);
      document.querySelectorAll("#legend .lg").forEach(function (p) { p.hidden = Number(p.dataset.layer) !== layer; });
    });
  }
};
