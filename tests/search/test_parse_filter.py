"""What parse_filter makes of the filter strings students type into search_runs."""

from __future__ import annotations

import pytest

from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.search import Comparison, parse_filter


def metric(key, comparator, value):
    return Comparison("metric", key, comparator, value)


def param(key, comparator, value):
    return Comparison("param", key, comparator, value)


def tag(key, comparator, value):
    return Comparison("tag", key, comparator, value)


def attr(key, comparator, value):
    return Comparison("attribute", key, comparator, value)


# The valid examples listed in the course's MLflow facts sheet.
FACT_SHEET_VALID = [
    ("metric.acc >= 0.94", [metric("acc", ">=", 0.94)]),
    ("metric.acc>=100", [metric("acc", ">=", 100.0)]),
    ("params.m!='tf'", [param("m", "!=", "tf")]),
    ('metrics."X//Y#$$@&Z" = 3', [metric("X//Y#$$@&Z", "=", 3.0)]),
    (
        "metrics.rmse < 1 and params.model_class = 'LR'",
        [metric("rmse", "<", 1.0), param("model_class", "=", "LR")],
    ),
    ("`tags`.source_name = 'a notebook'", [tag("source_name", "=", "a notebook")]),
    ("run.status = 'RUNNING'", [attr("status", "=", "RUNNING")]),
    ("attribute.start_time >= 1234", [attr("start_time", ">=", 1234)]),
    ("tags.version IS NULL", [tag("version", "IS NULL", None)]),
    ("", []),
    ('params.m = "L\'Hosp"', [param("m", "=", "L'Hosp")]),
]

# Our own cases: every corner of the grammar, one line each.
OWN_VALID = [
    # prefixes and their aliases
    ("metrics.rmse < 7.5", [metric("rmse", "<", 7.5)]),
    ("param.alpha = '0.1'", [param("alpha", "=", "0.1")]),
    ("parameter.alpha = '0.1'", [param("alpha", "=", "0.1")]),
    ("parameters.alpha = '0.1'", [param("alpha", "=", "0.1")]),
    ("tag.model = 'xgboost'", [tag("model", "=", "xgboost")]),
    ('tags.model = "xgboost"', [tag("model", "=", "xgboost")]),
    ("attributes.status = 'FINISHED'", [attr("status", "=", "FINISHED")]),
    ("attr.status = 'FAILED'", [attr("status", "=", "FAILED")]),
    ("status = 'KILLED'", [attr("status", "=", "KILLED")]),
    ("`metric`.a >= 0.1", [metric("a", ">=", 0.1)]),
    ("`params`.`max depth` = '4'", [param("max depth", "=", "4")]),
    # numbers: ints, floats, exponents, negatives, leading/trailing dot
    ("metrics.loss > -1", [metric("loss", ">", -1.0)]),
    ("metrics.loss > -0.5", [metric("loss", ">", -0.5)]),
    ("metrics.loss < 1e3", [metric("loss", "<", 1000.0)]),
    ("metrics.loss < 1.5E-3", [metric("loss", "<", 0.0015)]),
    ("metrics.loss < .5", [metric("loss", "<", 0.5)]),
    ("metrics.loss < 5.", [metric("loss", "<", 5.0)]),
    ("metrics.loss != 0", [metric("loss", "!=", 0.0)]),
    ("metrics.loss <= 0", [metric("loss", "<=", 0.0)]),
    ("metrics.loss = 0", [metric("loss", "=", 0.0)]),
    # numeric attributes keep int or float, and 'created' means start_time
    ("start_time > 1700000000000", [attr("start_time", ">", 1700000000000)]),
    ("end_time <= 2.5", [attr("end_time", "<=", 2.5)]),
    ("created > 5", [attr("start_time", ">", 5)]),
    ("Created > 5", [attr("start_time", ">", 5)]),
    ("attributes.end_time != 3", [attr("end_time", "!=", 3)]),
    # string attributes
    ("run_id = 'abc123'", [attr("run_id", "=", "abc123")]),
    ("run_name = 'happy-cat-042'", [attr("run_name", "=", "happy-cat-042")]),
    ("`run name` = 'x'", [attr("run_name", "=", "x")]),
    ("attributes.`Run Name` = 'x'", [attr("run_name", "=", "x")]),
    ("attributes.\"Run name\" = 'x'", [attr("run_name", "=", "x")]),
    ("user_id = 'alice'", [attr("user_id", "=", "alice")]),
    ("artifact_uri LIKE '%/artifacts'", [attr("artifact_uri", "LIKE", "%/artifacts")]),
    ("status != 'RUNNING'", [attr("status", "!=", "RUNNING")]),
    # LIKE / ILIKE in any case, comparators come back upper case
    ("params.model LIKE 'Lasso%'", [param("model", "LIKE", "Lasso%")]),
    ("params.model like 'Las_o'", [param("model", "LIKE", "Las_o")]),
    ("tags.model ILIKE '%BOOST'", [tag("model", "ILIKE", "%BOOST")]),
    ('tags.model iLiKe "%boost"', [tag("model", "ILIKE", "%boost")]),
    ("run_name ILIKE 'happy%'", [attr("run_name", "ILIKE", "happy%")]),
    # IN / NOT IN on run_id
    ("run_id IN ('a', 'b')", [attr("run_id", "IN", ("a", "b"))]),
    ("attributes.run_id in ('a')", [attr("run_id", "IN", ("a",))]),
    ("run_id NOT IN ('a','b')", [attr("run_id", "NOT IN", ("a", "b"))]),
    ('run_id IN ("a" , "b" )', [attr("run_id", "IN", ("a", "b"))]),
    ("run_id not  in ('x')", [attr("run_id", "NOT IN", ("x",))]),
    # IS NULL / IS NOT NULL on params and tags
    ("params.lr IS NOT NULL", [param("lr", "IS NOT NULL", None)]),
    ("params.lr is null", [param("lr", "IS NULL", None)]),
    ("tags.`a b` IS  NOT   NULL", [tag("a b", "IS NOT NULL", None)]),
    (
        "tags.a IS NULL AND params.b = 'val'",
        [tag("a", "IS NULL", None), param("b", "=", "val")],
    ),
    # quoting of keys
    ('metrics."legit name" >= 0.243', [metric("legit name", ">=", 0.243)]),
    ("metrics.`spacey name` > 5", [metric("spacey name", ">", 5.0)]),
    ('metrics."X-Y-Z" = 3', [metric("X-Y-Z", "=", 3.0)]),
    ('metrics."accuracy.2.0" > 5', [metric("accuracy.2.0", ">", 5.0)]),
    ('params."p.a.r.a.m" != "a"', [param("p.a.r.a.m", "!=", "a")]),
    ("tags.`t.a.g` = 'a'", [tag("t.a.g", "=", "a")]),
    ('params."m"!="tf"', [param("m", "!=", "tf")]),
    # unquoted keys with dots keep them: system tags read naturally
    ("tags.mlflow.runName = 'x'", [tag("mlflow.runName", "=", "x")]),
    ("tags.mlflow.source.type = 'NOTEBOOK'", [tag("mlflow.source.type", "=", "NOTEBOOK")]),
    ("metrics.a.b.c > 1", [metric("a.b.c", ">", 1.0)]),
    ("metrics.1st_epoch_loss > 1", [metric("1st_epoch_loss", ">", 1.0)]),
    ("metrics.validation_rmse < 6", [metric("validation_rmse", "<", 6.0)]),
    # values are kept verbatim between the outer quotes
    ("params.a = ''", [param("a", "=", "")]),
    ("params.a = 'it''s'", [param("a", "=", "it''s")]),
    ("params.a = 'say \"hi\"'", [param("a", "=", 'say "hi"')]),
    ("params.a = ' padded '", [param("a", "=", " padded ")]),
    ("params.a = 'AND'", [param("a", "=", "AND")]),
    ("params.a = 'x OR y'", [param("a", "=", "x OR y")]),
    ("params.a = '; DROP TABLE runs; --'", [param("a", "=", "; DROP TABLE runs; --")]),
    # unicode keys and values
    ("params.ключ = 'значение'", [param("ключ", "=", "значение")]),
    ("metrics.é > 1", [metric("é", ">", 1.0)]),
    ("tags.note = '日本語 ✓'", [tag("note", "=", "日本語 ✓")]),
    # AND in any case, whitespace anywhere (or nowhere)
    (
        "metrics.a > 1 and params.b = 'x' AnD tags.c = 'y'",
        [metric("a", ">", 1.0), param("b", "=", "x"), tag("c", "=", "y")],
    ),
    ("params.b='x'and metrics.a>1", [param("b", "=", "x"), metric("a", ">", 1.0)]),
    ("  metrics.a   >   1  ", [metric("a", ">", 1.0)]),
    ("\tmetrics.a\n>\n1\n", [metric("a", ">", 1.0)]),
    ("   ", []),
    (None, []),
    # the same key twice is two clauses (a range)
    ("metrics.a > 1 AND metrics.a < 2", [metric("a", ">", 1.0), metric("a", "<", 2.0)]),
]


@pytest.mark.parametrize(("filter_string", "expected"), FACT_SHEET_VALID + OWN_VALID)
def test_valid_filters_parse_to_comparisons(filter_string, expected):
    assert parse_filter(filter_string) == expected


def test_own_case_table_is_large():
    assert len(OWN_VALID) + len(INVALID) >= 60 + 15


# (filter, words the message must contain): the message quotes the culprit and the fix.
FACT_SHEET_INVALID = [
    ("metric.acc >= 0.94; metrics.rmse < 1", ["';'", "AND"]),
    ("m.acc >= 0.94", ["unknown entity 'm'", "'m.acc'", "metrics., params., tags."]),
    ("acc >= 0.94", ["unknown attribute 'acc'", "metrics.acc"]),
    ("metrics.A > 0.1 OR params.B = 'LR'", ["OR is not supported", "join clauses with AND"]),
    ("metric.model = '5'", ["metric values must be numbers", "got '5' (quoted)"]),
    ("params.acc = 5", ["param values must be quoted strings", "got '5'"]),
    ("params.acc = `LR`", ["quoted strings", "`LR`"]),
    ("metrics.acc IS NULL", ["'IS NULL'", "params and tags only"]),
    ("1=1", ["expected a key", "'1=1'"]),
    ("params.x > 'a'", ["'>' cannot be used on 'params.x'", "=, !=, LIKE, ILIKE"]),
]

INVALID = [
    ("metrics.A > 0.1 AND (params.B = 'LR')", ["parentheses are not supported"]),
    ("(metrics.A > 0.1)", ["parentheses are not supported"]),
    ("metrics.A > 0.1 NAND params.B = 'LR'", ["unexpected 'NAND", "join clauses with AND"]),
    ("`metrics.A > 0.1", ["unmatched `"]),
    ("param`.A > 0.1", ["unmatched `"]),
    ("p.model = 'LR'", ["unknown entity 'p'"]),
    ("attri.x != 1", ["unknown entity 'attri'"]),
    ("model >= 'LR'", ["unknown attribute 'model'"]),
    ("attribute.start != 1", ["unknown attribute 'start'"]),
    ("attribute.experiment_id != 1", ["unknown attribute 'experiment_id'", "experiment_ids"]),
    ("attribute.lifecycle_stage = 'ACTIVE'", ["lifecycle_stage", "run_view_type"]),
    ("attribute.status = true", ["quoted strings", "'true'"]),
    ("attribute.status = 1", ["quoted strings", "'1'"]),
    ("attribute.status IS NULL", ["'IS NULL'", "params and tags only"]),
    ("attribute.status IS 'RUNNING'", ["expected a comparator", "IS 'RUNNING'"]),
    ("tags.acc = 5", ["tag values must be quoted strings"]),
    ("params.acc = LR", ["quoted strings", "'LR'"]),
    ("params.acc = 'LR", ["no closing '"]),
    ("tags.acc = \"LR'", ['no closing "']),
    ("tags.acc = = 'LR'", ["quoted strings", "'='"]),
    ("params.acc LR", ["expected a comparator", "'LR'"]),
    ("metric.acc !=", ["got nothing"]),
    ("metrics.acc", ["no comparator"]),
    ("metrics.acc != metrics.acc", ["must be numbers", "'metrics.acc'"]),
    ("1.0 > metrics.acc", ["expected a key"]),
    ("metrics.a == 1", ["'=='", "use '='"]),
    ("metrics.a <> 1", ["'<>'", "use '!='"]),
    ("metrics.a > - 1", ["must be numbers", "'-'"]),
    ("metrics.a>1and params.b='x'", ["must be numbers", "'1and'"]),
    ("start_time > '5'", ["'start_time' values must be numbers", "(quoted)"]),
    ("created LIKE 5", ["'LIKE' cannot be used", "numeric attributes"]),
    ("metrics.a LIKE '1%'", ["'LIKE' cannot be used on 'metrics.a'"]),
    ("status IN ('a')", ["'IN' cannot be used on 'status'", "attributes.run_id only"]),
    ("params.a IN ('x')", ["'IN' cannot be used on 'params.a'"]),
    ("metrics.a NOT IN (1)", ["'NOT IN' cannot be used"]),
    ("run_id IN ()", ["IN list on 'run_id' is empty"]),
    ("run_id IN ('a', 1)", ["quoted strings only", "'1)'"]),
    ("run_id IN 'a'", ["parenthesised list"]),
    ("run_id IN ('a' 'b')", ["expected ',' or ')'"]),
    ("run_id > 'a'", ["'>' cannot be used on 'run_id'"]),
    ("params.my-param = 'x'", ["expected a comparator", "must be quoted", "params.`my-param`"]),
    ('metrics."a".b > 1', ["mixes quoted and unquoted", "metrics.`a.b`"]),
    ("metrics.`` > 1", ["empty key"]),
    ("status = 'a' AND", ["ends with AND"]),
    ("AND status = 'a'", ["AND at", "no clause before it"]),
    ("status = 'a' AND AND status = 'b'", ["no clause before it"]),
    ("params.a = 'x' -- comment", ["unexpected '-- comment'"]),
    ("params.a = 'x'; DROP TABLE runs", ["';' is not allowed"]),
    ('params.a = "x" "y"', ["unexpected '\"y\"'"]),
    ("params.a = 'x' params.b = 'y'", ["unexpected 'params.b"]),
    ("params.a = null", ["quoted strings", "'null'"]),
    ("metrics.a > true", ["must be numbers", "'true'"]),
    ("datasets.name = 'taxi'", ["does not track datasets", "as a param or tag"]),
]


@pytest.mark.parametrize(("filter_string", "words"), FACT_SHEET_INVALID + INVALID)
def test_invalid_filters_explain_what_is_wrong(filter_string, words):
    with pytest.raises(MinitrackException) as caught:
        parse_filter(filter_string)
    assert caught.value.error_code == INVALID_PARAMETER_VALUE
    for word in words:
        assert word in caught.value.message


def test_a_filter_that_is_not_a_string_is_refused_with_an_example():
    with pytest.raises(MinitrackException, match=r'a string such as "metrics.rmse < 1"'):
        parse_filter(["metrics.rmse < 1"])
