"""NYC green taxi trips for the lessons: a cached download of the TLC files, or a synthetic sample.

``load_month("2021-01")`` returns one month of trips as a pandas DataFrame and prints where the
trips came from:

- ``source="download"``: the TLC parquet file, fetched once into the cache folder
  (``~/.cache/exp-tracking/taxi`` or ``$COURSE_DATA_DIR``) with a progress bar. An interrupted
  download resumes with an HTTP Range request; every attempt writes to ``<name>.part`` and the
  file only gets its final name after it was validated, so a half-written file is never used.
- ``source="synthetic"``: a deterministic sample with the same columns and types, generated
  here (see :mod:`course.synthetic`), for offline classrooms and CI.
- ``source="auto"`` (the default): the cache, else the download, else the synthetic sample with
  a visible warning.

pandas and pyarrow are imported inside the functions that need them, so importing the module
is cheap.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

# The TLC publishes one parquet file per month under this address.
DEFAULT_URL_TEMPLATE = (
    "https://d37ci6vzurychx.cloudfront.net/trip-data/green_tripdata_{month}.parquet"
)
URL_TEMPLATE_ENV = "COURSE_DATA_URL_TEMPLATE"
DATA_DIR_ENV = "COURSE_DATA_DIR"
SOURCES = ("auto", "cache", "download", "synthetic")

# What the lessons read from a file, and the kind of type each column must have.
REQUIRED_COLUMNS = {
    "lpep_pickup_datetime": "timestamp",
    "lpep_dropoff_datetime": "timestamp",
    "PULocationID": "integer",
    "DOLocationID": "integer",
    "trip_distance": "floating",
}
# A real month holds tens of thousands of green taxi trips; far fewer means a broken file.
DEFAULT_MIN_ROWS = 1000

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_CHUNK = 64 * 1024


class DataError(Exception):
    """The trips could not be loaded; the message says why and what to do."""


class DownloadError(DataError):
    """The file could not be downloaded (network, HTTP status, retries used up)."""


class ValidationError(DataError):
    """A downloaded or cached file is not a usable TLC green taxi file."""


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder holding downloaded months: ``path``, else ``$COURSE_DATA_DIR``, else the
    user's cache folder."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    return Path.home() / ".cache" / "exp-tracking" / "taxi"


def check_month(month: str) -> str:
    """Return ``month`` if it looks like ``YYYY-MM``; raise a DataError saying so otherwise."""
    if not isinstance(month, str) or not _MONTH.match(month):
        raise DataError(f"month must be written YYYY-MM, like '2021-01'; got {month!r}.")
    return month


def file_name(month: str) -> str:
    return f"green_tripdata_{check_month(month)}.parquet"


def url_for(month: str, url_template: str | None = None) -> str:
    template = url_template or os.environ.get(URL_TEMPLATE_ENV) or DEFAULT_URL_TEMPLATE
    return template.format(month=check_month(month))


def cached_path(month: str, directory: str | os.PathLike | None = None) -> Path:
    return cache_dir(directory) / file_name(month)


# --------------------------------------------------------------------------- validation


def validate_file(path: str | os.PathLike, min_rows: int = DEFAULT_MIN_ROWS) -> int:
    """Check that ``path`` is a readable green taxi parquet file; return its row count.

    Reads the columns the lessons need end to end (so a damaged middle is caught, not only a
    damaged footer) and checks their types and the number of rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        schema = pq.read_schema(path)
        missing = [name for name in REQUIRED_COLUMNS if name not in schema.names]
        # Reading the needed columns end to end catches a damaged middle, not only a bad footer.
        table = None if missing else pq.read_table(path, columns=list(REQUIRED_COLUMNS))
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError(
            f"{path.name} is not a readable parquet file ({exc}). Delete it and download it again."
        ) from exc

    if missing:
        raise ValidationError(
            f"{path.name} lacks the column(s) {', '.join(missing)} that the lessons use; "
            "is it a green taxi file (green_tripdata_YYYY-MM.parquet)?"
        )
    checks = {
        "timestamp": pa.types.is_timestamp,
        "integer": pa.types.is_integer,
        "floating": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
    }
    for name, kind in REQUIRED_COLUMNS.items():
        column_type = table.schema.field(name).type
        if not checks[kind](column_type):
            raise ValidationError(
                f"{path.name}: column {name} has type {column_type}, expected a {kind} column. "
                "The file may come from a different dataset; download it again."
            )
    if table.num_rows < min_rows:
        raise ValidationError(
            f"{path.name} holds {table.num_rows} trips, fewer than the {min_rows} expected for a "
            "month; the file is probably truncated. Download it again."
        )
    return table.num_rows


# --------------------------------------------------------------------------- download


def download_month(
    month: str,
    directory: str | os.PathLike | None = None,
    *,
    url_template: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    backoff: float = 1.0,
    progress: bool = True,
    min_rows: int = DEFAULT_MIN_ROWS,
) -> Path:
    """Download one month into the cache folder and return the path of the validated file.

    A file already in the cache is returned as is. Otherwise the bytes go to ``<name>.part``;
    when a connection breaks, the next attempt asks the server for the missing bytes only
    (``Range``), up to ``retries`` further attempts. The finished file is validated and only
    then renamed to its final name; a file that fails validation is deleted.
    """
    final = cached_path(month, directory)
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + ".part")
    url = url_for(month, url_template)

    last_error: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            wait = backoff * 2 ** (attempt - 1)
            print(f"Download interrupted ({last_error}); retrying in {wait:.1f} s...")
            time.sleep(wait)
        try:
            _fetch_into(url, partial, timeout=timeout, progress=progress)
            break
        except _Retryable as exc:
            last_error = exc.__cause__ or exc
    else:
        # Resuming happens between attempts; a download that gives up leaves nothing behind.
        partial.unlink(missing_ok=True)
        raise DownloadError(
            f"Could not download {url} after {retries + 1} attempts (last error: {last_error}). "
            "Check your connection and run again, or pass more retries. Offline? Use "
            "source='synthetic'."
        )

    try:
        validate_file(partial, min_rows=min_rows)
    except ValidationError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)  # atomic: the final name only ever holds a whole, valid file
    return final


class _Retryable(Exception):
    """A failure worth another attempt (a dropped connection, a timeout, a 5xx answer)."""


def _fetch_into(url: str, partial: Path, *, timeout: float, progress: bool) -> None:
    """One attempt: append the missing bytes of ``url`` to ``partial``."""
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "exp-tracking-course"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            return  # we already hold every byte; validation decides whether they are right
        if exc.code == 404:
            raise DownloadError(
                f"{url} does not exist (HTTP 404). Is the month right? The TLC publishes each "
                "month about two months after it ends."
            ) from exc
        if exc.code >= 500 or exc.code == 429:
            raise _Retryable(f"HTTP {exc.code}") from exc
        raise DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}.") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, socket.gaierror):  # no DNS answer: offline, retrying won't help
            raise DownloadError(
                f"cannot reach {urllib.parse.urlsplit(url).hostname} ({exc.reason}); "
                "are you offline?"
            ) from exc
        raise _Retryable(str(exc)) from exc
    except (TimeoutError, ConnectionError) as exc:
        raise _Retryable(str(exc)) from exc

    with response:
        if response.status == 206:
            mode, start = "ab", have
        else:  # the server sent the whole file: start over
            mode, start = "wb", 0
        length = response.headers.get("Content-Length")
        total = start + int(length) if length is not None else None
        bar = _progress_bar(total, start, partial.name.removesuffix(".part"), progress)
        try:
            with open(partial, mode) as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    bar.update(len(chunk))
        except (TimeoutError, http.client.IncompleteRead, ConnectionError, OSError) as exc:
            raise _Retryable(f"connection lost after {partial.stat().st_size} bytes") from exc
        finally:
            bar.close()
    received = partial.stat().st_size
    if total is not None and received < total:
        raise _Retryable(f"connection closed at {received} of {total} bytes")


def _progress_bar(total: int | None, initial: int, label: str, enabled: bool):
    from tqdm import tqdm  # plain text bars: notebooks without ipywidgets show them too

    return tqdm(
        total=total,
        initial=initial,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=label,
        disable=not enabled,
        file=sys.stdout,
    )


# --------------------------------------------------------------------------- loading


def load_month(
    month: str = "2021-01",
    source: str = "auto",
    size: int | None = None,
    *,
    directory: str | os.PathLike | None = None,
    url_template: str | None = None,
    seed: int | None = None,
    progress: bool = True,
    retries: int | None = None,
):
    """One month of green taxi trips as a DataFrame; prints which source was used.

    ``retries`` defaults to 3 for ``source="download"`` and to 1 for ``"auto"``, which has the
    synthetic sample to fall back on and should not keep an offline student waiting.

    ``size`` caps the number of trips (the first ``size`` rows of a real file; the number of
    synthetic trips to generate, default :data:`course.synthetic.DEFAULT_ROWS`).
    """
    import pandas as pd

    check_month(month)
    if source not in SOURCES:
        raise DataError(f"source must be one of {', '.join(SOURCES)}; got {source!r}.")
    if size is not None and (not isinstance(size, int) or size < 1):
        raise DataError(f"size must be a positive number of trips or None; got {size!r}.")

    path = cached_path(month, directory)
    if source == "synthetic":
        return _synthetic(month, size, seed, reason=None)
    if source in ("auto", "cache") and path.exists():
        try:
            rows = validate_file(path)
        except ValidationError as exc:
            if source == "cache":
                raise
            path.unlink()  # a broken file must not shadow a fresh download
            warnings.warn(f"{exc} Removed it from the cache; downloading again.", stacklevel=2)
        else:
            print(f"Data source: cache, {path} ({rows:,} trips)")
            return _labelled(_head(pd.read_parquet(path), size), "cache", str(path))
    if source == "cache":
        from course import commands

        raise DataError(
            f"{path} is not in the cache. Run `{commands.script('course')} data fetch {month}` "
            "while online, or "
            "use source='download' or 'synthetic'."
        )
    try:
        path = download_month(
            month,
            directory,
            url_template=url_template,
            progress=progress,
            retries=(3 if source == "download" else 1) if retries is None else retries,
            timeout=30.0 if source == "download" else 10.0,
        )
    except DataError as exc:
        if source == "download":
            raise
        return _synthetic(month, size, seed, reason=str(exc))
    print(f"Data source: download, {url_for(month, url_template)} -> {path}")
    return _labelled(_head(pd.read_parquet(path), size), "download", str(path))


def _head(frame, size: int | None):
    return frame if size is None else frame.head(size).reset_index(drop=True)


def _labelled(frame, source: str, path: str):
    """Record where the trips came from; lessons log ``frame.attrs["path"]`` as a param."""
    frame.attrs["source"] = source
    frame.attrs["path"] = path
    return frame


def _synthetic(month: str, size: int | None, seed: int | None, reason: str | None):
    from course import synthetic

    if reason is not None:
        message = (
            f"Could not get the real {month} trips ({reason}). "
            "Falling back to the SYNTHETIC sample: numbers will differ from the course videos."
        )
        # printed, not warnings.warn: a notebook would show a warning twice (stderr and this)
        print(f"WARNING: {message}")
    rows = size or synthetic.DEFAULT_ROWS
    frame = synthetic.generate(month, rows=rows, seed=seed)
    frame.attrs["path"] = f"synthetic:{file_name(month)}?rows={rows}&seed={frame.attrs['seed']}"
    print(f"Data source: synthetic, {len(frame):,} trips for {month} (seed {frame.attrs['seed']})")
    return frame
