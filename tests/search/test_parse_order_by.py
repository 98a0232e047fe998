"""What parse_order_by makes of order_by lists."""

from __future__ import annotations

import pytest

from minitrack.exceptions import MinitrackException
from minitrack.search import OrderBy, parse_order_by


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, []),
        ([], []),
        (["metrics.rmse"], [OrderBy("metric", "rmse", True)]),
        (["metrics.rmse ASC"], [OrderBy("metric", "rmse", True)]),
        (["metrics.rmse desc"], [OrderBy("metric", "rmse", False)]),
        (["metrics.rmse   DeSc  "], [OrderBy("metric", "rmse", False)]),
        (['metrics."key1"  desc'], [OrderBy("metric", "key1", False)]),
        (["metrics.`Mean Square Error`"], [OrderBy("metric", "Mean Square Error", True)]),
        (["metrics.`Mean Square Error` DESC"], [OrderBy("metric", "Mean Square Error", False)]),
        (["params.`my_param` DESC"], [OrderBy("param", "my_param", False)]),
        (["tags.mlflow.runName"], [OrderBy("tag", "mlflow.runName", True)]),
        (["start_time"], [OrderBy("attribute", "start_time", True)]),
        (["created DESC"], [OrderBy("attribute", "start_time", False)]),
        (["attributes.status ASC"], [OrderBy("attribute", "status", True)]),
        (["run_name"], [OrderBy("attribute", "run_name", True)]),
        (
            ["params.my_param aSc", "attributes.status  ASC"],
            [OrderBy("param", "my_param", True), OrderBy("attribute", "status", True)],
        ),
    ],
)
def test_order_by_clauses_parse(order_by, expected):
    assert parse_order_by(order_by) == expected


@pytest.mark.parametrize(
    ("order_by", "words"),
    [
        (["m.acc"], ["unknown entity 'm'"]),
        (["acc"], ["unknown attribute 'acc'"]),
        (["attribute.experiment_id"], ["unknown attribute 'experiment_id'"]),
        (["metrics.A != 1"], ["optionally followed by ASC or DESC", "'!= 1'"]),
        (["attribute.run_id ACS"], ["ASC or DESC", "'ACS'"]),
        (["attribute.run_id decs"], ["'decs'"]),
        (["metrics.Mean Square Error"], ["backticks", "metrics.`my metric`"]),
        ([""], ["does not start with a key"]),
        (["metrics.rmse", "metrics.rmse DESC"], ["names metric 'rmse' twice"]),
        (["created", "start_time DESC"], ["names attribute 'start_time' twice"]),
        ("metrics.rmse", ["must be a list", "order_by=['metrics.rmse']"]),
        ([3], ["must be strings"]),
    ],
)
def test_bad_order_by_is_explained(order_by, words):
    with pytest.raises(MinitrackException) as caught:
        parse_order_by(order_by)
    for word in words:
        assert word in caught.value.message
