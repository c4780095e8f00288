/* dataprep report page: draws the embedded data with uPlot; no network access. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];
  var PAGE_SIZE = 10;
  var state = { charts: {}, data: DATA, edits: {} };
  window.dataprepReport = state;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "on") Object.keys(value).forEach(function (ev) { node.addEventListener(ev, value[ev]); });
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value === "number") {
      if (Number.isInteger(value)) return value.toLocaleString("en-US");
      return value.toFixed(digits === undefined ? 2 : digits);
    }
    return String(value);
  }

  function section(id, title, children) {
    return el("section", { id: id, class: "card" }, [el("h2", { text: title })].concat(children));
  }

  function keyValues(items) {
    var rows = items.filter(function (item) { return item[1] !== null && item[1] !== undefined; });
    return el("dl", { class: "kv" }, rows.reduce(function (acc, item) {
      return acc.concat([el("dt", { text: item[0] }), el("dd", { text: fmt(item[1]) })]);
    }, []));
  }

  function table(columns, rows, className) {
    var head = el("tr", {}, columns.map(function (c) { return el("th", { text: c }); }));
    var body = rows.map(function (row) {
      return el("tr", {}, row.map(function (cell) {
        if (cell instanceof Node) return el("td", {}, [cell]);
        return el("td", { text: fmt(cell), class: typeof cell === "number" ? "num" : null });
      }));
    });
    return el("div", { class: "table-wrap" }, [
      el("table", { class: className || "" }, [el("thead", {}, [head]), el("tbody", {}, body)]),
    ]);
  }

  function countsTable(title, counts) {
    var keys = Object.keys(counts || {});
    if (!keys.length) return null;
    return el("div", {}, [
      el("h3", { text: title }),
      table(["", "count"], keys.map(function (k) { return [k, counts[k]]; })),
    ]);
  }

  /* ---------- charts ---------- */

  // Bars are drawn here, not by uPlot's path builders, so that every bin with a count gets a
  // visible mark (at least 2 device pixels tall) and the number of marks drawn is recorded.
  function barGeometry(chart, u, seriesIndex, binIndex) {
    var k = chart.series.length;
    var left, right;
    if (chart.kind === "hist") {
      left = u.valToPos(chart.edges[binIndex], "x", true);
      right = u.valToPos(chart.edges[binIndex + 1], "x", true);
    } else {
      left = u.valToPos(binIndex - 0.4, "x", true);
      right = u.valToPos(binIndex + 0.4, "x", true);
    }
    var gap = Math.min(2, (right - left) * 0.1);
    var width = (right - left - gap) / k;
    var x = left + gap / 2 + seriesIndex * width;
    var base = u.valToPos(0, "y", true);
    var top = u.valToPos(chart.series[seriesIndex].counts[binIndex], "y", true);
    if (base - top < 2) top = base - 2;
    return { x: x, width: Math.max(1, width), top: top, base: base };
  }

  function drawBars(chart) {
    return function (u) {
      var ctx = u.ctx;
      var marks = 0;
      ctx.save();
      chart.series.forEach(function (series, si) {
        ctx.fillStyle = COLORS[si % COLORS.length];
        series.counts.forEach(function (count, bi) {
          if (!count) return;
          var g = barGeometry(chart, u, si, bi);
          ctx.fillRect(g.x, g.top, g.width, g.base - g.top);
          marks += 1;
        });
      });
      ctx.restore();
      u.root.setAttribute("data-marks", String(marks));
    };
  }

  function chartData(chart) {
    var n = chart.series[0].counts.length;
    var xs = [];
    for (var i = 0; i < n; i++) xs.push(chart.kind === "hist" ? (chart.edges[i] + chart.edges[i + 1]) / 2 : i);
    return [xs].concat(chart.series.map(function (s) { return s.counts; }));
  }

  function chartOptions(chart, width) {
    var max = 1;
    chart.series.forEach(function (s) { s.counts.forEach(function (c) { if (c > max) max = c; }); });
    var labels = chart.labels || [];
    var x = chart.kind === "hist"
      ? { time: false, range: [chart.edges[0], chart.edges[chart.edges.length - 1]] }
      : { time: false, range: [-0.6, labels.length - 0.4] };
    var xAxis = { stroke: "#4b5563", grid: { show: false } };
    if (chart.kind === "bars") {
      xAxis.splits = function () { return labels.map(function (_, i) { return i; }); };
      xAxis.values = function (u, splits) {
        return splits.map(function (v) { var s = labels[v] || ""; return s.length > 16 ? s.slice(0, 15) + "…" : s; });
      };
      xAxis.rotate = labels.length > 4 ? -40 : 0;
      xAxis.size = labels.length > 4 ? 90 : 40;
    }
    // Room on the right for the last rotated category label.
    var padding = chart.kind === "bars" && labels.length > 4 ? [12, 70, 0, 0] : [12, 12, 0, 0];
    return {
      width: width,
      height: 220,
      padding: padding,
      legend: { show: chart.series.length > 1 || chart.kind === "bars", live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: x, y: { range: [0, max * 1.08] } },
      axes: [xAxis, { stroke: "#4b5563", size: 55 }],
      series: [{ label: chart.kind === "hist" ? "bin" : "item", value: function (u, v, si, i) {
        if (i === null || i === undefined) return "–";
        if (chart.kind === "bars") return labels[i];
        var last = i === chart.edges.length - 2 && chart.overflow ? "+" : "";
        return fmt(chart.edges[i], 2) + "–" + fmt(chart.edges[i + 1], 2) + last;
      } }].concat(chart.series.map(function (s, i) {
        return { label: s.label, stroke: COLORS[i % COLORS.length], fill: COLORS[i % COLORS.length],
          paths: function () { return null; }, points: { show: false } };
      })),
      hooks: { draw: [drawBars(chart)] },
    };
  }

  function renderCharts(parent, charts) {
    if (!charts.length) return;
    var grid = el("div", { class: "charts" });
    parent.appendChild(section("distributions", "Distributions", [grid]));
    // Every box first, so the grid has its final columns before a plot measures its width.
    var boxes = charts.map(function (chart) {
      var box = el("figure", { class: "chart", "data-chart": chart.id }, [el("figcaption", { text: chart.title })]);
      grid.appendChild(box);
      return box;
    });
    charts.forEach(function (chart, i) {
      var width = Math.max(240, boxes[i].clientWidth - 4);
      state.charts[chart.id] = { chart: chart, plot: new uPlot(chartOptions(chart, width), chartData(chart), boxes[i]) };
    });
  }

  function resizeCharts() {
    Object.keys(state.charts).forEach(function (id) {
      var entry = state.charts[id];
      var box = entry.plot.root.parentNode;
      entry.plot.setSize({ width: Math.max(240, box.clientWidth - 4), height: 220 });
    });
  }

  /* ---------- overview and funnel ---------- */

  function renderFunnel(parent) {
    if (!DATA.funnel || !DATA.funnel.length) return;
    var rows = DATA.funnel.map(function (stage) {
      var reasons = Object.keys(stage.rejected || {}).map(function (r) { return r + ": " + stage.rejected[r]; });
      return [stage.stage, stage.rows_in, stage.rows_out, reasons.join(", ")];
    });
    parent.appendChild(section("funnel", "Pipeline funnel", [
      el("p", { class: "note", text: "Rows in and out of each stage of the run that wrote this dataset, and why rows were dropped." }),
      table(["stage", "in", "out", "rejected (reason: count)"], rows),
    ]));
  }

  function renderTextOverview(parent) {
    var o = DATA.overview;
    var splits = table(["split", "file", "rows"], o.splits.map(function (s) { return [s.name, s.file, s.rows]; }));
    var langTitle = "Languages (estimated on " + o.languages_sampled + " sampled rows)";
    parent.appendChild(section("overview", "Overview", [
      keyValues([["rows", o.rows_total], ["duplicates removed", o.duplicates_removed],
        ["unreadable rows", o.unreadable_rows], ["distinct sources", o.sources_total],
        ["tokenizer", o.tokenizer]]),
      el("div", { class: "cols" }, [
        el("div", {}, [el("h3", { text: "Splits" }), splits]),
        countsTable("Formats", o.formats),
        countsTable(langTitle, o.languages),
        countsTable("KTO labels", o.labels),
        countsTable("PII findings by type (" + o.pii_from + ")", o.pii_by_type),
        countsTable("Sources (top 20)", o.sources),
      ]),
    ]));
  }

  function renderTables(parent) {
    (DATA.tables || []).forEach(function (t) {
      if (!t.rows.length) return;
      parent.appendChild(section(t.id, t.title, [table(t.columns, t.rows)]));
    });
  }

  function renderFindings(parent) {
    if (!DATA.findings || !DATA.findings.length) {
      parent.appendChild(section("findings", "Validate findings", [el("p", { text: "No findings: every row passed every rule." })]));
      return;
    }
    var rows = DATA.findings.map(function (f) {
      var links = el("ul", { class: "examples" }, f.examples.map(function (e) {
        return el("li", {}, [
          el("a", { href: "#row=" + e.row, "data-row": e.row, text: e.row, on: { click: function (ev) { ev.preventDefault(); showRow(e.row); } } }),
          " " + e.message,
        ]);
      }));
      return [f.rule, f.severity, f.title, f.count, links];
    });
    parent.appendChild(section("findings", "Validate findings by rule", [table(["rule", "severity", "what", "rows", "examples"], rows, "findings")]));
  }

  /* ---------- sample browser ---------- */

  var browser = { query: "", page: 0, rows: [], only: null };

  function sampleText(row) {
    var parts = [row.id, row.source || ""];
    ["turns", "chosen", "rejected"].forEach(function (k) {
      (row[k] || []).forEach(function (t) { parts.push(t[1]); });
    });
    return parts.join("\n").toLowerCase();
  }

  function turnBlock(label, turns) {
    if (!turns) return null;
    return el("div", { class: "turns" }, [label ? el("h4", { text: label }) : null].concat(turns.map(function (t) {
      return el("div", { class: "turn", "data-role": t[0] }, [el("span", { class: "role", text: t[0] }), el("div", { class: "text", text: t[1] })]);
    })));
  }

  function sampleCard(row) {
    var head = el("header", {}, [
      el("strong", { text: row.id }), " · " + row.format,
      row.label === undefined ? null : " · label " + row.label,
      el("div", { class: "trace", text: "source: " + (row.source || "not recorded") }),
    ]);
    return el("article", { class: "sample", id: "row-" + row.id.replace(":", "-"), "data-row": row.id }, [
      head, turnBlock(null, row.turns), turnBlock("chosen", row.chosen), turnBlock("rejected", row.rejected),
    ]);
  }

  function filteredSamples() {
    if (browser.only) return DATA.samples.rows.filter(function (r) { return r.id === browser.only; });
    var q = browser.query.trim().toLowerCase();
    if (!q) return DATA.samples.rows;
    return DATA.samples.rows.filter(function (r) { return r._text.indexOf(q) >= 0; });
  }

  /* One page of ``rows`` into #PREFIX-list, with "page i of n" and the pager buttons updated. */
  function renderPage(prefix, view, rows, makeCard, noun) {
    var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    view.page = Math.min(view.page, pages - 1);
    var list = document.getElementById(prefix + "-list");
    list.textContent = "";
    rows.slice(view.page * PAGE_SIZE, (view.page + 1) * PAGE_SIZE).forEach(function (r) { list.appendChild(makeCard(r)); });
    document.getElementById(prefix + "-page").textContent =
      "page " + (view.page + 1) + " of " + pages + " · " + rows.length + " " + noun;
    document.getElementById(prefix + "-prev").disabled = view.page === 0;
    document.getElementById(prefix + "-next").disabled = view.page >= pages - 1;
    return rows.length;
  }

  function pagerButtons(prefix, view, render) {
    return [
      el("button", { id: prefix + "-prev", type: "button", text: "‹ previous", on: { click: function () { view.page -= 1; render(); } } }),
      el("span", { id: prefix + "-page" }),
      el("button", { id: prefix + "-next", type: "button", text: "next ›", on: { click: function () { view.page += 1; render(); } } }),
    ];
  }

  function renderSamplePage() {
    var noun = "matching rows" + (browser.only ? " (one row; clear the search to see all)" : "");
    return renderPage("sample", browser, filteredSamples(), sampleCard, noun);
  }

  function showRow(id) {
    browser.only = id;
    browser.page = 0;
    document.getElementById("sample-search").value = "";
    renderSamplePage();
    var card = document.querySelector('[data-row="' + id + '"].sample');
    if (card) { card.classList.add("highlight"); card.scrollIntoView(); }
  }

  function renderSamples(parent) {
    DATA.samples.rows.forEach(function (r) { r._text = sampleText(r); });
    var search = el("input", { id: "sample-search", type: "search", placeholder: "Search the sampled rows", "aria-label": "search samples" });
    search.addEventListener("input", function () { browser.query = search.value; browser.only = null; browser.page = 0; renderSamplePage(); });
    var controls = el("div", { class: "controls" }, [search].concat(pagerButtons("sample", browser, renderSamplePage)));
    var note = DATA.samples.rows.length < DATA.samples.total
      ? DATA.samples.rows.length + " of " + DATA.samples.total + " rows are embedded: a seeded random sample plus the rows that validate flagged. Statistics above cover every row."
      : "All " + DATA.samples.total + " rows are embedded.";
    parent.appendChild(section("samples", "Sample browser", [el("p", { class: "note", text: note }), controls, el("div", { id: "sample-list" })]));
    renderSamplePage();
  }

  /* ---------- voice ---------- */

  var clipView = { query: "", speaker: "", sort: "avg_logprob", page: 0, only: "all" };

  function editOf(clip) { return state.edits[clip.clip] || {}; }

  // Edits survive a reload of the page (same browser), until they are applied.
  var STORE = "dataprep-edits:" + DATA.title;

  function saveEdits() {
    try { localStorage.setItem(STORE, JSON.stringify(state.edits)); } catch (e) { /* storage off */ }
  }

  function restoreEdits() {
    var saved = {};
    try { saved = JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { saved = {}; }
    DATA.clips.forEach(function (clip) {
      var edit = saved[clip.clip];
      if (!edit) return;
      var kept = {};
      if (edit.text !== undefined && edit.text !== clip.text) kept.text = edit.text;
      if (edit.bad) kept.bad = true;
      if (Object.keys(kept).length) state.edits[clip.clip] = kept;
    });
    saveEdits();
  }

  function setEdit(clip, change) {
    var edit = Object.assign({}, editOf(clip), change);
    if (edit.text === clip.text) delete edit.text;
    if (!edit.bad) delete edit.bad;
    if (Object.keys(edit).length) state.edits[clip.clip] = edit; else delete state.edits[clip.clip];
    saveEdits();
    showEditCount();
  }

  function showEditCount() {
    document.getElementById("edit-count").textContent = Object.keys(state.edits).length + " edited clips";
  }

  function scoreList(item) {
    var keys = [["duration", "s", 2], ["avg_logprob", "log-prob", 2], ["no_speech_prob", "no-speech", 2],
      ["snr_db", "SNR dB", 1], ["chars_per_second", "chars/s", 1], ["compression_ratio", "compression", 2]];
    return el("dl", { class: "scores" }, keys.reduce(function (acc, k) {
      if (item[k[0]] === null || item[k[0]] === undefined) return acc;
      return acc.concat([el("dt", { text: k[1] }), el("dd", { text: fmt(item[k[0]], k[2]) })]);
    }, []));
  }

  function clipCard(clip) {
    var edit = editOf(clip);
    var text = el("textarea", { class: "transcript", rows: "2", "aria-label": "transcript of " + clip.clip });
    text.value = edit.text !== undefined ? edit.text : clip.text;
    text.addEventListener("input", function () { setEdit(clip, { text: text.value }); card.classList.toggle("edited", text.value !== clip.text); });
    var bad = el("input", { type: "checkbox", class: "mark-bad", checked: !!edit.bad });
    bad.addEventListener("change", function () { setEdit(clip, { bad: bad.checked }); card.classList.toggle("bad", bad.checked); });
    var card = el("article", { class: "clip" + (edit.bad ? " bad" : "") + (edit.text !== undefined ? " edited" : ""), "data-clip": clip.clip }, [
      el("header", {}, [el("strong", { text: clip.clip }), " · " + (clip.speaker || "") + " · " + (clip.language || "")]),
      el("audio", { controls: true, preload: "metadata", src: clip.src }),
      text,
      el("label", { class: "bad-label" }, [bad, " mark bad (drop from the lists)"]),
      scoreList(clip),
    ]);
    return card;
  }

  function sortedClips() {
    var q = clipView.query.trim().toLowerCase();
    var rows = DATA.clips.filter(function (c) {
      if (clipView.speaker && c.speaker !== clipView.speaker) return false;
      if (clipView.only === "edited" && !state.edits[c.clip]) return false;
      return !q || (c.text + " " + c.clip).toLowerCase().indexOf(q) >= 0;
    });
    var key = clipView.sort;
    var desc = key.charAt(0) === "-";
    if (desc) key = key.slice(1);
    rows = rows.slice().sort(function (a, b) {
      var x = a[key], y = b[key];
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return desc ? y - x : x - y;
    });
    return rows;
  }

  function renderClipPage() {
    return renderPage("clip", clipView, sortedClips(), clipCard, "clips");
  }

  function exportEdits() {
    var edits = Object.keys(state.edits).sort().map(function (clip) {
      return Object.assign({ clip: clip }, state.edits[clip]);
    });
    var payload = { format: "dataprep-voice-edits", version: 1, dataset: DATA.title, edits: edits };
    var text = JSON.stringify(payload, null, 2) + "\n";
    state.lastExport = text;
    var link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })), download: "edits.json" });
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function select(id, options, value, onChange) {
    var node = el("select", { id: id, "aria-label": id }, options.map(function (o) {
      return el("option", { value: o[0], text: o[1], selected: o[0] === value });
    }));
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function renderClips(parent) {
    restoreEdits();
    var speakers = [["", "all speakers"]].concat(DATA.overview.speakers_list.map(function (s) { return [s, s]; }));
    var search = el("input", { id: "clip-search", type: "search", placeholder: "Search transcripts", "aria-label": "search clips" });
    search.addEventListener("input", function () { clipView.query = search.value; clipView.page = 0; renderClipPage(); });
    var controls = el("div", { class: "controls" }, [
      search,
      select("clip-speaker", speakers, "", function (v) { clipView.speaker = v; clipView.page = 0; renderClipPage(); }),
      select("clip-sort", [["avg_logprob", "worst log-probability first"], ["-no_speech_prob", "highest no-speech first"],
        ["snr_db", "lowest SNR first"], ["-chars_per_second", "fastest speech first"], ["chars_per_second", "slowest speech first"],
        ["duration", "shortest first"], ["-duration", "longest first"]], clipView.sort,
        function (v) { clipView.sort = v; clipView.page = 0; renderClipPage(); }),
      select("clip-only", [["all", "all clips"], ["edited", "edited or marked bad"]], "all", function (v) { clipView.only = v; clipView.page = 0; renderClipPage(); }),
    ]);
    var pager = el("div", { class: "controls" }, pagerButtons("clip", clipView, renderClipPage).concat([
      el("button", { id: "export-edits", type: "button", class: "primary", text: "Export edits", on: { click: exportEdits } }),
      el("span", { id: "edit-count", text: "0 edited clips" }),
    ]));
    parent.appendChild(section("clips", "Kept clips", [
      el("p", { class: "note", text: "Listen, fix a transcript or mark a clip bad, then Export edits and run: dataprep voice apply-edits " + DATA.title + " edits.json" }),
      controls, pager, el("div", { id: "clip-list" }),
    ]));
    renderClipPage();
    showEditCount();
  }

  function renderRejected(parent) {
    var reasons = Object.keys(DATA.rejected_by_reason || {});
    if (!DATA.rejected.length) {
      parent.appendChild(section("rejected", "Rejected clips", [el("p", { text: DATA.rejected_note || "No rejected clip was recorded." })]));
      return;
    }
    var list = el("div", { id: "rejected-list" });
    function draw(reason) {
      list.textContent = "";
      DATA.rejected.filter(function (r) { return !reason || r.reason === reason; }).forEach(function (r) {
        list.appendChild(el("article", { class: "clip rejected", "data-reason": r.reason }, [
          el("header", {}, [el("strong", { text: r.reason }), " · " + r.source_name + " " + fmt(r.start, 2) + "–" + fmt(r.end, 2) + " s"]),
          r.src ? el("audio", { controls: true, preload: "none", src: r.src }) : null,
          r.text ? el("div", { class: "text", text: r.text }) : null,
          scoreList(r),
        ]));
      });
    }
    var pick = select("rejected-reason", [["", "all reasons"]].concat(reasons.map(function (r) { return [r, r + " (" + DATA.rejected_by_reason[r] + ")"]; })), "", draw);
    parent.appendChild(section("rejected", "Rejected clips by reason", [
      el("p", { class: "note", text: DATA.rejected_note || "" }), el("div", { class: "controls" }, [pick]), list,
    ]));
    draw("");
  }

  function renderVoiceOverview(parent) {
    var o = DATA.overview;
    parent.appendChild(section("overview", "Overview", [
      keyValues([["kept clips", o.clips], ["hours kept", o.hours], ["speakers", o.speakers], ["rejected clips", o.rejected_total],
        ["marked bad in review", o.excluded], ["formats", o.formats.join(", ")]]),
      el("div", { class: "cols" }, [countsTable("Languages", o.languages), countsTable("Clips per speaker", o.speakers_count), countsTable("Rejected by reason", DATA.rejected_by_reason)]),
    ]));
  }

  function main() {
    var root = document.getElementById("app");
    if (DATA.kind === "voice") {
      renderVoiceOverview(root);
      renderFunnel(root);
      renderCharts(root, DATA.charts);
      renderClips(root);
      renderRejected(root);
    } else {
      renderTextOverview(root);
      renderFunnel(root);
      renderCharts(root, DATA.charts);
      renderTables(root);
      renderFindings(root);
      renderSamples(root);
    }
    var resizeTimer = null;
    window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeCharts, 100); });
    var hash = decodeURIComponent(location.hash || "");
    if (hash.indexOf("#row=") === 0 && DATA.kind !== "voice") showRow(hash.slice(5));
    state.readyMs = performance.now();
    document.body.setAttribute("data-ready", "1");
  }

  main();
})();
