"""The web UI on a tracking server shows what the web UI on the server's file shows.

`minitrack ui --backend-store-uri http://...` reads through the REST store, whose search
returns whole runs; the pages' listings must come from those searches (a request per page
of results), never from one request per run. Both UIs are real `minitrack ui` processes:
one on a real `minitrack server`, one on the SQLite file that server writes.
"""

from __future__ import annotations

import pytest

from minitrack import MlflowClient
from tests.server.conftest import start_server
from tests.ui.conftest import RunningServer, get_json

pytestmark = pytest.mark.slow

RUNS = 60


@pytest.fixture(scope="module")
def two_uis(tmp_path_factory):
    server = start_server(str(tmp_path_factory.mktemp("ui-on-server")))
    client = MlflowClient(server.url)
    exp_id = client.create_experiment("ui-on-server")
    client.create_experiment("empty")  # an experiment without runs lists the same too
    run_ids = []
    for i in range(RUNS):
        run = client.create_run(exp_id, run_name=f"trial-{i:02d}", start_time=1_767_225_600_000 + i)
        client.log_param(run.info.run_id, "max_depth", i % 7)
        client.log_metric(run.info.run_id, "rmse", 5 + (i * 37 % 11) / 10, step=0)
        client.set_tag(run.info.run_id, "model", "xgboost" if i % 3 else "lasso")
        client.set_terminated(run.info.run_id, end_time=1_767_225_700_000 + i)
        run_ids.append(run.info.run_id)
    client.delete_run(run_ids.pop())  # a deleted run is in neither listing
    on_server = RunningServer(server.url, cwd=tmp_path_factory.mktemp("ui-cwd"))
    on_file = RunningServer(server.store_uri, cwd=tmp_path_factory.mktemp("ui-cwd"))
    yield on_server, on_file, exp_id, run_ids
    on_server.stop()
    on_file.stop()
    server.stop()


def _both(two_uis, endpoint: str, **params):
    ui_on_server, ui_on_file, *_ = two_uis
    status, through_server = get_json(ui_on_server, endpoint, **params)
    assert status == 200, through_server
    status, from_file = get_json(ui_on_file, endpoint, **params)
    assert status == 200, from_file
    return through_server, from_file


def test_the_experiment_list_and_one_experiment_agree(two_uis):
    *_, exp_id, run_ids = two_uis
    on_server, on_file = _both(two_uis, "/api/experiments")
    assert on_server == on_file
    listed = {e["name"]: e for e in on_server["experiments"]}
    assert listed["ui-on-server"]["run_count"] == len(run_ids)
    assert listed["empty"]["run_count"] == 0
    on_server, on_file = _both(two_uis, f"/api/experiments/{exp_id}")
    assert on_server == on_file


def test_the_columns_and_every_page_of_the_runs_table_agree(two_uis):
    *_, exp_id, run_ids = two_uis
    on_server, on_file = _both(two_uis, f"/api/experiments/{exp_id}/columns")
    assert on_server == on_file
    assert on_server["params"] == ["max_depth"]
    seen = []
    for offset in range(0, len(run_ids) + 20, 20):
        on_server, on_file = _both(
            two_uis,
            f"/api/experiments/{exp_id}/runs",
            filter="tags.model = 'xgboost'",
            order_by=["metrics.rmse ASC", "attributes.start_time DESC"],
            offset=offset,
            limit=20,
            metric=["rmse"],
            param=["max_depth"],
        )
        assert on_server == on_file
        seen += [r["run_id"] for r in on_server["runs"]]
    expected = [rid for i, rid in enumerate(run_ids) if i % 3]
    assert sorted(seen) == sorted(expected)
    assert on_server["total"] == len(expected)


def test_a_run_and_a_comparison_agree(two_uis):
    *_, run_ids = two_uis
    on_server, on_file = _both(two_uis, f"/api/runs/{run_ids[4]}")
    assert on_server == on_file
    on_server, on_file = _both(two_uis, "/api/compare", run_id=run_ids[:3])
    assert on_server == on_file
    assert [r["run_name"] for r in on_server["runs"]] == ["trial-00", "trial-01", "trial-02"]
