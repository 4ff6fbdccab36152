/* pyflow docs site. Reads window.PYFLOW_DOCS (data.js); no network, no third-party code.
 * Routes: #!/graph, #!/graph/focus/<uid>, #!/node/<uid>, #!/node/<uid>/col/<column>. */
(function () {
  "use strict";
  var D = window.PYFLOW_DOCS || { nodes: {}, graph: { positions: {}, edges: [] }, lineage: {} };
  var NODES = D.nodes;
  var SVGNS = "http://www.w3.org/2000/svg";
  var BOX_W = 200, BOX_H = 34;
  var view = { x: 20, y: 20, k: 1 };
  var focus = null;
  var dragged = false;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "html") e.innerHTML = attrs[k]; /* only HTML rendered and escaped by pyflow */
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function label(n) { return n ? n.name : ""; }
  function nodeHref(uid, col) {
    return "#!/node/" + encodeURIComponent(uid) + (col ? "/col/" + encodeURIComponent(col) : "");
  }
  function link(uid, text, col) {
    return el("a", { href: nodeHref(uid, col), text: text || label(NODES[uid]) || uid, "data-uid": uid });
  }

  /* ---- sidebar ---------------------------------------------------------------------- */
  var GROUPS = [["model", "Models"], ["source", "Sources"], ["seed", "Seeds"], ["snapshot", "Snapshots"],
                ["exposure", "Exposures"], ["test", "Tests"]];
  function sidebar() {
    var nav = $("sidebar");
    GROUPS.forEach(function (g) {
      var ids = Object.keys(NODES).filter(function (u) { return NODES[u].resource_type === g[0]; })
        .sort(function (a, b) { return label(NODES[a]).localeCompare(label(NODES[b])); });
      if (!ids.length) return;
      nav.appendChild(el("h3", { text: g[1] + " (" + ids.length + ")" }));
      ids.forEach(function (u) { var a = link(u); a.title = u; nav.appendChild(a); });
    });
  }

  /* ---- search ----------------------------------------------------------------------- */
  function searchHits(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var hits = [];
    Object.keys(NODES).forEach(function (u) {
      var n = NODES[u], name = label(n).toLowerCase(), score = -1;
      if (name === q) score = 0;
      else if (name.indexOf(q) === 0) score = 1;
      else if (name.indexOf(q) >= 0) score = 2;
      else if ((n.columns || []).some(function (c) { return c.name.toLowerCase().indexOf(q) >= 0; })) score = 3;
      else if ((n.tags || []).some(function (t) { return t.toLowerCase() === q; })) score = 3;
      if (score >= 0) hits.push([score + (n.resource_type === "test" ? 4 : 0), label(n), u]);
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1].localeCompare(b[1]); });
    return hits.slice(0, 30).map(function (h) { return h[2]; });
  }
  function setupSearch() {
    var input = $("search-input"), list = $("search-results");
    function show() {
      var hits = searchHits(input.value);
      list.innerHTML = "";
      hits.forEach(function (u, i) {
        var li = el("li", { "data-uid": u, "class": i === 0 ? "active" : "" },
          [el("span", { text: label(NODES[u]) }), el("span", { "class": "kind", text: NODES[u].resource_type })]);
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); open(u); });
        list.appendChild(li);
      });
      list.hidden = !hits.length;
      markMatches(input.value);
    }
    function open(u) { list.hidden = true; input.blur(); location.hash = nodeHref(u); }
    input.addEventListener("input", show);
    input.addEventListener("focus", show);
    input.addEventListener("blur", function () { list.hidden = true; });
    input.addEventListener("keydown", function (ev) {
      var items = Array.prototype.slice.call(list.children);
      var at = items.findIndex(function (li) { return li.classList.contains("active"); });
      if (ev.key === "Enter" && items.length) open(items[Math.max(at, 0)].getAttribute("data-uid"));
      else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (at >= 0) items[at].classList.remove("active");
        at = (at + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % Math.max(items.length, 1);
        if (items[at]) items[at].classList.add("active");
      } else if (ev.key === "Escape") { list.hidden = true; }
    });
  }

  /* ---- lineage graph ---------------------------------------------------------------- */
  function walk(uid, dir) {
    var seen = {}, todo = [uid];
    seen[uid] = true;
    while (todo.length) {
      var n = NODES[todo.pop()];
      if (!n) continue;
      (dir === "up" ? n.parents : n.children).forEach(function (p) { if (!seen[p]) { seen[p] = true; todo.push(p); } });
    }
    return seen;
  }
  function drawGraph() {
    var g = $("viewport"), pos = D.graph.positions;
    D.graph.edges.forEach(function (e) {
      var a = pos[e[0]], b = pos[e[1]];
      if (!a || !b) return;
      var x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2, mx = (x1 + x2) / 2;
      g.appendChild(svg("path", { "class": "gedge", d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2,
        "data-from": e[0], "data-to": e[1] }));
    });
    Object.keys(pos).forEach(function (u) {
      var n = NODES[u], p = pos[u];
      var node = svg("g", { "class": "gnode " + n.resource_type, "data-uid": u, transform: "translate(" + p.x + "," + p.y + ")" });
      node.appendChild(svg("rect", { width: BOX_W, height: BOX_H, rx: 6 }));
      var t = svg("text", { x: 10, y: 21 });
      var name = label(n);
      t.textContent = name.length > 27 ? name.slice(0, 26) + "\u2026" : name;
      var title = svg("title", {});
      title.textContent = n.resource_type + " " + u;
      node.appendChild(title);
      node.appendChild(t);
      node.addEventListener("click", function (ev) {
        if (dragged) return; /* the end of a pan, not a click */
        if (ev.shiftKey) location.hash = "#!/graph/focus/" + encodeURIComponent(u);
        else location.hash = nodeHref(u);
      });
      g.appendChild(node);
    });
    panZoom();
  }
  function applyView() { $("viewport").setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")"); }
  function zoomAt(f, cx, cy) {
    var k = Math.min(4, Math.max(0.1, view.k * f));
    view.x = cx - (cx - view.x) * (k / view.k);
    view.y = cy - (cy - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }
  function panZoom() {
    var s = $("graph"), drag = null;
    s.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = s.getBoundingClientRect();
      zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    s.addEventListener("mousedown", function (ev) { drag = [ev.clientX - view.x, ev.clientY - view.y, ev.clientX, ev.clientY]; dragged = false; });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      if (Math.abs(ev.clientX - drag[2]) + Math.abs(ev.clientY - drag[3]) > 4) dragged = true;
      s.classList.add("dragging");
      view.x = ev.clientX - drag[0]; view.y = ev.clientY - drag[1]; applyView();
    });
    window.addEventListener("mouseup", function () { drag = null; s.classList.remove("dragging"); });
    $("fit").addEventListener("click", fit);
    $("zoom-in").addEventListener("click", function () { var r = s.getBoundingClientRect(); zoomAt(1.25, r.width / 2, r.height / 2); });
    $("zoom-out").addEventListener("click", function () { var r = s.getBoundingClientRect(); zoomAt(0.8, r.width / 2, r.height / 2); });
    $("focus-mode").addEventListener("change", function () {
      if (!focus) return;
      var to = "#!/graph/focus/" + encodeURIComponent(focus);
      if (location.hash === to) applyFocus(focus); else location.hash = to;
    });
    $("clear-focus").addEventListener("click", function () { location.hash = "#!/graph"; });
  }
  function fit(only) {
    var s = $("graph"), r = s.getBoundingClientRect(), pos = D.graph.positions;
    var ids = Object.keys(pos).filter(function (u) { return !only || only[u]; });
    if (!ids.length || !r.width) return;
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach(function (u) { var p = pos[u]; x0 = Math.min(x0, p.x); y0 = Math.min(y0, p.y); x1 = Math.max(x1, p.x + BOX_W); y1 = Math.max(y1, p.y + BOX_H); });
    var k = Math.min(1.5, Math.max(0.1, Math.min((r.width - 40) / (x1 - x0), (r.height - 40) / (y1 - y0))));
    view = { k: k, x: (r.width - (x1 - x0) * k) / 2 - x0 * k, y: (r.height - (y1 - y0) * k) / 2 - y0 * k };
    applyView();
  }
  function columnNodes(uid, col) {
    /* the nodes a column's lineage passes through, upstream and downstream */
    var keep = {}, seen = {};
    keep[uid] = true;
    ["up", "down"].forEach(function (dir) {
      var todo = [[uid, col]];
      while (todo.length) {
        var at = todo.pop();
        colEdges(at[0], at[1])[dir].forEach(function (e) {
          var k = dir + e[0] + "\u0000" + e[1];
          if (!seen[k]) { seen[k] = true; keep[e[0]] = true; todo.push(e); }
        });
      }
    });
    return keep;
  }
  function applyFocus(uid, col) {
    focus = uid;
    var mode = $("focus-mode").value, keep = {};
    if (uid && col) keep = columnNodes(uid, col);
    else if (uid) {
      if (mode !== "down") Object.assign(keep, walk(uid, "up"));
      if (mode !== "up") Object.assign(keep, walk(uid, "down"));
    }
    document.querySelectorAll(".gnode").forEach(function (n) {
      var u = n.getAttribute("data-uid");
      n.classList.toggle("dim", !!uid && !keep[u]);
      n.classList.toggle("selected", u === uid);
    });
    document.querySelectorAll(".gedge").forEach(function (e) {
      var on = !!uid && keep[e.getAttribute("data-from")] && keep[e.getAttribute("data-to")];
      e.classList.toggle("dim", !!uid && !on);
      e.classList.toggle("hot", !!on);
    });
    $("focus-label").textContent = uid ? "on " + label(NODES[uid]) + (col ? "." + col + " (column lineage)" : "") : "";
    $("clear-focus").hidden = !uid;
    fit(uid ? keep : null);
  }
  function markMatches(q) {
    q = (q || "").trim().toLowerCase();
    document.querySelectorAll(".gnode").forEach(function (n) {
      var name = label(NODES[n.getAttribute("data-uid")]).toLowerCase();
      n.classList.toggle("match", !!q && name.indexOf(q) >= 0);
    });
  }

  /* ---- node pages ------------------------------------------------------------------- */
  function section(title, body) { return [el("h2", { text: title }), body]; }
  function pre(text) { return el("pre", {}, [el("code", { text: text })]); }
  function nodePage(uid, col) {
    var n = NODES[uid], page = $("node-view");
    page.innerHTML = "";
    if (!n) { page.appendChild(el("p", { "class": "empty", text: "No node " + uid + " in this project." })); return; }
    var kind = n.resource_type + (n.language ? " (" + n.language + ")" : "") + (n.materialized ? ", " + n.materialized : "");
    page.appendChild(el("h1", { text: label(n) }));
    page.appendChild(el("div", { "class": "meta" }, [
      el("span", { "class": "badge", text: kind }), " ",
      n.relation ? el("code", { text: n.relation }) : null, " ",
      n.path ? el("span", { text: n.path + (n.line ? ":" + n.line : "") }) : null, " ",
      n.resource_type !== "test" ? el("a", { href: "#!/graph/focus/" + encodeURIComponent(uid), id: "show-in-graph", text: "Show in graph" }) : null,
      (n.tags || []).length ? el("span", { text: "  tags: " + n.tags.join(", ") }) : null
    ]));
    var parts = [];
    parts.push.apply(parts, section("Description", n.description_html
      ? el("div", { "class": "desc", html: n.description_html }) : el("p", { "class": "empty", text: "No description." })));
    if (n.resource_type !== "test" && n.resource_type !== "exposure") parts.push.apply(parts, section("Columns", columnsTable(uid, n)));
    if (n.resource_type === "exposure") parts.push.apply(parts, section("Exposure", exposureInfo(n)));
    parts.push.apply(parts, section("Tests", testsList(n)));
    if (n.history) parts.push.apply(parts, section("Run history", historyInfo(n.history)));
    parts.push.apply(parts, section("Depends on", nodeList(n.parents)));
    parts.push.apply(parts, section("Referenced by", nodeList(n.children)));
    if (n.raw_code) parts.push.apply(parts, section(n.language === "python" ? "Python source" : "Source", pre(n.raw_code)));
    if (n.compiled_code) parts.push.apply(parts, section("Compiled SQL", pre(n.compiled_code)));
    if (n.config && Object.keys(n.config).length) parts.push.apply(parts, section("Config", pre(JSON.stringify(n.config, null, 2))));
    parts.forEach(function (p) { page.appendChild(p); });
    if (col) showColumn(uid, col);
  }
  function historyInfo(h) {
    var secs = function (v) { return v == null ? "-" : v.toFixed(2) + " s"; };
    var runs = (h.durations || []).map(function (d, i) {
      var rows = (h.rows || [])[i], scanned = (h.bytes_scanned || [])[i];
      return el("tr", {}, [el("td", { text: String(i + 1) }), el("td", { text: secs(d) }),
        el("td", { text: rows == null ? "-" : String(rows) }), el("td", { text: scanned == null ? "-" : String(scanned) })]);
    });
    return el("div", { "class": "history", id: "run-history" }, [
      el("p", { text: "Last run: " + h.last_status + (h.last_run_at ? " at " + h.last_run_at : "") + "; " + h.runs +
        " run(s) in the history, mean " + secs(h.mean_seconds) + "." }),
      el("p", { text: "Duration " + (h.duration_trend || "") + "   rows " + (h.rows_trend || "") }),
      el("table", { "class": "history-runs" }, [
        el("thead", {}, [el("tr", {}, [el("th", { text: "Run (oldest first)" }), el("th", { text: "Duration" }),
          el("th", { text: "Rows" }), el("th", { text: "Bytes scanned" })])]),
        el("tbody", {}, runs)
      ])
    ]);
  }
  function columnsTable(uid, n) {
    if (!(n.columns || []).length) return el("p", { "class": "empty", text: "No columns known: build the node or declare its columns in YAML." });
    var tbody = el("tbody");
    n.columns.forEach(function (c) {
      var tests = (n.tests || []).filter(function (t) { return t.column && t.column.toLowerCase() === c.name.toLowerCase(); });
      var b = el("button", { type: "button", "class": "col", "data-col": c.name, text: c.name, title: "Show this column's lineage" });
      b.addEventListener("click", function () { location.hash = nodeHref(uid, c.name); });
      tbody.appendChild(el("tr", { "data-col": c.name }, [
        el("td", {}, [b]),
        el("td", {}, [el("code", { text: c.type || "" }), c.type_source && c.type_source !== "catalog" ? el("span", { "class": "meta", text: " (" + c.type_source + ")" }) : null]),
        el("td", { html: c.description_html || "" }),
        el("td", { text: tests.map(function (t) { return t.test_name; }).join(", ") })
      ]));
    });
    var wrap = el("div", {}, [el("table", { "class": "columns" }, [
      el("thead", {}, [el("tr", {}, [el("th", { text: "Column" }), el("th", { text: "Type" }), el("th", { text: "Description" }), el("th", { text: "Tests" })])]),
      tbody])]);
    wrap.appendChild(el("div", { id: "column-lineage", hidden: "" }));
    return wrap;
  }
  function colEdges(uid, col) {
    var cols = D.lineage[uid] || {}, key = Object.keys(cols).find(function (k) { return k.toLowerCase() === col.toLowerCase(); });
    return key ? cols[key] : { up: [], down: [] };
  }
  function tree(uid, col, dir, seen, depth) {
    var ul = el("ul", { "class": dir });
    colEdges(uid, col)[dir].forEach(function (e) {
      var k = e[0] + "\u0000" + e[1], li = el("li", {}, [link(e[0], label(NODES[e[0]]) + "." + e[1], e[1]),
        el("span", { "class": "meta", text: " " + ((NODES[e[0]] || {}).resource_type || "") })]);
      if (!seen[k] && depth < 50) { seen[k] = true; var sub = tree(e[0], e[1], dir, seen, depth + 1); if (sub.children.length) li.appendChild(sub); }
      ul.appendChild(li);
    });
    return ul;
  }
  function showColumn(uid, col) {
    var box = $("column-lineage");
    if (!box) return;
    document.querySelectorAll("tr.col-selected").forEach(function (r) { r.classList.remove("col-selected"); });
    document.querySelectorAll("tr[data-col]").forEach(function (r) { if (r.getAttribute("data-col").toLowerCase() === col.toLowerCase()) r.classList.add("col-selected"); });
    box.innerHTML = "";
    box.hidden = false;
    var up = tree(uid, col, "up", {}, 0), down = tree(uid, col, "down", {}, 0);
    box.appendChild(el("h3", { text: "Lineage of " + label(NODES[uid]) + "." + col }, [" ",
      el("a", { href: "#!/graph/column/" + encodeURIComponent(uid) + "/" + encodeURIComponent(col), id: "column-in-graph", text: "Show in graph" })]));
    box.appendChild(el("div", { "class": "sides" }, [
      el("div", { "class": "side", id: "lineage-up" }, [el("strong", { text: "Comes from" }),
        up.children.length ? up : el("p", { "class": "empty", text: "No upstream columns (a source, a seed, a literal or an expression of no column)." })]),
      el("div", { "class": "side", id: "lineage-down" }, [el("strong", { text: "Goes to" }),
        down.children.length ? down : el("p", { "class": "empty", text: "No downstream columns." })])
    ]));
    if (NODES[uid].lineage_error) box.appendChild(el("p", { "class": "empty lineage-error", text: "Column lineage is incomplete here: " + NODES[uid].lineage_error }));
    box.scrollIntoView({ block: "nearest" });
  }
  function testsList(n) {
    if (!(n.tests || []).length) return el("p", { "class": "empty", text: "No tests." });
    return el("ul", {}, n.tests.map(function (t) {
      return el("li", {}, [link(t.unique_id, t.name), t.column ? el("span", { "class": "meta", text: " on column " + t.column }) : null]);
    }));
  }
  function nodeList(ids) {
    if (!(ids || []).length) return el("p", { "class": "empty", text: "None." });
    return el("ul", {}, ids.map(function (u) {
      return el("li", {}, [NODES[u] ? link(u) : el("code", { text: u }), NODES[u] ? el("span", { "class": "meta", text: " " + NODES[u].resource_type }) : null]);
    }));
  }
  function exposureInfo(n) {
    var owner = n.owner || {};
    return el("ul", {}, [
      el("li", { text: "type: " + (n.exposure_type || "") }),
      el("li", { text: "owner: " + [owner.name, owner.email].filter(Boolean).join(" ") }),
      n.maturity ? el("li", { text: "maturity: " + n.maturity }) : null,
      n.url ? el("li", {}, ["url: ", el("a", { href: /^https?:/i.test(n.url) ? n.url : "#", text: n.url, rel: "noopener" })]) : null
    ]);
  }

  /* ---- routing ---------------------------------------------------------------------- */
  var graphDrawn = false;
  function route() {
    var h = decodeURI(location.hash || "#!/graph").replace(/^#!?\/?/, "").split("/");
    var graphView = $("graph-view"), nodeView = $("node-view");
    document.querySelectorAll("#sidebar a.current").forEach(function (a) { a.classList.remove("current"); });
    if (h[0] === "node" && h[1]) {
      var uid = decodeURIComponent(h[1]), col = h[2] === "col" && h[3] ? decodeURIComponent(h.slice(3).join("/")) : null;
      graphView.hidden = true; nodeView.hidden = false;
      nodePage(uid, col);
      document.querySelectorAll('#sidebar a[data-uid="' + CSS.escape(uid) + '"]').forEach(function (a) { a.classList.add("current"); });
      document.title = label(NODES[uid]) + " \u2014 " + (D.project || "pyflow") + " docs";
      $("main").scrollTop = 0;
      return;
    }
    nodeView.hidden = true; graphView.hidden = false;
    document.title = (D.project || "pyflow") + " docs";
    if (!graphDrawn) { drawGraph(); graphDrawn = true; }
    if (h[1] === "column" && h[2] && h[3]) applyFocus(decodeURIComponent(h[2]), decodeURIComponent(h.slice(3).join("/")));
    else applyFocus(h[1] === "focus" && h[2] ? decodeURIComponent(h[2]) : null);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("project-name").textContent = (D.project || "pyflow") + " docs";
    $("generated").textContent = D.generated_at ? "generated " + D.generated_at.slice(0, 19).replace("T", " ") + " UTC" : "";
    sidebar();
    setupSearch();
    window.addEventListener("hashchange", route);
    route();
    document.body.setAttribute("data-ready", "true");
  });
})();
