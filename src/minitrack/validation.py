"""Checks on keys, values and limits, with MLflow's rules and limits.

Every check raises MinitrackException with a message that names the bad key or
value and says what is allowed. Nothing here touches the store, so a rejected
call leaves it unchanged.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import posixpath
import re

from minitrack.exceptions import MinitrackException

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
MAX_RESULTS_PER_SEARCH = 50000

_IS_WINDOWS = os.name == "nt"
# MLflow allows ':' in names except on Windows, where names may become file names.
_NAME_RE = re.compile(r"^[/\w.\- ]*$" if _IS_WINDOWS else r"^[/\w.\- :]*$")
_ALLOWED_CHARS = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( )"
    + ("" if _IS_WINDOWS else ", colon (:)")
    + " and slashes (/)."
)
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_INT64_MAX = 2**63 - 1


def _show(value) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _invalid(path: str, value, why: str) -> MinitrackException:
    return MinitrackException(
        f"Invalid value {_show(value)} for parameter '{path}' supplied: {why}"
    )


def _truncate_enabled() -> bool:
    # MLflow 3 truncates over-long param and tag values with a warning unless told not to.
    return os.environ.get("MLFLOW_TRUNCATE_LONG_VALUES", "true").strip().lower() in ("true", "1")


def validate_key(kind: str, key, path: str = "key") -> str:
    """A metric, param or tag key: a str of allowed characters that is a clean relative path."""
    if key is None or key == "":
        raise MinitrackException(
            f"Missing value for required parameter '{path}': a {kind} key must be provided."
        )
    if not isinstance(key, str):
        raise _invalid(path, str(key), f"{kind} keys must be strings, got {type(key).__name__}.")
    if not _NAME_RE.match(key):
        raise _invalid(path, key, f"Invalid {kind} key. {_ALLOWED_CHARS}")
    # Without '/' or '.', normpath cannot change a key: most keys skip it.
    norm = posixpath.normpath(key) if "/" in key or "." in key else key
    if norm != key or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise _invalid(
            path,
            key,
            f"{kind} keys may become file names, so they must be clean relative paths "
            f"(no '..', '.', leading or doubled '/'); this one would resolve to {norm!r}.",
        )
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise MinitrackException(
            f"{kind} key '{key[:40]}...' is {len(key)} characters long; "
            f"the maximum is {MAX_ENTITY_KEY_LENGTH}."
        )
    return key


def _limited_value(kind: str, key: str, value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    if _truncate_enabled():
        import logging

        logging.getLogger(__name__).warning(
            "%s value for key '%s' (%d characters) is truncated to %d characters "
            "to meet the length limit.",
            kind,
            key,
            len(value),
            limit,
        )
        return value[:limit]
    raise MinitrackException(
        f"{kind} value for key '{key}' is {len(value)} characters long; the maximum is {limit} "
        "(set MLFLOW_TRUNCATE_LONG_VALUES=true to truncate instead)."
    )


def text(what: str, value: str) -> str:
    """``value`` if it can be stored: UTF-8 cannot hold a lone surrogate ('\\ud800')."""
    if value.isascii():  # the common case, checked in C
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise MinitrackException(
            f"Invalid {what}: it holds the character {value[e.start]!r} at position {e.start}, "
            "a lone surrogate that UTF-8 cannot store. Remove it (it often comes from "
            "decoding bytes with errors='surrogateescape')."
        ) from None
    return value


def param_value(key: str, value) -> str:
    """Params are stored as str, like MLflow (``str(value)``)."""
    value = text(f"value of param '{key}'", str(value))
    return _limited_value("Param", key, value, MAX_PARAM_VAL_LENGTH)


def tag_value(key: str, value) -> str:
    value = text(f"value of tag '{key}'", str(value))
    return _limited_value("Tag", key, value, MAX_TAG_VAL_LENGTH)


def metric_value(key: str, value) -> float:
    """A number (int, float, numpy scalar; NaN and +/-inf allowed); bool, str, None rejected."""
    if type(value) is float:  # the common case, without the checks against numbers' ABCs
        return value
    if value is None:
        raise MinitrackException(
            f"Missing value for metric '{key}': pass a number (int or float), not None."
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise _invalid(
            "value",
            value if isinstance(value, (str, int, float)) else repr(value),
            f"metric '{key}' needs a number (a 64-bit float), got {type(value).__name__}. "
            "Convert it with float(...) if it is numeric.",
        )
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise _invalid(
            "value", repr(value), f"metric '{key}' needs a real number (a 64-bit float)."
        ) from None


def _int64(kind: str, key: str, value) -> int:
    if type(value) is int and -_INT64_MAX - 1 <= value <= _INT64_MAX:  # the common case
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and not math.isfinite(value):
            why = f"{kind} of metric '{key}' must be a whole number, not {value}."
        else:
            why = (
                f"{kind} of metric '{key}' must be an integer (a 64-bit long), "
                f"got {type(value).__name__}."
            )
        shown = value if isinstance(value, (str, int, float)) else repr(value)
        raise _invalid(kind, shown, why)
    value = int(value)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise _invalid(kind, value, f"{kind} of metric '{key}' does not fit in 64 bits.")
    return value


def metric_step(key: str, step) -> int:
    return 0 if step is None else _int64("step", key, step)


def metric_timestamp(key: str, timestamp) -> int:
    value = _int64("timestamp", key, timestamp)
    if value < 0:
        raise _invalid(
            "timestamp", value, f"timestamp of metric '{key}' must be milliseconds since the epoch."
        )
    return value


def experiment_name(name) -> str:
    if name is None or name == "":
        raise MinitrackException(f"Invalid experiment name: {name!r}. Pass a non-empty string.")
    if not isinstance(name, str):
        raise MinitrackException(
            f"Invalid experiment name: {name!r}. Expects a string, got {type(name).__name__}."
        )
    text("experiment name", name)
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise MinitrackException(
            f"Experiment name is {len(name)} characters long; "
            f"the maximum is {MAX_EXPERIMENT_NAME_LENGTH}."
        )
    return name


def experiment_id(value) -> str:
    """An experiment id as MLflow passes it around: a str of an integer (ints accepted)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise MinitrackException(
            f"Invalid experiment id: {value!r} of type {type(value).__name__}. "
            "Must be a str or int, e.g. '0'."
        )
    digits = str(value)
    if not (digits.isascii() and digits.isdigit()) or int(digits) > _INT64_MAX:
        raise MinitrackException(
            f"Invalid experiment ID '{digits[:40]}'. Experiment ID must be a valid integer "
            "(0 to 2**63-1), e.g. '0'."
        )
    return str(int(digits))


def mapping_items(mapping, name: str) -> list[tuple]:
    """The ``(key, value)`` pairs of a dict argument (None is no pairs)."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise MinitrackException(
            f"{name} must be a dict of key to value, got {type(mapping).__name__}."
        )
    return list(mapping.items())


def experiment_ids(values) -> list[str]:
    """A list (or tuple) of experiment ids; a single str or int is a list of one."""
    if isinstance(values, (str, int)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise MinitrackException(
            f"Invalid experiment_ids {values!r}: pass a list of experiment ids, e.g. ['0']."
        )
    return [experiment_id(v) for v in values]


def run_ids(values) -> list[str]:
    """A list (or tuple) of run ids."""
    if not isinstance(values, (list, tuple)):
        raise MinitrackException(
            f"Invalid run_ids {values!r}: pass a list of run ids, e.g. [run.info.run_id]."
        )
    return [run_id(v) for v in values]


def run_time(what: str, value) -> int:
    """A run's start or end time: whole milliseconds since the epoch, in 64 bits."""
    if type(value) is int and 0 <= value <= _INT64_MAX:
        return value
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not (0 <= int(value) <= _INT64_MAX)
    ):
        shown = value if isinstance(value, (str, int, float)) else repr(value)
        raise _invalid(
            what,
            shown,
            f"{what} is whole milliseconds since the epoch (an int from 0 to 2**63-1), e.g. "
            "int(time.time() * 1000).",
        )
    return int(value)


def experiment_tag(key, value) -> tuple[str, str]:
    validate_key("Experiment tag", key)
    if len(key) > MAX_EXPERIMENT_TAG_KEY_LENGTH:
        raise MinitrackException(
            f"Experiment tag key is too long; the maximum is {MAX_EXPERIMENT_TAG_KEY_LENGTH}."
        )
    value = text(f"value of experiment tag '{key}'", str(value))
    if len(value) > MAX_EXPERIMENT_TAG_VAL_LENGTH:
        raise MinitrackException(
            f"Experiment tag value for key '{key}' is {len(value)} characters long; "
            f"the maximum is {MAX_EXPERIMENT_TAG_VAL_LENGTH}."
        )
    return key, value


def run_id(value, path: str = "run_id") -> str:
    if not isinstance(value, str) or not _RUN_ID_RE.match(value):
        raise _invalid(
            path,
            value if isinstance(value, (str, int, float)) or value is None else repr(value),
            "a run id is a string of letters, digits, '_' or '-' "
            "(e.g. run.info.run_id, 32 hex characters).",
        )
    return value


def max_results(value, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise MinitrackException(
            f"Invalid value {value!r} for parameter 'max_results': pass a positive integer."
        )
    if value > limit:
        raise MinitrackException(
            f"Invalid value {value} for parameter 'max_results' supplied. "
            f"It must be at most {limit}."
        )
    return int(value)


# -- model registry ------------------------------------------------------------------------

MAX_REGISTERED_MODEL_NAME_LENGTH = 256
MAX_MODEL_DESCRIPTION_LENGTH = 65535
MAX_REGISTERED_MODEL_ALIAS_LENGTH = 255
MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_SEARCH_REGISTERED_MODELS = 1000
MAX_SEARCH_MODEL_VERSIONS = 200_000
_ALIAS_RE = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
_STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}


def registered_model_name(name, what: str = "name") -> str:
    """A registered model name: non-empty, without '/' or ':' (they would break models:/ URIs)."""
    if name is None or (isinstance(name, str) and name.strip() == ""):
        raise MinitrackException(
            f"Missing value for required parameter '{what}': a registered model needs a "
            "non-empty name, e.g. 'nyc-taxi-regressor'."
        )
    if not isinstance(name, str):
        raise MinitrackException(
            f"Invalid registered model {what} {name!r}: pass a string, got {type(name).__name__}."
        )
    text(f"registered model {what}", name)
    if "/" in name or ":" in name:
        raise MinitrackException(
            f"Invalid model name '{name}'. Names cannot contain '/' or ':' (they separate the "
            "parts of a models:/ URI); use '-' or '_' instead."
        )
    if len(name) > MAX_REGISTERED_MODEL_NAME_LENGTH:
        raise MinitrackException(
            f"Registered model name is {len(name)} characters long; "
            f"the maximum is {MAX_REGISTERED_MODEL_NAME_LENGTH}."
        )
    return name


def model_version(value) -> int:
    """A version number as MLflow accepts it: an int or a str of one ('3')."""
    if (
        isinstance(value, str)
        and value.strip().isascii()
        and value.strip().isdigit()
        or isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
    ):
        number = int(value)
    else:
        number = None
    if number is None or not 0 <= number <= _INT64_MAX:
        shown = (
            value if isinstance(value, (str, int)) and len(str(value)) < 40 else repr(value)[:40]
        )
        raise MinitrackException(
            f"Parameter 'version' must be an integer, got {shown!r}. Versions count up from 1 "
            "per model; see them with MlflowClient().search_model_versions(\"name='...'\")."
        )
    return number


def model_alias(alias, *, for_setting: bool = False) -> str:
    """An alias: letters, digits, '_' and '-'; ``latest`` and ``v<n>`` cannot be set."""
    if alias is None or alias == "":
        raise MinitrackException(
            "Registered model alias name cannot be empty: pass one such as 'champion'."
        )
    if not isinstance(alias, str) or not _ALIAS_RE.match(alias):
        raise MinitrackException(
            f"Invalid alias name: {alias!r}. Names may only contain alphanumerics, "
            "underscores (_), and dashes (-)."
        )
    if len(alias) > MAX_REGISTERED_MODEL_ALIAS_LENGTH:
        raise MinitrackException(
            f"Registered model alias name is {len(alias)} characters long; the maximum is "
            f"{MAX_REGISTERED_MODEL_ALIAS_LENGTH}."
        )
    if for_setting and alias.lower() == "latest":
        raise MinitrackException(
            "'latest' alias name (case insensitive) is reserved: models:/<name>/latest "
            "already means the newest version. Choose another alias, e.g. 'champion'."
        )
    if for_setting and _VERSION_ALIAS_RE.match(alias):
        raise MinitrackException(
            f"Version alias name '{alias}' is reserved: 'v<number>' names a version. "
            "Choose another alias, e.g. 'champion'."
        )
    return alias


_LOGGED_MODEL_ID_RE = re.compile(r"^m-[0-9a-f]{32}$")


def logged_model_id(value) -> str:
    """A logged model's id as MLflow 3 makes them: 'm-' and 32 hex characters."""
    if not isinstance(value, str) or not _LOGGED_MODEL_ID_RE.match(value):
        shown = value[:40] if isinstance(value, str) else repr(value)[:40]
        raise MinitrackException(
            f"Invalid logged model id {shown!r}: it is 'm-' and 32 hex characters; pass "
            "model_info.model_id from log_model."
        )
    return value


def model_stage(stage) -> str:
    """A registry stage matched case-insensitively, returned in MLflow's spelling."""
    canonical = _STAGES.get(stage.lower()) if isinstance(stage, str) else None
    if canonical is None:
        raise MinitrackException(
            f"Invalid Model Version stage: {stage}. Value must be one of None, Staging, "
            "Production, Archived."
        )
    return canonical


def registry_tag(key, value, what: str = "tag") -> tuple[str, str]:
    """A tag on a registered model or model version."""
    validate_key(f"Registered model {what}" if what == "tag" else what, key)
    value = text(f"value of tag '{key}'", str(value))
    if len(value) > MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH:
        raise MinitrackException(
            f"Tag value for key '{key}' is {len(value)} characters long; the maximum is "
            f"{MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH}."
        )
    return key, value


def model_description(description) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise MinitrackException(
            f"Invalid description {description!r}: pass a string, got {type(description).__name__}."
        )
    text("description", description)
    if len(description) > MAX_MODEL_DESCRIPTION_LENGTH:
        raise MinitrackException(
            f"Description is {len(description)} characters long; the maximum is "
            f"{MAX_MODEL_DESCRIPTION_LENGTH}."
        )
    return description
