// The experiments page: name, number of runs, last activity. Refreshes itself.
"use strict";

(function () {
  const main = MT.main();
  document.title = "Experiments - minitrack";
  main.append(MT.el("h1", { text: "Experiments" }));
  // Deleted experiments stay hidden unless asked for (as in MLflow's UI); the choice is in the URL.
  let showDeleted = new URLSearchParams(window.location.search).get("deleted") === "1";
  const toggle = MT.el("input", {
    id: "show-deleted",
    type: "checkbox",
    checked: showDeleted,
    onchange: (e) => {
      showDeleted = e.target.checked;
      history.replaceState(null, "", showDeleted ? "/?deleted=1" : "/");
      render().catch((err) => MT.clear(holder).append(MT.errorBox(err.message)));
    },
  });
  main.append(MT.el("div", { class: "toolbar" }, MT.el("label", {}, toggle, " Show deleted experiments")));
  const holder = MT.el("div", { id: "experiments" });
  main.append(holder);

  async function render() {
    const data = await MT.api("/api/experiments", showDeleted ? { deleted: 1 } : {});
    const rows = data.experiments.map((exp) =>
      MT.el(
        "tr",
        { "data-experiment-id": exp.experiment_id, class: exp.lifecycle_stage === "deleted" ? "deleted" : null },
        MT.el(
          "td",
          {},
          MT.el("a", { href: `/experiments/${encodeURIComponent(exp.experiment_id)}${showDeleted ? "?deleted=1" : ""}`, text: exp.name }),
          exp.lifecycle_stage === "deleted" ? MT.el("span", { class: "badge deleted-badge", text: "deleted" }) : ""
        ),
        MT.el("td", { class: "num", text: exp.run_count }),
        MT.el("td", { text: MT.formatTime(exp.last_activity) }),
        MT.el("td", { class: "muted", text: exp.experiment_id })
      )
    );
    const table = MT.el(
      "table",
      { class: "grid" },
      MT.el(
        "thead",
        {},
        MT.el("tr", {}, ...["Name", "Runs", "Last activity", "ID"].map((h) => MT.el("th", { text: h })))
      ),
      MT.el("tbody", {}, ...rows)
    );
    MT.clear(holder).append(
      rows.length ? table : MT.el("p", { class: "muted", text: "No experiments yet: log a run and it appears here." })
    );
  }

  render().catch((e) => MT.clear(holder).append(MT.errorBox(e.message)));
  MT.poll(render, MT.POLL_MS);
})();
