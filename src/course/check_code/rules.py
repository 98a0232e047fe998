"""The table of removed and deprecated calls ``course check-code`` looks for.

One :class:`Rule` per thing that changed. A rule says what it matches (a call by name,
optionally only with a given keyword or argument count, or a string literal), how bad it is
(``error``: the code will not run on today's libraries; ``warning``: it runs, deprecated),
what to write instead, the version that changed it, and, where the rewrite is safe and
mechanical, the :data:`Fix` that ``--diff`` shows and ``--fix`` applies.

Adding a rule is one entry in :data:`RULES` plus a positive and a negative case in
``tests/env/test_check_code_rules.py``. Messages are templates: ``{call}`` is the called
expression as written (``client.list_experiments``), ``{prefix}`` its receiver with the dot
(``client.``), ``{version}`` the rule's version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


# -- what a rule matches ---------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """A call of a function or method called ``name``: ``x.name(...)`` and/or ``name(...)``."""

    name: str
    method: bool = True  # match ``anything.name(...)``
    bare: bool = True  # match ``name(...)``
    keyword: str | None = None  # only calls passing this keyword
    positional: int | None = None  # only calls with exactly this many positional arguments


@dataclass(frozen=True)
class Text:
    """A string literal (or the constant parts of an f-string) matching ``pattern``."""

    pattern: str
    flags: int = 0

    def search(self, text: str) -> re.Match | None:
        return re.search(self.pattern, text, self.flags)


# -- how a match is rewritten (only the safe, mechanical cases) ------------------------------
@dataclass(frozen=True)
class RenameCall:
    """Call ``new`` instead; only when the call has no positional arguments, if asked."""

    new: str
    keywords_only: bool = False


@dataclass(frozen=True)
class RenameKeyword:
    old: str
    new: str


@dataclass(frozen=True)
class NamePositional:
    """Turn the positional argument at ``index`` into the keyword ``name=``."""

    index: int
    name: str


@dataclass(frozen=True)
class SquaredToRoot:
    """``f(..., squared=False)`` -> ``root_f(...)`` (importing it beside ``f``);
    ``f(..., squared=True)`` -> ``f(...)``."""

    root: str


@dataclass(frozen=True)
class ReplaceText:
    old: str
    new: str


Fix = RenameCall | RenameKeyword | NamePositional | SquaredToRoot | ReplaceText


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    match: Call | Text
    what: str  # what is wrong, e.g. "{call}() was removed in {version}"
    instead: str  # what to write instead, e.g. "use {prefix}search_experiments()"
    version: str  # "MLflow 2.0"
    fix: Fix | None = None


_STAGES = "is deprecated since {version}, with the other model-stage calls"

RULES: tuple[Rule, ...] = (
    # MLflow: the list_* calls went in 2.0, replaced by search_* calls.
    Rule(
        "mlflow-list-experiments",
        ERROR,
        Call("list_experiments"),
        "{call}() was removed in {version}",
        "use {prefix}search_experiments()",
        "MLflow 2.0",
        RenameCall("search_experiments"),
    ),
    Rule(
        "mlflow-list-run-infos",
        ERROR,
        Call("list_run_infos"),
        "{call}() was removed in {version}",
        "use {prefix}search_runs([experiment_id]) and read run.info of each run",
        "MLflow 2.0",
    ),
    Rule(
        "mlflow-list-registered-models",
        ERROR,
        Call("list_registered_models"),
        "{call}() was removed in {version}",
        "use {prefix}search_registered_models()",
        "MLflow 2.0",
        # positionally, list_registered_models(max_results) would become a filter string
        RenameCall("search_registered_models", keywords_only=True),
    ),
    # MLflow 3 names a logged model with name=; artifact_path= still works, with a warning.
    Rule(
        "mlflow-log-model-artifact-path",
        WARNING,
        Call("log_model", bare=False, keyword="artifact_path"),
        "{call}(artifact_path=...) is deprecated since {version}",
        "use name=...",
        "MLflow 3.0",
        RenameKeyword("artifact_path", "name"),
    ),
    Rule(
        "mlflow-log-model-positional-path",
        WARNING,
        Call("log_model", bare=False, positional=2),
        "{call}(model, path) passes artifact_path, deprecated since {version}",
        'use name=, e.g. log_model(model, name="model")',
        "MLflow 3.0",
        NamePositional(1, "name"),
    ),
    # Stages (Staging, Production, Archived) gave way to aliases and tags in 2.9.
    Rule(
        "mlflow-get-latest-versions",
        WARNING,
        Call("get_latest_versions", bare=False),
        "{call}() " + _STAGES,
        "use {prefix}get_model_version_by_alias(name, alias) or {prefix}search_model_versions()",
        "MLflow 2.9",
    ),
    Rule(
        "mlflow-transition-stage",
        WARNING,
        Call("transition_model_version_stage", bare=False),
        "{call}() " + _STAGES,
        "use {prefix}set_registered_model_alias(name, alias, version)",
        "MLflow 2.9",
    ),
    Rule(
        "mlflow-stage-uri",
        WARNING,
        Text(r"models:/[^/@\s]+/(staging|production|archived)\b", re.IGNORECASE),
        "loading a model by stage (models:/NAME/STAGE) is deprecated since {version}",
        "use an alias: models:/NAME@ALIAS",
        "MLflow 2.9",
    ),
    # scikit-learn 1.6 removed squared= (deprecated in 1.4) from the squared-error metrics.
    Rule(
        "sklearn-mse-squared",
        ERROR,
        Call("mean_squared_error", keyword="squared"),
        "the squared= argument of {call}() was removed in {version}",
        "use root_mean_squared_error(y_true, y_pred) for the RMSE",
        "scikit-learn 1.6",
        SquaredToRoot("root_mean_squared_error"),
    ),
    Rule(
        "sklearn-msle-squared",
        ERROR,
        Call("mean_squared_log_error", keyword="squared"),
        "the squared= argument of {call}() was removed in {version}",
        "use root_mean_squared_log_error(y_true, y_pred)",
        "scikit-learn 1.6",
        SquaredToRoot("root_mean_squared_log_error"),
    ),
    Rule(
        "sklearn-get-feature-names",
        ERROR,
        Call("get_feature_names", bare=False, positional=0),
        "{call}() was removed in {version}",
        "use {prefix}get_feature_names_out()",
        "scikit-learn 1.2",
        RenameCall("get_feature_names_out"),
    ),
    Rule(
        "sklearn-load-boston",
        ERROR,
        Call("load_boston"),
        "{call}() was removed in {version}",
        "use fetch_california_housing() or another data set",
        "scikit-learn 1.2",
    ),
    # XGBoost
    Rule(
        "xgboost-reg-linear",
        WARNING,
        Text(r"^reg:linear$"),
        'the objective "reg:linear" is deprecated since {version}',
        'use "reg:squarederror"',
        "XGBoost 0.90",
        ReplaceText("reg:linear", "reg:squarederror"),
    ),
    Rule(
        "xgboost-fit-early-stopping",
        ERROR,
        Call("fit", bare=False, keyword="early_stopping_rounds"),
        "{call}(early_stopping_rounds=...) was removed in {version}",
        "pass early_stopping_rounds= to the model's constructor, e.g. XGBRegressor(...)",
        "XGBoost 2.1",
    ),
    Rule(
        "xgboost-fit-eval-metric",
        ERROR,
        Call("fit", bare=False, keyword="eval_metric"),
        "{call}(eval_metric=...) was removed in {version}",
        "pass eval_metric= to the model's constructor, e.g. XGBRegressor(...)",
        "XGBoost 2.1",
    ),
    Rule(
        "xgboost-ntree-limit",
        ERROR,
        Call("predict", bare=False, keyword="ntree_limit"),
        "{call}(ntree_limit=...) was removed in {version}",
        "use iteration_range=(0, model.best_iteration + 1)",
        "XGBoost 2.0",
    ),
    Rule(
        "xgboost-gpu-hist",
        WARNING,
        Text(r"^gpu_hist$"),
        'tree_method "gpu_hist" is deprecated since {version}',
        'use tree_method="hist" with device="cuda"',
        "XGBoost 2.0",
    ),
)

CALL_RULES = tuple(rule for rule in RULES if isinstance(rule.match, Call))
TEXT_RULES = tuple(rule for rule in RULES if isinstance(rule.match, Text))
