"""Reading a REST request: the JSON body or query string, and its fields with their types.

MLflow's server parses each request into a protobuf message, so a field of the wrong
type, a missing required field or a body that is not JSON is refused before anything
runs. Here the same checks are small typed getters over the parsed dict; every
failure is a MinitrackException (INVALID_PARAMETER_VALUE, HTTP 400) naming the field.

Proto JSON is lenient in the same places as MLflow: an int64 may come as a number or
a string of digits, a double as a number or "NaN"/"Infinity"/"-Infinity", an enum by
name or number, and GET requests carry everything as query-string text.
"""

from __future__ import annotations

import contextlib
import json
import math

from minitrack.exceptions import MinitrackException

# JSON calls are small (log-batch's 1000 metrics, 100 params and 100 tags fit in a few
# MB even with long values); artifacts go through the proxy, which has its own limit.
JSON_BODY_LIMIT = 8 * 1024 * 1024

REQUEST_ENTITY_TOO_LARGE = "REQUEST_ENTITY_TOO_LARGE"


class BodyTooLarge(MinitrackException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than {limit} bytes, the limit for this call.",
            REQUEST_ENTITY_TOO_LARGE,
        )


def _bad(message: str) -> MinitrackException:
    return MinitrackException(message)


def _missing(name: str) -> MinitrackException:
    return _bad(
        f"Missing value for required parameter '{name}'. See the API docs for more "
        "information about request parameters."
    )


def _wrong(name: str, value, kind: str) -> MinitrackException:
    shown = json.dumps(value)[:80] if not isinstance(value, str) else repr(value[:80])
    return _bad(f"Invalid value {shown} for parameter '{name}' supplied: it must be {kind}.")


def parse_json(body: bytes) -> dict:
    """The request body as a JSON object ({} when empty)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise _bad(f"Malformed JSON in the request body: {e}. Send a JSON object.") from None
    if isinstance(data, str):
        # Old MLflow clients sent the JSON object encoded once more as a string.
        with contextlib.suppress(ValueError):
            data = json.loads(data)
    if not isinstance(data, dict):
        raise _bad(f"The request body must be a JSON object, got {type(data).__name__}.")
    return data


class Fields:
    """The fields of one request (or one nested object), read with their expected types."""

    def __init__(self, data: dict, *, from_query: bool = False, prefix: str = "") -> None:
        self.data = data
        self.from_query = from_query
        self.prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def _get(self, name: str, required: bool):
        value = self.data.get(name)
        if value is None and required:
            raise _missing(self._name(name))
        return value

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def str(self, name: str, required: bool = False, default=None, *, alias: str | None = None):
        value = self.data.get(name)
        if value is None and alias is not None:
            value = self.data.get(alias)
        if value is None:
            if required:
                raise _missing(self._name(name))
            return default
        if isinstance(value, list) and self.from_query and value:
            value = value[0]
        if not isinstance(value, str):
            raise _wrong(self._name(name), value, "a string")
        if required and value == "":
            raise _missing(self._name(name))
        return value

    def int(self, name: str, required: bool = False, default=None):
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, list) and self.from_query and value:
            value = value[0]
        if isinstance(value, bool):
            raise _wrong(self._name(name), value, "an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit() and text.isascii():
                return int(text)
        raise _wrong(self._name(name), value, "an integer")

    def float(self, name: str, required: bool = False, default=None):
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool):
            raise _wrong(self._name(name), value, "a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
            if value in special:
                return special[value]
            try:
                return float(value)
            except ValueError:
                pass
        raise _wrong(self._name(name), value, "a number")

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, list) and self.from_query and value:
            value = value[0]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _wrong(self._name(name), value, "true or false")

    def enum(self, name: str, names: dict[str, int], default: int) -> int:
        """An enum field by name ("ACTIVE_ONLY") or number (1)."""
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, list) and self.from_query and value:
            value = value[0]
        if isinstance(value, str) and value in names:
            return names[value]
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in names.values():
            return value
        raise _wrong(self._name(name), value, f"one of {', '.join(names)}")

    def str_list(self, name: str) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, str) and self.from_query:
            value = [value]
        if not isinstance(value, list):
            raise _wrong(self._name(name), value, "a list of strings")
        for item in value:
            if not isinstance(item, str):
                raise _wrong(self._name(name), value, "a list of strings")
        return value

    def objects(self, name: str) -> list[Fields]:
        """A repeated message field: each entry as Fields of its own."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _wrong(self._name(name), value, "a list of objects")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise _wrong(f"{self._name(name)}[{i}]", item, "an object")
            out.append(Fields(item, prefix=f"{self._name(name)}[{i}]."))
        return out

    def object(self, name: str) -> Fields | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _wrong(self._name(name), value, "an object")
        return Fields(value, prefix=f"{self._name(name)}.")

    def tags(self, name: str = "tags") -> dict[str, str]:
        """A repeated ``{key, value}`` field as a dict (later entries win, as in MLflow)."""
        out = {}
        for entry in self.objects(name):
            key = entry.str("key", required=True)
            out[key] = entry.str("value", default="")
        return out


def query_fields(query) -> Fields:
    """A GET request's query string: repeated names become lists."""
    data: dict = {}
    for key in query:
        values = query.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    return Fields(data, from_query=True)
