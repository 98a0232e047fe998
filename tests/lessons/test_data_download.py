"""The real-data path of course.data, against a local HTTP server serving a generated file."""

from __future__ import annotations

import http.server
import threading
import warnings
from pathlib import Path

import pytest

from course import data, synthetic


class TaxiServer(http.server.ThreadingHTTPServer):
    """Serves one parquet body at /green_tripdata_2021-01.parquet.

    ``cut_first`` requests are cut off halfway (the connection closes mid-file); Range
    requests are honoured unless ``honour_range`` is False. Every request is recorded.
    """

    daemon_threads = True

    def __init__(self, body: bytes):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = body
        self.cut_first = 0
        self.honour_range = True
        self.requests: list[str | None] = []  # the Range header of each request

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/green_tripdata_{{month}}.parquet"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: TaxiServer

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        server = self.server
        wanted = self.headers.get("Range")
        server.requests.append(wanted)
        if not self.path.endswith("2021-01.parquet"):
            self.send_error(404)
            return
        body, start = server.body, 0
        if wanted and server.honour_range:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if server.cut_first > 0:
            server.cut_first -= 1
            payload = payload[: len(payload) // 2]  # then the connection closes
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def month_file(tmp_path) -> bytes:
    """A real parquet month (synthetic trips, written with pyarrow) as bytes."""
    path = tmp_path / "source.parquet"
    synthetic.generate("2021-01", rows=1500).to_parquet(path)
    return path.read_bytes()


@pytest.fixture
def server(month_file):
    httpd = TaxiServer(month_file)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def fetch(server: TaxiServer, cache: Path, **options) -> Path:
    options = {"retries": 2, "backoff": 0.01, "progress": False, "timeout": 5} | options
    return data.download_month("2021-01", cache, url_template=server.url_template, **options)


def test_download_lands_a_validated_file_under_its_final_name(server, cache, month_file):
    path = fetch(server, cache)

    assert path == cache / "green_tripdata_2021-01.parquet"
    assert path.read_bytes() == month_file
    assert list(cache.iterdir()) == [path]  # no .part left behind
    assert data.validate_file(path) == 1500


def test_a_second_fetch_uses_the_cache_without_asking_the_server(server, cache):
    fetch(server, cache)
    fetch(server, cache)

    assert len(server.requests) == 1


def test_an_interrupted_download_resumes_where_it_stopped(server, cache, month_file):
    server.cut_first = 1

    path = fetch(server, cache)

    assert path.read_bytes() == month_file
    first, second = server.requests
    assert first is None
    assert second == f"bytes={len(month_file) // 2}-"


def test_a_server_ignoring_range_makes_the_download_start_over(server, cache, month_file):
    server.cut_first = 1
    server.honour_range = False

    path = fetch(server, cache)

    assert path.read_bytes() == month_file
    assert len(server.requests) == 2


def test_when_retries_run_out_no_partial_file_is_left_behind(server, cache):
    server.cut_first = 10

    with pytest.raises(data.DownloadError, match="after 3 attempts") as error:
        fetch(server, cache, retries=2)

    assert "Check your connection" in str(error.value)
    assert list(cache.iterdir()) == []


def test_a_corrupt_file_fails_validation_and_is_not_kept(server, cache, month_file):
    server.body = month_file[:100] + b"\0" * (len(month_file) - 100)

    with pytest.raises(data.ValidationError, match="not a readable parquet file"):
        fetch(server, cache)

    assert list(cache.iterdir()) == []


def test_a_file_without_the_taxi_columns_is_rejected_by_name(server, cache, tmp_path):
    import pandas as pd

    other = tmp_path / "other.parquet"
    pd.DataFrame({"fare": [1.0] * 2000}).to_parquet(other)
    server.body = other.read_bytes()

    with pytest.raises(data.ValidationError, match="lacks the column.*lpep_pickup_datetime"):
        fetch(server, cache)

    assert list(cache.iterdir()) == []


def test_a_missing_month_is_reported_without_retrying(server, cache):
    with pytest.raises(data.DownloadError, match="404"):
        data.download_month(
            "2030-01", cache, url_template=server.url_template, retries=3, progress=False
        )
    assert len(server.requests) == 1  # a missing file is not worth another attempt


def test_auto_falls_back_to_synthetic_with_one_visible_warning(server, cache, capsys):
    server.cut_first = 10

    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        trips = data.load_month(
            "2021-01",
            source="auto",
            size=500,
            directory=cache,
            url_template=server.url_template,
            retries=0,
            progress=False,
        )

    printed = capsys.readouterr().out
    # once: a notebook shows a Python warning besides the printed line, so it is printed only
    assert printed.count("SYNTHETIC") == 1, printed
    assert "WARNING: Could not get the real 2021-01 trips" in printed
    assert [str(w.message) for w in raised] == []
    assert "Data source: synthetic, 500 trips" in printed
    assert len(trips) == 500


def test_auto_prefers_the_cache_then_says_so(server, cache, capsys):
    fetch(server, cache)

    trips = data.load_month("2021-01", source="auto", directory=cache, progress=False)

    assert "Data source: cache" in capsys.readouterr().out
    assert len(trips) == 1500
    assert len(server.requests) == 1


def test_download_source_prints_where_the_file_came_from(server, cache, capsys):
    trips = data.load_month(
        "2021-01",
        source="download",
        size=100,
        directory=cache,
        url_template=server.url_template,
        progress=False,
    )

    assert f"Data source: download, {server.url_template.format(month='2021-01')}" in (
        capsys.readouterr().out
    )
    assert len(trips) == 100


def test_course_data_fetch_predownloads_months_for_a_class(server, cache, monkeypatch):
    from click.testing import CliRunner

    from course.cli import main

    monkeypatch.setenv(data.URL_TEMPLATE_ENV, server.url_template)

    result = CliRunner().invoke(main, ["data", "fetch", "2021-01", "--cache-dir", str(cache)])

    assert result.exit_code == 0, result.output
    assert f"2021-01: {cache / 'green_tripdata_2021-01.parquet'} (1,500 trips)" in result.output
    assert data.load_month("2021-01", source="cache", directory=cache).shape[0] == 1500


def test_course_data_fetch_fails_for_a_month_the_server_lacks(server, cache, monkeypatch):
    from click.testing import CliRunner

    from course.cli import main

    monkeypatch.setenv(data.URL_TEMPLATE_ENV, server.url_template)

    result = CliRunner().invoke(main, ["data", "fetch", "2030-05", "--cache-dir", str(cache)])

    assert result.exit_code == 1
    assert "2030-05: FAILED" in result.output
    assert "HTTP 404" in result.output


def test_course_data_fetch_without_months_fetches_the_lessons_months(server, cache, monkeypatch):
    from click.testing import CliRunner

    from course.cli import main

    monkeypatch.setenv(data.URL_TEMPLATE_ENV, server.url_template)

    result = CliRunner().invoke(main, ["data", "fetch", "--cache-dir", str(cache)])

    # this server only has January; February's 404 makes the command fail, and says so
    assert result.exit_code == 1
    assert "2021-01: " in result.output
    assert "2021-02: FAILED" in result.output


def test_auto_replaces_a_broken_cached_file_with_a_fresh_download(server, cache, month_file):
    cache.mkdir()
    broken = cache / "green_tripdata_2021-01.parquet"
    broken.write_bytes(month_file[: len(month_file) // 3])

    with pytest.warns(UserWarning, match="Removed it from the cache"):
        trips = data.load_month(
            "2021-01", directory=cache, url_template=server.url_template, progress=False
        )

    assert len(trips) == 1500
    assert broken.read_bytes() == month_file


def test_cache_only_refuses_a_broken_cached_file_by_name(cache, month_file):
    cache.mkdir()
    (cache / "green_tripdata_2021-01.parquet").write_bytes(b"not parquet at all")

    with pytest.raises(data.ValidationError, match="green_tripdata_2021-01.parquet is not a"):
        data.load_month("2021-01", source="cache", directory=cache)
