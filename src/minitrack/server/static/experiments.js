// The experiments page: name, number of runs, last activity. Refreshes itself.
"use strict";

(function () {
  const main = MT.main();
  document.title = "Experiments - minitrack";
  main.append(MT.el("h1", { text: "Experiments" }));
  const holder = MT.el("div", { id: "experiments" });
  main.append(holder);

  async function render() {
    const data = await MT.api("/api/experiments");
    const rows = data.experiments.map((exp) =>
      MT.el(
        "tr",
        { "data-experiment-id": exp.experiment_id },
        MT.el(
          "td",
          {},
          MT.el("a", { href: `/experiments/${encodeURIComponent(exp.experiment_id)}`, text: exp.name })
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
