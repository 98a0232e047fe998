"""Every rule of ``course check-code`` on a case it must flag and one it must not.

Adding a rule to ``course.check_code.rules.RULES`` means adding its two cases here (the
first test fails otherwise); a fixable rule also says what its rewrite gives.
"""

from __future__ import annotations

import pytest

from course.check_code import RULES, check_source
from course.check_code.sources import Source, Unit

# rule id -> (code it flags, on its last line; code it must not flag;
#             the rewrite of the flagged code, or None)
CASES = {
    "mlflow-list-experiments": (
        "exps = client.list_experiments()\n",
        "exps = client.search_experiments()\n",
        "exps = client.search_experiments()\n",
    ),
    "mlflow-list-run-infos": (
        "infos = client.list_run_infos('1')\n",
        "runs = client.search_runs(['1'])\n",
        None,
    ),
    "mlflow-list-registered-models": (
        "models = mlflow.MlflowClient().list_registered_models(max_results=5)\n",
        "models = client.search_registered_models(max_results=5)\n",
        "models = mlflow.MlflowClient().search_registered_models(max_results=5)\n",
    ),
    "mlflow-log-model-artifact-path": (
        'mlflow.sklearn.log_model(lr, artifact_path="model")\n',
        'mlflow.log_artifact("prep.b", artifact_path="preprocessor")\n',
        'mlflow.sklearn.log_model(lr, name="model")\n',
    ),
    "mlflow-log-model-positional-path": (
        'mlflow.xgboost.log_model(booster, "model")\n',
        'mlflow.xgboost.log_model(booster, name="model")\n',
        'mlflow.xgboost.log_model(booster, name="model")\n',
    ),
    "mlflow-get-latest-versions": (
        "versions = client.get_latest_versions(name, stages=['None'])\n",
        "version = client.get_model_version_by_alias(name, 'champion')\n",
        None,
    ),
    "mlflow-transition-stage": (
        'client.transition_model_version_stage(name, 3, "Production")\n',
        'client.set_registered_model_alias(name, "champion", 3)\n',
        None,
    ),
    "mlflow-stage-uri": (
        'model = mlflow.pyfunc.load_model(f"models:/{name}/Staging")\n',
        'model = mlflow.pyfunc.load_model(f"models:/{name}@staging")\n',
        None,
    ),
    "sklearn-mse-squared": (
        "from sklearn.metrics import mean_squared_error\n"
        "rmse = mean_squared_error(y_val, y_pred, squared=False)\n",
        "from sklearn.metrics import mean_squared_error\nmse = mean_squared_error(y_val, y_pred)\n",
        "from sklearn.metrics import mean_squared_error, root_mean_squared_error\n"
        "rmse = root_mean_squared_error(y_val, y_pred)\n",
    ),
    "sklearn-msle-squared": (
        "from sklearn import metrics\n"
        "e = metrics.mean_squared_log_error(y, p, squared=False, sample_weight=w)\n",
        "e = metrics.root_mean_squared_log_error(y, p)\n",
        "from sklearn import metrics\n"
        "e = metrics.root_mean_squared_log_error(y, p, sample_weight=w)\n",
    ),
    "sklearn-get-feature-names": (
        "names = dv.get_feature_names()\n",
        "names = dv.get_feature_names_out()\n",
        "names = dv.get_feature_names_out()\n",
    ),
    "sklearn-load-boston": (
        "from sklearn.datasets import load_boston\nX, y = load_boston(return_X_y=True)\n",
        "from sklearn.datasets import fetch_california_housing\n",
        None,
    ),
    "xgboost-reg-linear": (
        "params = {'objective': 'reg:linear', 'max_depth': 4}\n",
        "params = {'objective': 'reg:squarederror', 'note': 'was reg:linear'}\n",
        "params = {'objective': 'reg:squarederror', 'max_depth': 4}\n",
    ),
    "xgboost-fit-early-stopping": (
        "model.fit(X, y, eval_set=[(Xv, yv)], early_stopping_rounds=50)\n",
        "booster = xgb.train(params, train, 1000, early_stopping_rounds=50)\n",
        None,
    ),
    "xgboost-fit-eval-metric": (
        'model.fit(X, y, eval_metric="rmse")\n',
        'model = xgb.XGBRegressor(eval_metric="rmse")\n',
        None,
    ),
    "xgboost-ntree-limit": (
        "pred = model.predict(X, ntree_limit=model.best_ntree_limit)\n",
        "pred = model.predict(X, iteration_range=(0, model.best_iteration + 1))\n",
        None,
    ),
    "xgboost-gpu-hist": (
        'params = {"tree_method": "gpu_hist"}\n',
        'params = {"tree_method": "hist", "device": "cuda"}\n',
        None,
    ),
}


def _check(code: str):
    source = Source(path=None, shown="snippet.py", units=[Unit(code)])
    return check_source(source)


def test_every_rule_has_cases():
    assert sorted(CASES) == sorted(rule.id for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_flags_its_positive_case(rule):
    code, _, _ = CASES[rule.id]
    report = _check(code)
    found = [f for f in report.findings if f.rule == rule.id]
    assert len(found) == 1, [f.describe() for f in report.findings]
    finding = found[0]
    assert finding.severity == rule.severity
    assert rule.version in finding.what
    assert "{" not in finding.what + finding.instead  # every template field filled
    assert finding.line == len(code.splitlines())  # each positive case ends with its call


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_leaves_its_negative_case_alone(rule):
    _, code, _ = CASES[rule.id]
    assert [f.describe() for f in _check(code).findings if f.rule == rule.id] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_rewrite(rule):
    code, _, rewritten = CASES[rule.id]
    report = _check(code)
    texts = report.fixed_texts()
    if rewritten is None:
        assert texts == {}, "a rule without a safe fix must not rewrite anything"
        assert not any(f.fixable for f in report.findings)
    else:
        assert texts == {0: rewritten}
        assert [f.rule for f in _check(rewritten).findings] == []  # the rewrite is clean


def test_unsafe_variants_are_flagged_but_not_rewritten():
    # positional max_results would become search_registered_models' filter_string
    report = _check("client.list_registered_models(5)\n")
    assert [f.rule for f in report.findings] == ["mlflow-list-registered-models"]
    assert report.fixed_texts() == {}
    # squared=some_flag: whether the RMSE was meant is not known
    report = _check(
        "from sklearn.metrics import mean_squared_error\nmean_squared_error(y, p, squared=flag)\n"
    )
    assert [f.rule for f in report.findings] == ["sklearn-mse-squared"]
    assert report.fixed_texts() == {}
    # the bare name came from somewhere other than a plain sklearn import
    report = _check(
        "from sklearn.metrics import mean_squared_error as mse_fn\n"
        "mean_squared_error(y, p, squared=False)\n"
    )
    assert report.fixed_texts() == {}


def test_squared_true_is_dropped_and_the_import_not_duplicated():
    code = (
        "from sklearn.metrics import mean_squared_error, root_mean_squared_error\n"
        "a = mean_squared_error(y, p, squared=True)\n"
        "b = mean_squared_error(squared=False, y_true=y, y_pred=p)\n"
        "c = mean_squared_error(y, p, squared=False)\n"
    )
    assert _check(code).fixed_texts()[0] == (
        "from sklearn.metrics import mean_squared_error, root_mean_squared_error\n"
        "a = mean_squared_error(y, p)\n"
        "b = root_mean_squared_error(y_true=y, y_pred=p)\n"
        "c = root_mean_squared_error(y, p)\n"
    )


def test_rewrites_keep_comments_layout_and_non_ascii_text():
    code = (
        "# Modèle: Lasso\n"
        "for e in client.list_experiments(  # all of them\n"
        "):\n"
        '    print("é", e.name, {"objective": "reg:linear"})  # déjà\n'
    )
    assert _check(code).fixed_texts()[0] == (
        "# Modèle: Lasso\n"
        "for e in client.search_experiments(  # all of them\n"
        "):\n"
        '    print("é", e.name, {"objective": "reg:squarederror"})  # déjà\n'
    )


def test_names_that_only_look_alike_are_not_flagged():
    code = (
        "def list_experiments():\n    return []\n"  # a definition, not a call
        "list_experiments_cache = {}\n"
        "text = 'client.list_experiments() was removed'\n"  # a string, not a call
        "model.fit(X, y, eval_set=[(Xv, yv)])\n"
    )
    assert _check(code).findings == []
