// One run: overview, description, params, metrics (a history chart for each
// metric logged more than once), tags, and the artifact tree with previews and downloads.
"use strict";

(function () {
  const runId = decodeURIComponent(window.location.pathname.split("/")[2] || "");
  const main = MT.main();
  const runApi = `/api/runs/${encodeURIComponent(runId)}`;
  let lastRun = "";

  function kvTable(id, entries, emptyText) {
    if (!entries.length) return MT.el("p", { id, class: "muted", text: emptyText });
    return MT.el(
      "table",
      { id, class: "grid kv" },
      MT.el("thead", {}, MT.el("tr", {}, MT.el("th", { text: "Name" }), MT.el("th", { text: "Value" }))),
      MT.el(
        "tbody",
        {},
        ...entries.map(([k, v]) => MT.el("tr", { "data-key": k }, MT.el("td", { text: k }), MT.el("td", { text: MT.formatValue(v) })))
      )
    );
  }

  function section(title, id, ...children) {
    return MT.el("section", { id }, MT.el("h2", { text: title }), ...children);
  }

  // ---- metrics and their histories ------------------------------------------
  // Every metric's latest value is in the table; a chart only for a metric logged
  // more than once (a value per step or round). A single value as a one-dot chart
  // on a -1..1 step axis would only look empty.
  function drawHistory(key, points, holder) {
    if (!MT.plotlyReady(holder)) return;
    const steps = new Set(points.map((p) => p.step));
    // One value per step: plot against step. Many values at one step: against time.
    const byStep = steps.size > 1;
    const trace = {
      x: byStep ? points.map((p) => p.step) : points.map((p) => new Date(p.timestamp)),
      y: points.map((p) => p.value),
      mode: "lines+markers",
      name: MT.plotText(key),
      type: "scatter",
    };
    window.Plotly.react(
      holder,
      [trace],
      MT.plotLayout({ title: { text: MT.plotText(key) }, height: 260, xaxis: { title: { text: byStep ? "step" : "time" } } }),
      MT.plotConfig
    );
  }

  async function drawHistories(keys, charts) {
    const histories = await Promise.all(
      keys.map((key) => MT.api("/api/metric-history", { key, run_id: [runId] }).then((data) => [key, data.histories[runId] || []]))
    );
    for (const [key, points] of histories) {
      if (points.length < 2) continue;
      const holder = MT.el("div", { class: "chart metric-history", "data-metric": key });
      charts.append(holder);
      drawHistory(key, points, holder);
    }
  }

  function renderMetrics(run) {
    const keys = Object.keys(run.metrics).sort();
    const box = MT.el("div", { id: "metrics" });
    box.append(kvTable("metrics-table", keys.map((k) => [k, run.metrics[k]]), "No metrics logged."));
    const charts = MT.el("div", { id: "metric-charts", class: "charts" });
    drawHistories(keys, charts)
      .catch((e) => charts.append(MT.errorBox(e.message)))
      .finally(() => charts.setAttribute("data-loaded", "true"));
    box.append(charts);
    return box;
  }

  // ---- artifacts -------------------------------------------------------------
  const preview = MT.el("div", { id: "artifact-preview", class: "preview" }, MT.el("p", { class: "muted", text: "Select a file to preview it." }));

  function fileUrl(path, download) {
    const q = new URLSearchParams({ path });
    if (download) q.set("download", "1");
    return `${runApi}/artifacts/file?${q}`;
  }

  async function showPreview(path) {
    MT.clear(preview).append(MT.el("p", { class: "muted", text: `Loading ${path}...` }));
    let p;
    try {
      p = await MT.api(`${runApi}/artifacts/preview`, { path });
    } catch (e) {
      MT.clear(preview).append(MT.errorBox(e.message));
      return;
    }
    const head = MT.el(
      "div",
      { class: "preview-head" },
      MT.el("strong", { class: "preview-path", text: p.path }),
      MT.el("span", { class: "muted", text: ` ${p.size} bytes ` }),
      MT.el("a", { class: "download", href: fileUrl(p.path, true), download: p.path.split("/").pop(), text: "Download" })
    );
    const body = MT.el("div", { class: "preview-body", "data-kind": p.kind });
    const name = p.path.split("/").pop();
    if (p.kind === "image") {
      body.append(MT.el("img", { src: fileUrl(p.path, false), alt: p.path }));
    } else if (p.kind === "binary") {
      body.append(MT.el("p", { class: "muted", text: "A binary file: download it to open it." }));
    } else {
      let text = p.text;
      if (p.kind === "json" && !p.truncated) {
        try {
          text = JSON.stringify(JSON.parse(text), null, 2);
        } catch (e) {
          /* show as logged */
        }
      }
      if (name === "MLmodel") {
        const folder = p.path.includes("/") ? p.path.slice(0, p.path.lastIndexOf("/")) : "";
        body.append(
          MT.el("p", { class: "mlmodel-hint" }, "An MLflow model. Load it with ",
            MT.el("code", { text: `mlflow.pyfunc.load_model("runs:/${runId}/${folder}")` }))
        );
      }
      body.append(MT.el("pre", { class: `code ${p.kind}`, text }));
      if (p.truncated) body.append(MT.el("p", { class: "muted", text: "Only the beginning is shown: download the file for the rest." }));
    }
    MT.clear(preview).append(head, body);
  }

  async function artifactList(path) {
    const data = await MT.api(`${runApi}/artifacts`, { path });
    const list = MT.el("ul", { class: "tree" });
    for (const f of data.files) {
      const label = f.path.split("/").pop();
      if (f.is_dir) {
        const item = MT.el("li", { class: "dir", "data-path": f.path });
        const toggle = MT.el("button", {
          type: "button",
          class: "link",
          text: `\u25B8 ${label}/`,
          onclick: async () => {
            const open = item.classList.toggle("open");
            toggle.textContent = `${open ? "\u25BE" : "\u25B8"} ${label}/`;
            if (open && !item.querySelector("ul")) {
              try {
                item.append(await artifactList(f.path));
              } catch (e) {
                item.append(MT.errorBox(e.message));
              }
            }
          },
        });
        item.append(toggle);
        list.append(item);
      } else {
        list.append(
          MT.el("li", { class: "file", "data-path": f.path },
            MT.el("button", { type: "button", class: "link", text: label, onclick: () => showPreview(f.path) }),
            MT.el("span", { class: "muted size", text: ` ${f.file_size} B` }))
        );
      }
    }
    if (!data.files.length && !path) list.append(MT.el("li", { class: "muted", text: "No artifacts." }));
    return list;
  }

  // ---- the page --------------------------------------------------------------
  function overview(run) {
    const t = run.tags;
    const rows = [
      ["Run ID", run.run_id],
      ["Status", run.status],
      ["Created", MT.formatTime(run.start_time)],
      ["Duration", MT.formatDuration(run.start_time, run.end_time)],
      ["User", t["mlflow.user"] || run.user_id || ""],
      ["Source", t["mlflow.source.name"] || ""],
      ["Version", t["mlflow.source.git.commit"] || ""],
      ["Parent run", t["mlflow.parentRunId"] || ""],
      ["Artifact location", run.artifact_uri || ""],
    ].filter(([, v]) => v !== "");
    return kvTable("overview", rows, "");
  }

  // "registered as nyc-taxi-regressor v3 (@champion)", each linking to the model page.
  function registrations(run) {
    const found = run.registered_versions || [];
    if (!found.length) return [];
    const links = found.map((r) => {
      const aliases = r.aliases.length ? ` (${r.aliases.map((a) => `@${a}`).join(", ")})` : "";
      return MT.el("a", { href: `/models/${encodeURIComponent(r.name)}#v${r.version}`, text: `${r.name} v${r.version}${aliases}` });
    });
    const parts = links.flatMap((link, i) => (i ? [", ", link] : [link]));
    return [MT.el("p", { id: "registered", class: "registered" }, "Registered as ", ...parts)];
  }

  async function render() {
    const { run } = await MT.api(runApi);
    const signature = JSON.stringify(run);
    if (signature === lastRun) return run;
    lastRun = signature;
    document.title = `${run.run_name || run.run_id} - minitrack`;
    const userTags = Object.entries(run.tags).filter(([k]) => !k.startsWith("mlflow.")).sort();
    const systemTags = Object.entries(run.tags).filter(([k]) => k.startsWith("mlflow.")).sort();
    MT.clear(main).append(
      MT.el("p", { class: "crumbs" },
        MT.el("a", { href: "/", text: "Experiments" }), " / ",
        MT.el("a", { href: `/experiments/${encodeURIComponent(run.experiment_id)}`, text: run.experiment_name || run.experiment_id }), " / "),
      MT.el("h1", { id: "run-name" }, MT.el("span", { text: run.run_name || run.run_id }), " ", MT.statusBadge(run.status)),
      ...registrations(run),
      overview(run),
      section("Description", "description", run.description
        ? MT.el("pre", { class: "note", text: run.description })
        : MT.el("p", { class: "muted", text: "No description." })),
      section("Parameters", "params", kvTable("params-table", Object.entries(run.params).sort(), "No parameters logged.")),
      section("Metrics", "metrics-section", renderMetrics(run)),
      section("Tags", "tags", kvTable("tags-table", userTags, "No tags."),
        systemTags.length ? MT.el("details", {}, MT.el("summary", { text: "System tags" }), kvTable("system-tags", systemTags, "")) : null),
      section("Artifacts", "artifacts", MT.el("div", { class: "artifacts" }, MT.el("div", { id: "artifact-tree" }), preview))
    );
    const tree = document.getElementById("artifact-tree");
    artifactList("").then((l) => tree.append(l)).catch((e) => tree.append(MT.errorBox(e.message)));
    return run;
  }

  render()
    .then((run) => {
      // While the run is still going, new metric values appear without a reload.
      const stop = MT.poll(async () => {
        const fresh = await render();
        if (fresh.status !== "RUNNING") stop();
      }, MT.POLL_MS);
      if (run.status !== "RUNNING") stop();
    })
    .catch((e) => MT.clear(main).append(MT.errorBox(e.message)));
})();
