"""One client process of a sweep: the real ``mlflow`` client logs runs to a server.

Run as a script: ``mlflow_sweep.py URL EXPERIMENT_ID WORKER RUNS JOURNAL``. Each run gets
three params, a 20-step ``loss`` history (one log_batch), a tag, a text artifact and
FINISHED. After each call the server acknowledged, one JSON line goes to JOURNAL (flushed),
so a test can check that every acknowledged call survived a server killed mid-sweep. At
the first failed call the script records it and stops. What each run logs follows from
(worker, index) alone; ``expected`` below is what a test compares against.
"""

from __future__ import annotations

import json
import sys
import time

STEPS = 20
ARTIFACT = "notes/run.txt"


def expected(worker: int, index: int) -> dict:
    return {
        "name": f"w{worker}-r{index}",
        "params": {"worker": str(worker), "index": str(index), "lr": f"0.{index + 1:03d}"},
        "loss": [(worker * 1000 + index) / (step + 1) for step in range(STEPS)],
        "tag": f"worker-{worker}",
        "text": f"run {index} of worker {worker}\n" + "x" * (index * 37 % 500),
    }


def main(url: str, experiment_id: str, worker: int, runs: int, journal: str) -> int:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(url)
    with open(journal, "a") as out:

        def acked(op: str, **fields) -> None:
            out.write(json.dumps({"op": op, **fields}) + "\n")
            out.flush()

        try:
            for index in range(runs):
                want = expected(worker, index)
                run = client.create_run(experiment_id, run_name=want["name"])
                run_id = run.info.run_id
                acked("run", run_id=run_id, worker=worker, index=index)
                params = [Param(k, v) for k, v in want["params"].items()]
                client.log_batch(run_id, params=params)
                acked("params", run_id=run_id)
                now = int(time.time() * 1000)
                loss = [Metric("loss", v, now + s, s) for s, v in enumerate(want["loss"])]
                client.log_batch(run_id, metrics=loss)
                acked("metrics", run_id=run_id)
                client.set_tag(run_id, "worker", want["tag"])
                acked("tag", run_id=run_id)
                client.log_text(run_id, want["text"], ARTIFACT)
                acked("artifact", run_id=run_id)
                client.set_terminated(run_id, "FINISHED")
                acked("end", run_id=run_id)
        except Exception as e:  # the server went away: record it and stop
            acked("failed", error=f"{type(e).__name__}: {e}"[:300])
            return 1
    return 0


if __name__ == "__main__":
    url, exp, worker, runs, journal = sys.argv[1:6]
    sys.exit(main(url, exp, int(worker), int(runs), journal))
