"""Stores to copy, and what a user would compare between two of them.

``fill_store`` writes a store the way students' work looks: several experiments with
tags, runs with params, tags and 30-step metric histories, nested runs, artifacts (text
and binary), a run still RUNNING and one FAILED, a scikit-learn model per experiment, and
a registered model with a gap in its versions (one deleted), an alias, a stage, tags and
descriptions. ``content`` reads any store back, through the public client calls that
real MLflow's client has too, as plain data with ids replaced by names.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings

import numpy as np
import pytest

import minitrack
from minitrack import uris
from minitrack.copy import COPIED_FROM, COPY_STATE
from minitrack.entities import Metric, Param, RunTag, ViewType

BOOKKEEPING = {COPIED_FROM, COPY_STATE}
T0 = 1_700_000_000_000  # a fixed start, so start and end times are known exactly


@pytest.fixture(autouse=True)
def _fresh_process_state(fresh_tracker):
    """Each test in a folder of its own, with no tracking URI set (tests/conftest.py)."""


def fill_store(uri: str, runs: int = 12, steps: int = 30, experiments: int = 2) -> dict:
    """Write the store; returns what was made (run names per experiment, the model name)."""
    client = minitrack.MlflowClient(uri)
    made: dict = {"experiments": {}, "model": "taxi-regressor"}
    run_number = 0
    for e in range(experiments):
        name = f"exp-{e}"
        exp_id = client.create_experiment(name, tags={"team": f"t{e}", "mlflow.note.content": "n"})
        names = []
        parent_id = None
        for i in range(runs // experiments):
            run_number += 1
            start = T0 + run_number * 1000
            tags = {"mlflow.user": f"user{i % 3}", "mlflow.source.name": "train.py"}
            if i % 4 == 1 and parent_id:
                tags["mlflow.parentRunId"] = parent_id
            run = client.create_run(exp_id, start_time=start, tags=tags, run_name=f"r{run_number}")
            rid = run.info.run_id
            if i % 4 == 0:
                parent_id = rid
            metrics = [
                Metric(
                    key,
                    float(np.sin(s + run_number)) if key == "rmse" else s * 0.5,
                    start + s * 10,
                    s,
                )  # fmt: skip
                for key in ("rmse", "lr")
                for s in range(steps)
            ]
            metrics.append(Metric("rmse", float("nan"), start + 5, 3))  # a NaN, step repeated
            params = [Param(f"p{j}", str(j * run_number)) for j in range(5)]
            client.log_batch(rid, metrics, params, [RunTag("fold", str(i % 3))])
            client.log_text(rid, f"report of run {run_number}\n", "reports/summary.txt")
            blob = np.random.default_rng(run_number).bytes(2048 + run_number)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "weights.bin")
                with open(path, "wb") as f:
                    f.write(blob)
                client.log_artifact(rid, path, "model-data/deep")
            if i == 2:
                pass  # stays RUNNING
            elif i == 3:
                client.set_terminated(rid, "FAILED", start + 900)
            else:
                client.set_terminated(rid, "FINISHED", start + 500 + i)
            names.append(f"r{run_number}")
        made["experiments"][name] = names
    _add_models(uri, client, made)
    return made


def _add_models(uri: str, client, made: dict) -> None:
    from sklearn.linear_model import LinearRegression

    x = np.array([[1.0], [2.0], [3.0]])
    minitrack.set_tracking_uri(uri)
    versions = []
    for slope in (1.0, 2.0, 3.0):
        minitrack.set_experiment("exp-0")
        with minitrack.start_run(run_name=f"model-{slope:g}"):
            minitrack.log_param("slope", slope)
            info = minitrack.sklearn.log_model(
                LinearRegression().fit(x, x[:, 0] * slope), name="model", input_example=x
            )
        versions.append(info)
    name = made["model"]
    client.create_registered_model(name, tags={"owner": "ada"}, description="taxi model")
    # the first from its run's folder, the others as register_model does (models:/m-<id>)
    client.create_model_version(
        name, versions[0].model_uri, versions[0].run_id, tags={"slope": "x"}
    )
    for info in versions[1:]:
        minitrack.register_model(f"runs:/{info.run_id}/model", name, tags={"slope": "x"})
    client.delete_model_version(name, 2)  # a gap: versions 1 and 3 remain
    client.update_model_version(name, 3, description="the best one")
    client.set_model_version_tag(name, 3, "validated", "yes")
    client.set_registered_model_alias(name, "champion", 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage(name, 1, "Staging")
    uris.set_tracking_uri(None)


def _files(client, run_id, path=None):
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            yield from _files(client, run_id, f.path)
        else:
            yield f.path


def _every(search, **kwargs):
    found, token = [], None
    while True:
        page = search(**kwargs, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            return found


def content(client, *, artifacts: bool = True, like: dict | None = None) -> dict:
    """Everything a copy must keep, ids replaced by run names (unique in fill_store).

    ``like``: another ``content``; only its experiments and models are read (a team's
    server holds other students' work too)."""
    out: dict = {"experiments": {}, "registry": {}}
    names = {}
    exps = _every(client.search_experiments, view_type=ViewType.ACTIVE_ONLY, max_results=100)
    if like is not None:
        exps = [e for e in exps if e.name in like["experiments"]]
    all_runs = {}
    for exp in exps:
        found = _every(client.search_runs, experiment_ids=[exp.experiment_id], max_results=500)
        all_runs[exp.name] = found
        names.update({r.info.run_id: r.info.run_name for r in found})
    for exp in exps:
        if exp.name == "Default" and not all_runs[exp.name]:
            continue
        runs = {}
        for r in all_runs[exp.name]:
            tags = {k: v for k, v in r.data.tags.items() if k not in BOOKKEEPING}
            if "mlflow.parentRunId" in tags:
                tags["mlflow.parentRunId"] = names[tags["mlflow.parentRunId"]]
            history = {
                key: sorted(
                    (m.step, m.timestamp, "nan" if m.value != m.value else repr(m.value))
                    for m in client.get_metric_history(r.info.run_id, key)
                )
                for key in r.data.metrics
            }
            entry = {
                "status": r.info.status,
                "start_time": r.info.start_time,
                "end_time": r.info.end_time,
                "user": r.info.user_id,
                "params": dict(r.data.params),
                "tags": tags,
                "metrics": history,
            }
            if artifacts:
                entry["artifacts"] = _artifact_hashes(client, r.info.run_id)
            runs[r.info.run_name] = entry
        exp_tags = {k: v for k, v in exp.tags.items() if not k.startswith("mlflow.experiment")}
        out["experiments"][exp.name] = {"tags": exp_tags, "runs": runs}
    for model in _every(client.search_registered_models, max_results=100):
        if like is not None and model.name not in like["registry"]:
            continue
        versions = sorted(
            _every(
                client.search_model_versions,
                filter_string=f"name = '{model.name}'",
                max_results=100,
            ),
            key=lambda v: int(v.version),
        )
        order = {int(v.version): i for i, v in enumerate(versions)}
        full = client.get_registered_model(model.name)
        out["registry"][model.name] = {
            "description": full.description or None,
            "tags": dict(full.tags),
            "aliases": {a: order[int(v)] for a, v in full.aliases.items()},
            "versions": [
                {
                    # MLflow's server answers "" for a version without a description
                    "description": v.description or None,
                    "stage": v.current_stage,
                    "tags": {k: x for k, x in v.tags.items() if k not in BOOKKEEPING},
                    "run": names.get(v.run_id),
                }
                for v in versions
            ],
        }
    return out


def _artifact_hashes(client, run_id) -> dict:
    hashes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in _files(client, run_id):
            local = client.download_artifacts(run_id, path, tmp)
            with open(local, "rb") as f:
                hashes[path] = hashlib.sha256(f.read()).hexdigest()
    return hashes


@pytest.fixture
def filled(tmp_path):
    """A filled SQLite store: (uri, what fill_store made)."""
    uri = f"sqlite:///{tmp_path / 'source.db'}"
    return uri, fill_store(uri)
