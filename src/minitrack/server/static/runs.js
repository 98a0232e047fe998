// An experiment's runs table: search box (MLflow's filter grammar), sortable
// columns, chosen metric/param/tag columns, server-side paging, live refresh,
// and "compare" for the selected runs.
"use strict";

(function () {
  const expId = decodeURIComponent(window.location.pathname.split("/")[2] || "");
  const query = new URLSearchParams(window.location.search);
  const PAGE_SIZE = 50;
  const state = {
    filter: query.get("filter") || "",
    orderBy: query.get("order_by") || "",
    offset: Number(query.get("offset") || 0),
    deleted: query.get("deleted") === "1", // show deleted runs too
    columns: loadColumns(),
    selected: new Set(),
    lastPayload: "",
    keys: { metrics: [], params: [], tags: [] },
  };

  // The fixed columns, MLflow's: header, sort expression (null: not sortable), cell.
  const FIXED = [
    ["Created", "attributes.start_time", (r) =>
      MT.el("a", { href: `/runs/${encodeURIComponent(r.run_id)}`, text: MT.formatTime(r.start_time) })],
    ["Run Name", "attributes.run_name", (r) =>
      MT.el(
        "span",
        {},
        MT.el("a", { class: "run-link", href: `/runs/${encodeURIComponent(r.run_id)}`, text: r.run_name || r.run_id }),
        r.lifecycle_stage === "deleted" ? MT.el("span", { class: "badge deleted-badge", text: "deleted" }) : ""
      )],
    ["Duration", null, (r) => MT.formatDuration(r.start_time, r.end_time)],
    ["Status", "attributes.status", (r) => MT.statusBadge(r.status)],
    ["User", "tags.`mlflow.user`", (r) => r.tags["mlflow.user"] || r.user_id || ""],
    ["Source", "tags.`mlflow.source.name`", (r) =>
      MT.el("span", { title: r.tags["mlflow.source.name"] || "", text: MT.sourceName(r.tags["mlflow.source.name"]) })],
    ["Version", "tags.`mlflow.source.git.commit`", (r) =>
      MT.el("code", { title: r.tags["mlflow.source.git.commit"] || "", text: MT.shortCommit(r.tags["mlflow.source.git.commit"]) })],
    ["Models", null, (r) => MT.modelNames(r.tags).join(", ")],
  ];

  function quoteKey(key) {
    return key.includes("`") ? `"${key}"` : `\`${key}\``;
  }

  function loadColumns() {
    try {
      const saved = JSON.parse(localStorage.getItem(`minitrack.columns.${expId}`));
      if (saved && Array.isArray(saved.metrics)) return saved;
    } catch (e) {
      /* no saved choice */
    }
    return null; // chosen from the keys once they are known
  }

  function saveColumns() {
    localStorage.setItem(`minitrack.columns.${expId}`, JSON.stringify(state.columns));
  }

  function syncUrl() {
    const q = new URLSearchParams();
    if (state.filter) q.set("filter", state.filter);
    if (state.orderBy) q.set("order_by", state.orderBy);
    if (state.offset) q.set("offset", state.offset);
    if (state.deleted) q.set("deleted", "1");
    const qs = q.toString();
    history.replaceState(null, "", window.location.pathname + (qs ? `?${qs}` : ""));
  }

  // ---- layout -------------------------------------------------------------
  const main = MT.main();
  const title = MT.el("h1", { text: `Experiment ${expId}` });
  const searchInput = MT.el("input", {
    id: "search",
    type: "search",
    value: state.filter,
    placeholder: 'metrics.rmse < 7 and tags.model = "xgboost"',
    "aria-label": "Filter runs",
    spellcheck: "false",
    autocomplete: "off",
  });
  const searchError = MT.el("div", { id: "search-error", class: "error", role: "alert", hidden: true });
  const form = MT.el(
    "form",
    { class: "search", onsubmit: (e) => { e.preventDefault(); applyFilter(searchInput.value); } },
    searchInput,
    MT.el("button", { type: "submit", text: "Search" }),
    MT.el("button", { type: "button", class: "secondary", text: "Clear", onclick: () => { searchInput.value = ""; applyFilter(""); } })
  );
  const compareButton = MT.el("button", { id: "compare", type: "button", disabled: true, text: "Compare", onclick: openCompare });
  const pageInfo = MT.el("span", { id: "page-info", class: "muted" });
  const prev = MT.el("button", { type: "button", class: "secondary", text: "< Prev", onclick: () => page(-1) });
  const next = MT.el("button", { type: "button", class: "secondary", text: "Next >", onclick: () => page(1) });
  const deletedToggle = MT.el("input", {
    id: "show-deleted",
    type: "checkbox",
    checked: state.deleted,
    onchange: (e) => {
      state.deleted = e.target.checked;
      state.offset = 0;
      refresh(true);
    },
  });
  const columnPicker = MT.el("details", { class: "columns" }, MT.el("summary", { text: "Columns" }));
  const tableHolder = MT.el("div", { class: "table-scroll" });
  main.append(
    MT.el("p", { class: "crumbs" }, MT.el("a", { href: "/", text: "Experiments" }), " /"),
    title,
    form,
    searchError,
    MT.el(
      "div",
      { class: "toolbar" },
      compareButton,
      columnPicker,
      MT.el("label", {}, deletedToggle, " Show deleted runs"),
      MT.el("span", { class: "spacer" }),
      prev,
      pageInfo,
      next
    ),
    tableHolder
  );

  function page(direction) {
    state.offset = Math.max(0, state.offset + direction * PAGE_SIZE);
    refresh(true);
  }

  function applyFilter(text) {
    state.filter = text.trim();
    state.offset = 0;
    refresh(true);
  }

  function setSort(expr) {
    if (!expr) return;
    const [current, dir] = state.orderBy.split(/\s+(?=(?:ASC|DESC)$)/i);
    if (current === expr) state.orderBy = `${expr} ${dir && dir.toUpperCase() === "DESC" ? "ASC" : "DESC"}`;
    else state.orderBy = `${expr} DESC`;
    state.offset = 0;
    refresh(true);
  }

  function openCompare() {
    const q = new URLSearchParams();
    for (const id of state.selected) q.append("run_id", id);
    q.set("experiment_id", expId);
    window.location.href = `/compare?${q}`;
  }

  function updateCompareButton() {
    compareButton.disabled = state.selected.size < 2;
    compareButton.textContent = `Compare (${state.selected.size})`;
  }

  // ---- column picker -------------------------------------------------------
  function renderPicker() {
    MT.clear(columnPicker).append(MT.el("summary", { text: "Columns" }));
    const groups = [["metrics", "Metrics"], ["params", "Parameters"], ["tags", "Tags"]];
    for (const [kind, label] of groups) {
      const keys = state.keys[kind].filter((k) => kind !== "tags" || !k.startsWith("mlflow."));
      if (!keys.length) continue;
      const box = MT.el("fieldset", {}, MT.el("legend", { text: label }));
      for (const key of keys) {
        const input = MT.el("input", {
          type: "checkbox",
          "data-kind": kind,
          "data-key": key,
          checked: state.columns[kind].includes(key),
          onchange: (e) => {
            const list = state.columns[kind];
            if (e.target.checked) list.push(key);
            else list.splice(list.indexOf(key), 1);
            saveColumns();
            refresh(true);
          },
        });
        box.append(MT.el("label", {}, input, ` ${key}`));
      }
      columnPicker.append(box);
    }
  }

  async function loadKeys() {
    const keys = await MT.api(`/api/experiments/${encodeURIComponent(expId)}/columns`);
    const changed = JSON.stringify(keys) !== JSON.stringify(state.keys);
    state.keys = keys;
    if (!state.columns) {
      // First visit: a few metrics and params, like MLflow's default view.
      state.columns = { metrics: keys.metrics.slice(0, 4), params: keys.params.slice(0, 4), tags: [] };
    }
    if (changed) renderPicker();
  }

  // ---- the table -----------------------------------------------------------
  function sortMark(expr) {
    const [current, dir] = state.orderBy.split(/\s+(?=(?:ASC|DESC)$)/i);
    if (!expr || current !== expr) return "";
    return dir && dir.toUpperCase() === "ASC" ? " \u25B2" : " \u25BC";
  }

  function header(label, expr, kind) {
    return MT.el(
      "th",
      { class: expr ? `sortable ${kind || ""}` : kind || "", "data-sort": expr, title: expr ? `Sort by ${label}` : null, onclick: () => setSort(expr) },
      label + sortMark(expr)
    );
  }

  function renderTable(data) {
    const cols = state.columns;
    const headRow = MT.el(
      "tr",
      {},
      MT.el("th", { class: "pick" }, MT.el("input", {
        type: "checkbox",
        "aria-label": "Select all runs on this page",
        checked: data.runs.length > 0 && data.runs.every((r) => state.selected.has(r.run_id)),
        onchange: (e) => {
          for (const r of data.runs) e.target.checked ? state.selected.add(r.run_id) : state.selected.delete(r.run_id);
          renderTable(data);
        },
      })),
      ...FIXED.map(([label, expr]) => header(label, expr)),
      ...cols.metrics.map((k) => header(k, `metrics.${quoteKey(k)}`, "metric")),
      ...cols.params.map((k) => header(k, `params.${quoteKey(k)}`, "param")),
      ...cols.tags.map((k) => header(k, `tags.${quoteKey(k)}`, "tag"))
    );
    const rows = data.runs.map((r) =>
      MT.el(
        "tr",
        {
          "data-run-id": r.run_id,
          class: [state.selected.has(r.run_id) ? "selected" : "", r.lifecycle_stage === "deleted" ? "deleted" : ""].join(" ").trim() || null,
        },
        MT.el("td", { class: "pick" }, MT.el("input", {
          type: "checkbox",
          "aria-label": `Select run ${r.run_name || r.run_id}`,
          checked: state.selected.has(r.run_id),
          onchange: (e) => {
            e.target.checked ? state.selected.add(r.run_id) : state.selected.delete(r.run_id);
            e.target.closest("tr").classList.toggle("selected", e.target.checked);
            updateCompareButton();
          },
        })),
        ...FIXED.map(([label, , cell]) => MT.el("td", { "data-col": label }, cell(r))),
        ...cols.metrics.map((k) => MT.el("td", { class: "num metric", "data-col": `metrics.${k}`, text: MT.formatValue(r.metrics[k]) })),
        ...cols.params.map((k) => MT.el("td", { class: "param", "data-col": `params.${k}`, text: MT.formatValue(r.params[k]) })),
        ...cols.tags.map((k) => MT.el("td", { class: "tag", "data-col": `tags.${k}`, text: MT.formatValue(r.tags[k]) }))
      )
    );
    const table = MT.el("table", { id: "runs", class: "grid" }, MT.el("thead", {}, headRow), MT.el("tbody", {}, ...rows));
    MT.clear(tableHolder).append(
      data.runs.length ? table : MT.el("p", { class: "muted", id: "no-runs", text: state.filter ? "No run matches this filter." : "No runs yet." })
    );
    const last = Math.min(state.offset + data.runs.length, data.total);
    pageInfo.textContent = data.total ? `${state.offset + 1}-${last} of ${data.total} runs` : "0 runs";
    prev.disabled = state.offset === 0;
    next.disabled = last >= data.total;
    updateCompareButton();
  }

  async function refresh(userAction) {
    if (!state.columns) await loadKeys();
    syncUrl();
    const params = {
      filter: state.filter,
      order_by: state.orderBy ? [state.orderBy] : [],
      offset: state.offset,
      limit: PAGE_SIZE,
      metric: state.columns.metrics,
      param: state.columns.params,
      tag: state.columns.tags,
      deleted: state.deleted ? 1 : null,
    };
    let data;
    try {
      data = await MT.api(`/api/experiments/${encodeURIComponent(expId)}/runs`, params);
    } catch (e) {
      if (e.status === 400) {
        // A filter that does not parse: say why, right under the search box.
        searchError.textContent = e.message;
        searchError.hidden = false;
        searchInput.setAttribute("aria-invalid", "true");
        if (userAction) MT.clear(tableHolder);
        return;
      }
      throw e;
    }
    searchError.hidden = true;
    searchInput.removeAttribute("aria-invalid");
    const payload = JSON.stringify([params, data]);
    if (!userAction && payload === state.lastPayload) return; // nothing new: keep the DOM as is
    state.lastPayload = payload;
    renderTable(data);
  }

  async function start() {
    const { experiment } = await MT.api(`/api/experiments/${encodeURIComponent(expId)}`);
    title.textContent = experiment.name + (experiment.lifecycle_stage === "deleted" ? " (deleted)" : "");
    document.title = `${experiment.name} - minitrack`;
    await loadKeys();
    await refresh(true);
  }

  start().catch((e) => MT.clear(tableHolder).append(MT.errorBox(e.message)));
  // New runs of a running sweep show up without a reload.
  MT.poll(async () => {
    await loadKeys();
    await refresh(false);
  }, MT.POLL_MS);
})();
