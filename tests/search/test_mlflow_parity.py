"""minitrack's search agrees with MLflow's own search code on the same runs.

MLflow's ``SearchUtils`` parses filters and also filters and sorts runs in memory (its
file store does so); here it is the reference for what a filter means.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from minitrack.search import parse_filter

pytestmark = pytest.mark.mlflow


@functools.cache
def _mlflow():
    """MLflow's search code and entities, imported on first use (the import is slow)."""
    return SimpleNamespace(
        entities=pytest.importorskip("mlflow.entities"),
        SearchUtils=pytest.importorskip("mlflow.utils.search_utils").SearchUtils,
        MlflowException=pytest.importorskip("mlflow.exceptions").MlflowException,
    )


def _load_case_tables():
    path = Path(__file__).with_name("test_parse_filter.py")
    spec = importlib.util.spec_from_file_location("search_parse_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _load_case_tables()

# Where minitrack is deliberately more lenient than MLflow (MLflow refuses these).
MORE_LENIENT = {"   ", "tags.`a b` IS  NOT   NULL"}
# Where minitrack refuses what MLflow silently accepts (and may misread).
STRICTER = {
    "status = 'a' AND",
    "AND status = 'a'",
    "status = 'a' AND AND status = 'b'",
    "params.a = 'x' params.b = 'y'",
    "run_id IN ('a' 'b')",
    'metrics."a".b > 1',
    "metrics.`` > 1",
    "datasets.name = 'taxi'",  # MLflow tracks datasets; minitrack does not
}
_ENTITY = {"parameter": "param"}


def _any_run():
    entities = _mlflow().entities
    return entities.Run(
        entities.RunInfo(
            run_id="r",
            experiment_id="0",
            user_id="u",
            status="FINISHED",
            start_time=0,
            end_time=1,
            lifecycle_stage="active",
            run_name="n",
        ),
        entities.RunData(),
    )


def _mlflow_parse(filter_string):
    """MLflow's reading of a filter, in minitrack's terms (types, aliases, case)."""
    parsed = []
    for clause in _mlflow().SearchUtils.parse_search_filter(filter_string):
        entity = _ENTITY.get(clause["type"], clause["type"])
        key = _mlflow().SearchUtils.translate_key_alias(clause["key"])
        value = clause["value"]
        if entity == "metric":
            value = float(value)
        parsed.append((entity, key, clause["comparator"].upper(), value))
    return parsed


@pytest.mark.parametrize(
    "filter_string",
    [
        f
        for f, _ in CASES.FACT_SHEET_VALID + CASES.OWN_VALID
        if f is not None and f not in MORE_LENIENT
    ],
)
def test_valid_filters_mean_what_mlflow_reads(filter_string):
    ours = [(c.entity, c.key, c.comparator, c.value) for c in parse_filter(filter_string)]
    assert ours == _mlflow_parse(filter_string)


@pytest.mark.parametrize(
    "filter_string",
    [f for f, _ in CASES.FACT_SHEET_INVALID + CASES.INVALID if f not in STRICTER],
)
def test_filters_we_refuse_are_refused_by_mlflow_too(filter_string):
    with pytest.raises(_mlflow().MlflowException):
        _mlflow().SearchUtils.filter([_any_run()], filter_string)


def _as_mlflow_run(run):
    """The run minitrack stored, as an MLflow entity with the very same data."""
    info = run.info
    data = run.data
    entities = _mlflow().entities
    return entities.Run(
        entities.RunInfo(
            run_id=info.run_id,
            experiment_id=info.experiment_id,
            user_id=info.user_id,
            status=info.status,
            start_time=info.start_time,
            end_time=info.end_time,
            lifecycle_stage=info.lifecycle_stage,
            artifact_uri=info.artifact_uri,
            run_name=info.run_name,
        ),
        entities.RunData(
            metrics=[entities.Metric(k, v, 0, 0) for k, v in data.metrics.items()],
            params=[entities.Param(k, v) for k, v in data.params.items()],
            tags=[entities.RunTag(k, v) for k, v in data.tags.items()],
        ),
    )


@pytest.fixture(scope="module")
def zoo_in_mlflow(shared_zoo):
    zoo = shared_zoo
    default = zoo.experiments["Default"]
    runs = [zoo.client.get_run(run_id) for run_id in zoo.ids.values()]
    runs = [
        _as_mlflow_run(r)
        for r in runs
        if r.info.experiment_id == default and r.info.lifecycle_stage == "active"
    ]
    assert any(math.isnan(r.data.metrics.get("rmse", 0.0)) for r in runs)
    return zoo, runs


FILTERS = [
    "",
    "metrics.rmse < 7.5",
    "metrics.rmse <= 7.5",
    "metrics.rmse > 0",
    "metrics.rmse = 6.2",
    "metrics.rmse != 6.2",
    "metrics.r2 >= 0.3",
    "metrics.missing != 1",
    "params.model = 'Lasso'",
    "params.model != 'Lasso'",
    "params.model LIKE 'XGB%'",
    "params.model LIKE 'xgb%'",
    "params.model ILIKE 'xgb%'",
    "params.model LIKE '_idge'",
    "params.model LIKE '%e%'",
    "params.max_depth IS NULL",
    "params.max_depth IS NOT NULL",
    "tags.model = 'xgboost'",
    "tags.model != 'xgboost'",
    "tags.model IS NULL",
    "tags.developer ILIKE 'ALICE'",
    "tags.mlflow.runName LIKE '%a%'",
    "tags.mlflow.user = 'alice'",
    "status = 'FINISHED'",
    "attributes.status != 'FINISHED'",
    "status ILIKE 'running'",
    "user_id = 'bob'",
    "run_name = 'ridge'",
    "run_name LIKE 'xgb%'",
    "run_name != 'bare'",
    "`Run Name` ILIKE 'LASSO'",
    "start_time >= 300",
    "created < 300",
    "end_time != 350",
    "end_time > 0",
    "artifact_uri LIKE '%artifacts'",
    "tags.model = 'xgboost' AND metrics.rmse < 7",
    "metrics.rmse > 6 AND metrics.rmse < 8 AND params.alpha != '1.0'",
]


@pytest.mark.parametrize("filter_string", FILTERS)
def test_filters_select_the_runs_mlflow_selects(zoo_in_mlflow, filter_string):
    zoo, runs = zoo_in_mlflow
    expected = _mlflow().SearchUtils.sort(_mlflow().SearchUtils.filter(runs, filter_string), None)
    assert zoo.search(filter_string) == [zoo.names[r.info.run_id] for r in expected]


def test_run_id_lists_select_the_runs_mlflow_selects(zoo_in_mlflow):
    zoo, runs = zoo_in_mlflow
    ids = ", ".join(f"'{zoo.ids[n]}'" for n in ("lasso", "xgb_b", "gone"))
    for filter_string in (f"run_id IN ({ids})", f"run_id NOT IN ({ids})"):
        expected = _mlflow().SearchUtils.sort(
            _mlflow().SearchUtils.filter(runs, filter_string), None
        )
        assert zoo.search(filter_string) == [zoo.names[r.info.run_id] for r in expected]


ORDERS = [
    ["metrics.rmse"],
    ["metrics.rmse DESC"],
    ["metrics.r2 DESC"],
    ["params.model"],
    ["params.model DESC", "metrics.rmse"],
    ["params.max_depth DESC"],
    ["tags.model", "start_time"],
    ["tags.noSuchTag"],
    ["attributes.status", "user_id DESC"],
    ["end_time"],
    ["end_time DESC"],
    ["run_name DESC"],
    ["created"],
]


@pytest.mark.parametrize("order_by", ORDERS)
def test_order_by_sorts_as_mlflow_sorts(zoo_in_mlflow, order_by):
    zoo, runs = zoo_in_mlflow
    expected = _mlflow().SearchUtils.sort(runs, order_by)
    assert zoo.search(order_by=order_by) == [zoo.names[r.info.run_id] for r in expected]


# --- randomised agreement ---------------------------------------------------------------
# Many small runs with values drawn from tiny vocabularies (so that filters hit, values
# tie, keys go missing and NaN turns up), and filters and orders drawn from the grammar.
# A fixed seed keeps every run of the test identical.

_PARAM_VALUES = ["Lasso", "lasso", "Ridge", "XGB_1", "xgb%x", "a*b", "[x]", ""]
_TAG_VALUES = ["xgboost", "XGBoost", "linear", "lin_ear"]
_METRIC_VALUES = [5.0, 6.5, 7.25, -1.0, 0.0, float("nan"), float("inf")]
_PATTERNS = ["%", "L%", "l%", "%o%", "_idge", "XGB%", "xgb%", "%x", "a*b", "[x]", "%_%", "%b"]


def _random_runs(rng, count):
    for n in range(count):
        spec = {
            "name": f"r{n:02d}",
            "start_time": rng.choice([10, 20, 20, 30, 40]),
            "end_time": rng.choice([None, 15, 35, 50]),
            "status": rng.choice(["FINISHED", "FAILED", "RUNNING"]),
            "user": rng.choice(["alice", "bob"]),
            "metrics": {},
            "params": {},
            "tags": {},
        }
        for key in ("rmse", "r2"):
            if rng.random() < 0.8:
                spec["metrics"][key] = rng.choice(_METRIC_VALUES)
        for key in ("model", "depth"):
            if rng.random() < 0.75:
                spec["params"][key] = rng.choice(_PARAM_VALUES)
        if rng.random() < 0.75:
            spec["tags"]["model"] = rng.choice(_TAG_VALUES)
        yield spec


def _random_clause(rng):
    kind = rng.choice(["metric", "param", "tag", "null", "status", "time", "name"])
    if kind == "metric":
        op = rng.choice(["=", "!=", "<", "<=", ">", ">="])
        return f"metrics.{rng.choice(['rmse', 'r2'])} {op} {rng.choice([0, 5, 6.5, 7.25, -1])}"
    if kind in ("param", "tag"):
        prefix, key = (
            ("params", rng.choice(["model", "depth"]))
            if kind == "param"
            else (
                "tags",
                "model",
            )
        )
        op = rng.choice(["=", "!=", "LIKE", "ILIKE"])
        values = _PATTERNS if "LIKE" in op else _PARAM_VALUES + _TAG_VALUES
        return f"{prefix}.{key} {op} '{rng.choice(values)}'"
    if kind == "null":
        key = rng.choice(["params.model", "params.depth", "tags.model"])
        return f"{key} IS {rng.choice(['', 'NOT '])}NULL"
    if kind == "status":
        op = rng.choice(["=", "!=", "LIKE", "ILIKE"])
        return f"status {op} '{rng.choice(['FINISHED', 'failed', 'RUN%', '%ED'])}'"
    if kind == "time":
        key = rng.choice(["start_time", "end_time", "created"])
        return f"{key} {rng.choice(['=', '!=', '<', '>='])} {rng.choice([15, 20, 35])}"
    return f"run_name LIKE 'r{rng.randint(0, 3)}%'"


def _random_order(rng):
    keys = rng.sample(
        [
            "metrics.rmse",
            "metrics.r2",
            "params.model",
            "params.depth",
            "tags.model",
            "start_time",
            "end_time",
            "status",
        ],
        rng.randint(0, 2),
    )
    return [f"{k} {rng.choice(['ASC', 'DESC', ''])}".strip() for k in keys]


@pytest.fixture(scope="module")
def random_store(book_factory):
    rng = random.Random(20240601)
    book = book_factory()
    for spec in _random_runs(rng, 40):
        book.add(**spec)
    runs = [_as_mlflow_run(book.client.get_run(run_id)) for run_id in book.ids.values()]
    return book, runs, rng


def test_random_filters_and_orders_agree_with_mlflow(random_store):
    book, runs, rng = random_store
    search_utils = _mlflow().SearchUtils
    checked = 0
    for _ in range(150):
        filter_string = " AND ".join(_random_clause(rng) for _ in range(rng.randint(1, 3)))
        order_by = _random_order(rng)
        expected = search_utils.sort(search_utils.filter(runs, filter_string), order_by)
        got = book.search(filter_string, order_by)
        assert got == [book.names[r.info.run_id] for r in expected], (filter_string, order_by)
        checked += bool(got)
    assert checked > 50  # most searches found something: the vocabularies overlap
