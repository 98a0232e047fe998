// Compare selected runs: params and metrics side by side ("show differences
// only"), parallel coordinates, scatter (pick x, y), contour (pick x, y, z)
// and metric histories overlaid.
"use strict";

(function () {
  const query = new URLSearchParams(window.location.search);
  const runIds = [...new Set(query.getAll("run_id"))];
  const main = MT.main();
  document.title = "Compare runs - minitrack";

  const label = (run) => run.run_name || run.run_id.slice(0, 8);
  // The same, as plotly text: shown as written, never as plotly's pseudo-HTML.
  const plotLabel = (run) => MT.plotText(label(run));
  const T = MT.plotText;

  // Every key with its values per run; numeric when every present value is a number.
  function columns(runs) {
    const cols = [];
    for (const kind of ["params", "metrics"]) {
      const keys = [...new Set(runs.flatMap((r) => Object.keys(r[kind])))].sort();
      for (const key of keys) {
        const values = runs.map((r) => (key in r[kind] ? r[kind][key] : null));
        const present = values.filter((v) => v !== null && v !== "");
        const numeric = present.length > 0 && present.every((v) => v !== "" && !Number.isNaN(Number(v)));
        cols.push({
          id: `${kind}.${key}`,
          kind,
          key,
          values: numeric ? values.map((v) => (v === null || v === "" ? null : Number(v))) : values,
          numeric,
          complete: present.length === runs.length,
        });
      }
    }
    return cols;
  }

  function select(id, options, chosen, onchange) {
    return MT.el(
      "select",
      { id, onchange },
      ...options.map((c) => MT.el("option", { value: c.id, selected: c.id === chosen, text: c.id }))
    );
  }

  // ---- side-by-side table ------------------------------------------------------
  function sideBySide(runs, cols) {
    const diffOnly = MT.el("input", { type: "checkbox", id: "diff-only" });
    const table = MT.el(
      "table",
      { id: "compare-table", class: "grid" },
      MT.el("thead", {}, MT.el("tr", {}, MT.el("th", { text: "" }),
        ...runs.map((r) => MT.el("th", {}, MT.el("a", { href: `/runs/${encodeURIComponent(r.run_id)}`, text: label(r) }))))),
      MT.el(
        "tbody",
        {},
        ...cols.map((c) => {
          const shown = c.values.map((v) => MT.formatValue(v));
          const same = shown.every((v) => v === shown[0]);
          return MT.el(
            "tr",
            { class: same ? "same" : "differs", "data-key": c.id },
            MT.el("th", { class: c.kind, text: c.id }),
            ...shown.map((v) => MT.el("td", { class: c.numeric ? "num" : "", text: v }))
          );
        })
      )
    );
    diffOnly.addEventListener("change", () => table.classList.toggle("diff-only", diffOnly.checked));
    return MT.el("section", { id: "side-by-side" }, MT.el("h2", { text: "Parameters and metrics" }),
      MT.el("label", { class: "check" }, diffOnly, " Show differences only"), MT.el("div", { class: "table-scroll" }, table));
  }

  // ---- charts ---------------------------------------------------------------
  // Viridis, sampled: the colour of t in [0, 1].
  const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
  const viridis = (t) => VIRIDIS[Math.max(0, Math.min(VIRIDIS.length - 1, Math.round(t * (VIRIDIS.length - 1))))];

  // Parallel coordinates drawn as SVG lines (one per run) rather than plotly's
  // WebGL "parcoords": it works without WebGL and without 'unsafe-eval' in the CSP.
  // Axes sit at x = 0, 1, ...; each axis maps its values to y in [0, 1].
  const PC_X_PAD = 0.3;
  const PC_Y_RANGE = [-0.12, 1.12];
  function parallelCoordinates(holder, runs, cols) {
    if (!MT.plotlyReady(holder)) return;
    const usable = cols.filter((c) => c.complete);
    if (!usable.length) {
      MT.clear(holder).append(MT.el("p", { class: "muted", text: "No param or metric is shared by all these runs." }));
      return;
    }
    const axes = usable.map((c) => {
      if (c.numeric) {
        const lo = Math.min(...c.values);
        const hi = Math.max(...c.values);
        const scale = (v) => (hi === lo ? 0.5 : (v - lo) / (hi - lo));
        return { col: c, scale, lo: T(MT.formatValue(lo)), hi: T(MT.formatValue(hi)) };
      }
      const cats = [...new Set(c.values.map(String))].sort();
      const scale = (v) => (cats.length === 1 ? 0.5 : cats.indexOf(String(v)) / (cats.length - 1));
      return { col: c, scale, lo: T(cats[0]), hi: T(cats[cats.length - 1]) };
    });
    const colorCol = usable.find((c) => c.kind === "metrics" && c.numeric);
    const cLo = colorCol ? Math.min(...colorCol.values) : 0;
    const cHi = colorCol ? Math.max(...colorCol.values) : 1;
    const traces = runs.map((r, i) => ({
      type: "scatter",
      mode: "lines+markers",
      name: plotLabel(r),
      x: axes.map((_, j) => j),
      y: axes.map((a) => a.scale(a.col.values[i])),
      text: axes.map((a) => T(`${a.col.id}: ${MT.formatValue(a.col.values[i])}`)),
      hoverinfo: "name+text",
      line: { width: 2, color: colorCol ? viridis(cHi === cLo ? 0.5 : (colorCol.values[i] - cLo) / (cHi - cLo)) : undefined },
      showlegend: false,
    }));
    if (colorCol) {
      // An invisible trace that only carries the colour bar.
      traces.push({
        type: "scatter", mode: "markers", x: [null], y: [null], hoverinfo: "skip", showlegend: false,
        marker: { color: [cLo, cHi], cmin: cLo, cmax: cHi, colorscale: "Viridis", showscale: true, colorbar: { title: { text: T(colorCol.key) } } },
      });
    }
    // Each axis is labelled with its range; an axis where all runs agree gets one label.
    const annotations = axes.flatMap((a, j) =>
      String(a.hi) === String(a.lo)
        ? [{ x: j, y: 0.5, xshift: 4, xanchor: "left", text: a.hi, showarrow: false, font: { size: 11 } }]
        : [
            { x: j, y: 1.0, yshift: 10, text: a.hi, showarrow: false, font: { size: 11 } },
            { x: j, y: 0.0, yshift: -10, text: a.lo, showarrow: false, font: { size: 11 } },
          ]
    );
    const shapes = axes.map((_, j) => ({ type: "line", x0: j, x1: j, y0: 0, y1: 1, line: { color: "#444", width: 1 } }));
    const layout = MT.plotLayout({
      height: 380,
      margin: { l: 60, r: 60, t: 40, b: 60 },
      // Fixed ranges: zooming would break the brushes' pixel <-> value mapping.
      xaxis: { tickvals: axes.map((_, j) => j), ticktext: axes.map((a) => T(a.col.id)), showgrid: false, zeroline: false, range: [-PC_X_PAD, axes.length - 1 + PC_X_PAD], fixedrange: true },
      yaxis: { visible: false, range: PC_Y_RANGE, fixedrange: true },
      annotations,
      shapes,
    });
    const summary = selectionSummary(runs, colorCol);
    holder.after(summary.node);
    window.Plotly.react(holder, traces, layout, MT.plotConfig).then(() => {
      const brush = brushAxes(holder, runs, axes, summary.update);
      summary.onReset(brush.reset);
    });
  }

  // ---- brushing the parallel coordinates ------------------------------------
  // As in plotly's parcoords: press and drag along a numeric axis to select a
  // range; several brushed axes combine with AND; runs outside are dimmed.
  // Drag a band to move it; click the axis outside the band, double-click the
  // band or press its "×" to clear it. Brushes are kept in axis units (0 =
  // bottom, 1 = top), so they survive plotly redrawing at another size.
  const SVG_NS = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const clamp01 = (u) => Math.max(0, Math.min(1, u));
  const CLICK_PX = 3; // a press that moves less than this is a click, not a drag

  // Whether run i lies inside every brush (a missing value never does).
  function insideBrushes(brushes, axes, i) {
    for (const [j, b] of brushes) {
      const v = axes[j].col.values[i];
      if (v === null || v === undefined) return false;
      const u = axes[j].scale(v);
      if (u < b.lo || u > b.hi) return false;
    }
    return true;
  }

  // Adds the brush layer over a drawn chart; onChange(selected, brushed) gets
  // a boolean per run and whether any axis is brushed. Returns {reset}.
  function brushAxes(holder, runs, axes, onChange) {
    const brushes = new Map(); // axis index -> {lo, hi}
    const overlay = svgEl("svg", { class: "pc-brushes" });
    holder.append(overlay);

    // Plot-area pixels (from plotly's computed layout) <-> chart units.
    function geometry() {
      const size = holder._fullLayout._size;
      const [y0, y1] = PC_Y_RANGE;
      return {
        x: (j) => size.l + ((j + PC_X_PAD) / (axes.length - 1 + 2 * PC_X_PAD)) * size.w,
        y: (u) => size.t + (1 - (u - y0) / (y1 - y0)) * size.h,
        unit: (py) => y0 + (1 - (py - size.t) / size.h) * (y1 - y0),
      };
    }
    const pointerY = (e) => e.clientY - overlay.getBoundingClientRect().top;

    const parts = axes.map((a, j) => {
      const group = svgEl("g", { class: a.col.numeric ? "pc-axis" : "pc-axis pc-off", "data-axis": a.col.id });
      const hit = svgEl("rect", { class: "pc-hit" });
      hit.append(svgEl("title", {}, a.col.numeric
        ? `${a.col.id}: drag along the axis to select a range; click outside the band to clear it`
        : `${a.col.id} is categorical: it cannot be brushed`));
      group.append(hit);
      const part = { group, hit };
      if (a.col.numeric) {
        part.band = svgEl("rect", { class: "pc-band" });
        part.close = svgEl("text", { class: "pc-clear", "data-axis": a.col.id }, "\u00d7");
        part.close.append(svgEl("title", {}, `Clear the selection on ${a.col.id}`));
        part.close.addEventListener("pointerdown", (e) => { e.stopPropagation(); clear(j); });
        group.append(part.band, part.close);
        dragAlong(group, j);
      }
      return part;
    });
    overlay.append(...parts.map((p) => p.group));

    // One press-drag-release on axis j: draws a new band, or moves the band
    // pressed inside; a press without a drag outside the band clears it.
    function dragAlong(group, j) {
      let drag = null;
      group.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        group.setPointerCapture(e.pointerId);
        const at = clamp01(geometry().unit(pointerY(e)));
        const b = brushes.get(j);
        drag = { py: pointerY(e), at, moved: false, band: b && at >= b.lo && at <= b.hi ? { ...b } : null };
      });
      group.addEventListener("pointermove", (e) => {
        if (!drag || (!drag.moved && Math.abs(pointerY(e) - drag.py) < CLICK_PX)) return;
        drag.moved = true;
        const at = clamp01(geometry().unit(pointerY(e)));
        if (drag.band) {
          const width = drag.band.hi - drag.band.lo;
          const lo = Math.max(0, Math.min(1 - width, drag.band.lo + at - drag.at));
          brushes.set(j, { lo, hi: lo + width });
        } else {
          brushes.set(j, { lo: Math.min(drag.at, at), hi: Math.max(drag.at, at) });
        }
        changed();
      });
      const end = () => {
        if (drag && !drag.moved && !drag.band) clear(j);
        drag = null;
      };
      group.addEventListener("pointerup", end);
      group.addEventListener("pointercancel", end);
      // The pointer capture makes the group, not the band, the target of dblclick.
      group.addEventListener("dblclick", (e) => {
        const b = brushes.get(j);
        const at = geometry().unit(pointerY(e));
        if (b && at >= b.lo && at <= b.hi) clear(j);
      });
    }

    function clear(j) {
      if (brushes.delete(j)) changed();
    }

    // Place the strips and bands over the axes as plotly drew them.
    function place() {
      const g = geometry();
      overlay.setAttribute("width", holder._fullLayout.width);
      overlay.setAttribute("height", holder._fullLayout.height);
      parts.forEach((p, j) => {
        const top = g.y(1);
        for (const [k, v] of Object.entries({ x: g.x(j) - 12, y: top, width: 24, height: g.y(0) - top })) p.hit.setAttribute(k, v);
        if (!p.band) return;
        const b = brushes.get(j);
        p.band.setAttribute("display", b ? "inline" : "none");
        p.close.setAttribute("display", b ? "inline" : "none");
        if (!b) return;
        const y = g.y(b.hi);
        for (const [k, v] of Object.entries({ x: g.x(j) - 8, y, width: 16, height: Math.max(2, g.y(b.lo) - y) })) p.band.setAttribute(k, v);
        p.close.setAttribute("x", g.x(j) + 10);
        p.close.setAttribute("y", y + 4);
      });
    }

    // Mark each run's line: data-selected="true"/"false" (the CSS dims "false").
    function mark() {
      const selected = runs.map((_, i) => insideBrushes(brushes, axes, i));
      // Plotly draws one .trace per run, in order; the colour-bar trace comes last.
      holder.querySelectorAll(".scatterlayer .trace").forEach((node, i) => {
        if (i >= runs.length) return;
        node.setAttribute("data-run-name", label(runs[i]));
        node.setAttribute("data-selected", String(selected[i]));
      });
      return selected;
    }

    function changed() {
      place();
      onChange(mark(), brushes.size > 0);
    }

    holder.on("plotly_afterplot", () => { place(); mark(); });
    changed();
    return { reset: () => { brushes.clear(); changed(); } };
  }

  // "3 of 12 runs in the selection", the selected runs' names (with the
  // colour metric's value) and a button that clears every brush.
  function selectionSummary(runs, colorCol) {
    const text = MT.el("span", { id: "parcoords-count" });
    const reset = MT.el("button", { type: "button", id: "parcoords-reset", class: "secondary", disabled: true, text: "Reset selection" });
    const list = MT.el("ul", { id: "parcoords-selected", class: "run-list" });
    const node = MT.el("div", { class: "pc-selection", "aria-live": "polite" }, MT.el("p", {}, text, " ", reset), list);
    return {
      node,
      onReset: (fn) => reset.addEventListener("click", fn),
      update(selected, brushed) {
        const n = selected.filter(Boolean).length;
        text.textContent = `${n} of ${runs.length} runs in the selection` +
          (brushed ? ":" : ". Drag along an axis to select a range.");
        reset.disabled = !brushed;
        MT.clear(list);
        if (!brushed) return;
        runs.forEach((r, i) => {
          if (!selected[i]) return;
          const value = colorCol ? ` (${colorCol.key} ${MT.formatValue(colorCol.values[i])})` : "";
          list.append(MT.el("li", {}, MT.el("a", { href: `/runs/${encodeURIComponent(r.run_id)}`, text: label(r) }), value));
        });
      },
    };
  }

  function scatter(holder, runs, cols, x, y) {
    if (!MT.plotlyReady(holder)) return;
    const cx = cols.find((c) => c.id === x);
    const cy = cols.find((c) => c.id === y);
    if (!cx || !cy) return;
    window.Plotly.react(
      holder,
      [{ type: "scatter", mode: "markers+text", x: cx.values, y: cy.values, text: runs.map(plotLabel), textposition: "top center", marker: { size: 11 } }],
      MT.plotLayout({ xaxis: { title: { text: T(cx.id) } }, yaxis: { title: { text: T(cy.id) } } }),
      MT.plotConfig
    );
  }

  function contour(holder, runs, cols, x, y, z) {
    if (!MT.plotlyReady(holder)) return;
    const [cx, cy, cz] = [x, y, z].map((id) => cols.find((c) => c.id === id));
    if (!cx || !cy || !cz) return;
    window.Plotly.react(
      holder,
      [
        { type: "contour", x: cx.values, y: cy.values, z: cz.values, colorscale: "Viridis", connectgaps: true, colorbar: { title: { text: T(cz.key) } } },
        { type: "scatter", mode: "markers", x: cx.values, y: cy.values, text: runs.map(plotLabel), marker: { color: "#fff", line: { color: "#000", width: 1 } }, showlegend: false },
      ],
      MT.plotLayout({ xaxis: { title: { text: T(cx.id) } }, yaxis: { title: { text: T(cy.id) } } }),
      MT.plotConfig
    );
  }

  async function histories(holder, runs, key) {
    if (!MT.plotlyReady(holder) || !key) return;
    const data = await MT.api("/api/metric-history", { key, run_id: runs.map((r) => r.run_id) });
    const traces = runs.map((r) => {
      const points = data.histories[r.run_id] || [];
      return { type: "scatter", mode: points.length > 1 ? "lines" : "markers", name: plotLabel(r), x: points.map((p) => p.step), y: points.map((p) => p.value) };
    });
    window.Plotly.react(holder, traces, MT.plotLayout({ xaxis: { title: { text: "step" } }, yaxis: { title: { text: T(key) } } }), MT.plotConfig);
  }

  function chartSection(title, id, controls, holder) {
    return MT.el("section", { id: `${id}-section`, class: "chart-section" }, MT.el("h2", { text: title }),
      controls ? MT.el("div", { class: "controls" }, ...controls) : null, holder);
  }

  async function render() {
    if (runIds.length < 2) {
      main.append(MT.el("h1", { text: "Compare runs" }), MT.errorBox("Select at least two runs in an experiment's runs table, then press Compare."));
      return;
    }
    const { runs } = await MT.api("/api/compare", { run_id: runIds });
    const cols = columns(runs);
    const numeric = cols.filter((c) => c.numeric);
    const metricsNum = numeric.filter((c) => c.kind === "metrics");
    const paramsNum = numeric.filter((c) => c.kind === "params");
    const pick = (list, i) => (list[i] || list[0] || numeric[0] || {}).id;
    const expId = runs[0].experiment_id;

    const expLink = MT.el("a", { href: `/experiments/${encodeURIComponent(expId)}`, text: `Experiment ${expId}` });
    MT.api(`/api/experiments/${encodeURIComponent(expId)}`)
      .then(({ experiment }) => { expLink.textContent = experiment.name; })
      .catch(() => {});
    const crumbs = MT.el("p", { class: "crumbs" }, MT.el("a", { href: "/", text: "Experiments" }), " / ", expLink, " / Compare");
    main.append(crumbs, MT.el("h1", { text: `Comparing ${runs.length} runs` }), sideBySide(runs, cols));

    const pc = MT.el("div", { id: "parcoords", class: "chart" });
    main.append(chartSection("Parallel coordinates", "parcoords", null, pc));
    parallelCoordinates(pc, runs, cols);

    const sc = MT.el("div", { id: "scatter", class: "chart" });
    const sx = select("scatter-x", numeric, pick(paramsNum, 0), () => scatter(sc, runs, cols, sx.value, sy.value));
    const sy = select("scatter-y", numeric, pick(metricsNum, 0), () => scatter(sc, runs, cols, sx.value, sy.value));
    main.append(chartSection("Scatter", "scatter", [MT.el("label", {}, "x ", sx), MT.el("label", {}, "y ", sy)], sc));
    scatter(sc, runs, cols, sx.value, sy.value);

    const ct = MT.el("div", { id: "contour", class: "chart" });
    const draw = () => contour(ct, runs, cols, cx.value, cy.value, cz.value);
    const cx = select("contour-x", numeric, pick(paramsNum, 0), draw);
    const cy = select("contour-y", numeric, pick(paramsNum, 1), draw);
    const cz = select("contour-z", numeric, pick(metricsNum, 0), draw);
    main.append(chartSection("Contour", "contour", [MT.el("label", {}, "x ", cx), MT.el("label", {}, "y ", cy), MT.el("label", {}, "z ", cz)], ct));
    draw();

    const hi = MT.el("div", { id: "history", class: "chart" });
    const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
    const hm = MT.el("select", { id: "history-metric", onchange: () => histories(hi, runs, hm.value) },
      ...metricKeys.map((k) => MT.el("option", { value: k, text: k })));
    main.append(chartSection("Metric history", "history", [MT.el("label", {}, "metric ", hm)], hi));
    await histories(hi, runs, hm.value);
  }

  render().catch((e) => main.append(MT.errorBox(e.message)));
})();
