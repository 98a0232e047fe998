// The Models page: every registered model with its latest version, aliases, tags and
// last update. The search box takes the registry's grammar (name and tags.<key>).
"use strict";

(function () {
  const query = new URLSearchParams(window.location.search);
  const state = { filter: query.get("filter") || "", lastPayload: "" };
  const main = MT.main();
  document.title = "Models - minitrack";

  const searchInput = MT.el("input", {
    id: "search",
    type: "search",
    value: state.filter,
    placeholder: "name LIKE '%taxi%' and tags.team = 'ml'",
    "aria-label": "Filter models",
    spellcheck: "false",
    autocomplete: "off",
  });
  const searchError = MT.el("div", { id: "search-error", class: "error", role: "alert", hidden: true });
  const form = MT.el(
    "form",
    { class: "search", onsubmit: (e) => { e.preventDefault(); apply(searchInput.value); } },
    searchInput,
    MT.el("button", { type: "submit", text: "Search" }),
    MT.el("button", { type: "button", class: "secondary", text: "Clear", onclick: () => { searchInput.value = ""; apply(""); } })
  );
  const holder = MT.el("div", { id: "models", class: "table-scroll" });
  main.append(MT.el("h1", { text: "Registered models" }), form, searchError, holder);

  function apply(filter) {
    state.filter = filter.trim();
    const qs = state.filter ? `?${new URLSearchParams({ filter: state.filter })}` : "";
    history.replaceState(null, "", window.location.pathname + qs);
    render(true).catch((e) => MT.clear(holder).append(MT.errorBox(e.message)));
  }

  function aliasList(aliases) {
    const names = Object.keys(aliases).sort();
    return MT.el("td", { "data-col": "aliases" },
      ...names.map((a) => MT.el("span", { class: "alias", text: `@${a} \u2192 v${aliases[a]}` })));
  }

  function tagList(tags) {
    const keys = Object.keys(tags).sort();
    return MT.el("td", { "data-col": "tags" },
      ...keys.map((k) => MT.el("span", { class: "tag-pill", text: `${k}=${tags[k]}` })));
  }

  function table(models) {
    const rows = models.map((m) => {
      const href = `/models/${encodeURIComponent(m.name)}`;
      return MT.el(
        "tr",
        { "data-model": m.name },
        MT.el("td", { "data-col": "name" }, MT.el("a", { href, text: m.name })),
        MT.el("td", { "data-col": "latest", class: "num" },
          m.latest_version === null ? "" : MT.el("a", { href: `${href}#v${m.latest_version}`, text: `v${m.latest_version}` })),
        aliasList(m.aliases),
        tagList(m.tags),
        MT.el("td", { "data-col": "updated", text: MT.formatTime(m.last_updated_timestamp) }),
        MT.el("td", { "data-col": "description", class: "muted", text: m.description })
      );
    });
    const headers = ["Name", "Latest version", "Aliases", "Tags", "Last updated", "Description"];
    return MT.el(
      "table",
      { class: "grid" },
      MT.el("thead", {}, MT.el("tr", {}, ...headers.map((h) => MT.el("th", { text: h })))),
      MT.el("tbody", {}, ...rows)
    );
  }

  async function render(userAction) {
    let data;
    try {
      data = await MT.api("/api/models", { filter: state.filter, limit: 1000 });
    } catch (e) {
      if (e.status === 400) {
        searchError.textContent = e.message;
        searchError.hidden = false;
        searchInput.setAttribute("aria-invalid", "true");
        if (userAction) MT.clear(holder);
        return;
      }
      throw e;
    }
    searchError.hidden = true;
    searchInput.removeAttribute("aria-invalid");
    const payload = JSON.stringify([state.filter, data]);
    if (!userAction && payload === state.lastPayload) return;
    state.lastPayload = payload;
    let empty = "No registered models yet: register one with mlflow.register_model(\"runs:/<run_id>/model\", \"name\").";
    if (state.filter) empty = "No model matches this filter.";
    MT.clear(holder).append(data.models.length ? table(data.models) : MT.el("p", { class: "muted", text: empty }));
    if (data.next_page_token) holder.append(MT.el("p", { class: "muted", text: "Only the first 1000 models are shown: narrow the search." }));
  }

  render(true).catch((e) => MT.clear(holder).append(MT.errorBox(e.message)));
  MT.poll(() => render(false), MT.POLL_MS);
})();
