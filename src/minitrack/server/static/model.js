// One registered model: description, aliases and tags, the versions table (version,
// aliases, stage, tags, description, created, source run) and a version's MLmodel.
"use strict";

(function () {
  const name = decodeURIComponent(window.location.pathname.split("/")[2] || "");
  const apiPath = `/api/models/${encodeURIComponent(name)}`;
  const main = MT.main();
  let lastPayload = "";
  let shownVersion = null;

  const preview = MT.el("div", { id: "mlmodel", class: "preview" }, MT.el("p", { class: "muted", text: "Pick a version to see its MLmodel." }));

  function pills(cls, items) {
    return items.map((text) => MT.el("span", { class: cls, text }));
  }

  async function showMlmodel(version) {
    shownVersion = version;
    document.querySelectorAll("#versions tr.selected").forEach((tr) => tr.classList.remove("selected"));
    const row = document.querySelector(`#versions tr[data-version="${version}"]`);
    if (row) row.classList.add("selected");
    MT.clear(preview).append(MT.el("p", { class: "muted", text: `Loading the MLmodel of version ${version}...` }));
    let p;
    try {
      p = await MT.api(`${apiPath}/versions/${version}/mlmodel`);
    } catch (e) {
      MT.clear(preview).append(MT.errorBox(e.message));
      return;
    }
    MT.clear(preview).append(
      MT.el("h3", { text: `MLmodel of version ${version}` }),
      MT.el("p", { class: "mlmodel-hint" }, "Load it with ",
        MT.el("code", { text: `mlflow.pyfunc.load_model("${p.model_uri}")` })),
      MT.el("pre", { class: "code yaml", text: p.text || "" }),
      ...(p.truncated ? [MT.el("p", { class: "muted", text: "Only the beginning is shown." })] : [])
    );
  }

  function versionsTable(versions) {
    const headers = ["Version", "Aliases", "Stage", "Tags", "Description", "Created", "Source run", ""];
    const rows = versions.map((v) => {
      const tags = Object.keys(v.tags).sort().map((k) => `${k}=${v.tags[k]}`);
      const run = v.run_id
        ? MT.el("a", { href: `/runs/${encodeURIComponent(v.run_id)}`, text: v.run_name || v.run_id })
        : MT.el("span", { class: "muted", text: v.source || "" });
      return MT.el(
        "tr",
        { id: `v${v.version}`, "data-version": v.version },
        MT.el("td", { "data-col": "version", class: "num", text: `v${v.version}` }),
        MT.el("td", { "data-col": "aliases" }, ...pills("alias", v.aliases.map((a) => `@${a}`))),
        MT.el("td", { "data-col": "stage", text: v.current_stage === "None" ? "" : v.current_stage }),
        MT.el("td", { "data-col": "tags" }, ...pills("tag-pill", tags)),
        MT.el("td", { "data-col": "description", text: v.description }),
        MT.el("td", { "data-col": "created", text: MT.formatTime(v.creation_timestamp) }),
        MT.el("td", { "data-col": "run" }, run),
        MT.el("td", {}, MT.el("button", { type: "button", class: "link", text: "MLmodel", onclick: () => showMlmodel(v.version) }))
      );
    });
    return MT.el(
      "table",
      { id: "versions", class: "grid" },
      MT.el("thead", {}, MT.el("tr", {}, ...headers.map((h) => MT.el("th", { text: h })))),
      MT.el("tbody", {}, ...rows)
    );
  }

  async function render() {
    const data = await MT.api(apiPath);
    const payload = JSON.stringify(data);
    if (payload === lastPayload) return;
    lastPayload = payload;
    const m = data.model;
    document.title = `${m.name} - minitrack`;
    const aliases = Object.keys(m.aliases).sort().map((a) => `@${a} \u2192 v${m.aliases[a]}`);
    const tags = Object.keys(m.tags).sort().map((k) => `${k}=${m.tags[k]}`);
    MT.clear(main).append(
      MT.el("p", { class: "crumbs" }, MT.el("a", { href: "/models", text: "Models" }), " /"),
      MT.el("h1", { id: "model-name", text: m.name }),
      m.description ? MT.el("pre", { id: "model-description", class: "note", text: m.description }) : MT.el("p", { class: "muted", text: "No description." }),
      MT.el("p", { id: "model-aliases" }, MT.el("strong", { text: "Aliases: " }),
        ...(aliases.length ? pills("alias", aliases) : [MT.el("span", { class: "muted", text: "none" })])),
      MT.el("p", { id: "model-tags" }, MT.el("strong", { text: "Tags: " }),
        ...(tags.length ? pills("tag-pill", tags) : [MT.el("span", { class: "muted", text: "none" })])),
      MT.el("h2", { text: `Versions (${data.versions.length})` }),
      data.versions.length ? versionsTable(data.versions) : MT.el("p", { class: "muted", text: "No versions yet." }),
      MT.el("h2", { text: "MLmodel" }),
      preview
    );
    // The version named in the address (#v3), the one shown before, or the newest.
    const fromHash = Number((window.location.hash.match(/^#v(\d+)$/) || [])[1]);
    const known = data.versions.map((v) => v.version);
    const pick = [shownVersion, fromHash].find((v) => known.includes(v)) || known[0];
    if (pick) showMlmodel(pick);
  }

  render().catch((e) => MT.clear(main).append(MT.errorBox(e.message)));
  MT.poll(render, MT.POLL_MS);
})();
