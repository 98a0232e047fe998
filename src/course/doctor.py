"""``course doctor``: can this Python run the course? A Carpentries-style check.

Every check returns a :class:`Result` with a verdict (pass, warn or fail), a one-line summary,
and for anything not passing a concrete fix. ``run_checks`` runs them all; a check that
crashes becomes a failure of that check rather than a crash of the doctor, because the doctor
is most needed in broken environments.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course import envinfo, versions

PASS, WARN, FAIL = "pass", "warn", "fail"
KERNEL_DISPLAY_NAME = "Python (exp-tracking)"
MIN_PYTHON = (3, 10)
# Free disk below which the lessons (data, runs, models) will not fit, and a comfortable margin.
DISK_FAIL_GB, DISK_WARN_GB = 1.0, 3.0
LESSON_MONTHS = ("2021-01", "2021-02")


@dataclass
class Options:
    store: str = "mlflow.db"
    port: int = 5000
    kernel_dir: str | None = None
    kernel_name: str = "exp-tracking"
    spec: str | None = None
    cwd: str | None = None  # the folder whose lessons' store "runs" looks at (default: here)
    ui_ports: tuple[int, ...] = ()  # ports to look for a UI on (default: --port and the usual)


@dataclass
class Result:
    name: str
    status: str
    summary: str
    fix: str | None = None
    details: dict = field(default_factory=dict)


def run_checks(options: Options | None = None) -> list[Result]:
    options = options or Options()
    results = []
    for name, check in CHECKS:
        try:
            results.append(check(options))
        except Exception as error:  # a broken check must not hide the others
            results.append(
                Result(
                    name,
                    FAIL,
                    f"the check itself crashed: {type(error).__name__}: {error}",
                    fix=f"Recreate the environment: {envinfo.setup_command()} --force",
                )
            )
    return results


def has_failures(results: list[Result]) -> bool:
    return any(result.status == FAIL for result in results)


# --- the checks, in the order a helper at a workshop would go through them ----------------


def check_platform(options: Options) -> Result:
    facts = envinfo.platform_summary()
    summary = f"{facts['system']} {facts['release']} on {facts['machine']}"
    if facts["rosetta"]:
        return Result(
            "platform",
            WARN,
            summary + " (an x86_64 Python running under Rosetta on Apple Silicon)",
            fix="Install the arm64 Miniforge for Apple Silicon and recreate the environment: "
            "x86_64 builds run slower and some (XGBoost) misbehave under Rosetta.",
            details=facts,
        )
    return Result("platform", PASS, summary, details=facts)


def check_python(options: Options) -> Result:
    facts = envinfo.python_summary()
    summary = f"Python {facts['version']} at {facts['executable']}"
    if sys.version_info[:2] < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        return Result(
            "python",
            FAIL,
            summary + f" (the course needs {wanted} or newer)",
            fix="Create the course environment, which brings its own Python: "
            f"{envinfo.setup_command()}",
            details=facts,
        )
    return Result("python", PASS, summary, details=facts)


def check_environment(options: Options) -> Result:
    kind = envinfo.environment_kind(sys.prefix)
    activated = envinfo.activated_environment()
    details = {"kind": kind, "prefix": sys.prefix, "activated": activated}
    # sys.prefix, not sys.executable: a venv's python is a link to the base interpreter
    if activated and not envinfo.is_inside(sys.prefix, activated):
        return Result(
            "environment",
            WARN,
            f"the shell activated {activated}, but this Python lives in {sys.prefix}",
            fix=f"Activate this environment ({envinfo.activation_command()}) or call its "
            f"commands by path ({envinfo.console_command('course')}), so that the packages "
            "you install and the ones the notebook sees are the same.",
            details=details,
        )
    if kind == "system":
        return Result(
            "environment",
            WARN,
            f"not inside a virtual or conda environment ({sys.prefix})",
            fix=f"Use the course environment: {envinfo.setup_command()}",
            details=details,
        )
    if kind == "conda" and (Path(sys.prefix) / "condabin").is_dir():
        return Result(
            "environment",
            WARN,
            f"conda's base environment ({sys.prefix})",
            fix="Keep base clean and use the course environment: conda activate exp-tracking",
            details=details,
        )
    label = "conda environment" if kind == "conda" else "virtual environment"
    return Result("environment", PASS, f"{label} at {sys.prefix}", details=details)


def check_packages(options: Options) -> Result:
    states = versions.check_requirements(versions.course_requirements(options.spec))
    problems = [state for state in states if not state.ok]
    details = {"packages": [asdict(state) for state in states]}
    if not problems:
        return Result(
            "packages", PASS, f"{len(states)} required packages installed", details=details
        )
    described = []
    for state in problems:
        if state.installed is None:
            described.append(f"{state.name} is missing (need {state.requirement})")
        else:
            described.append(f"{state.name} {state.installed} does not satisfy {state.requirement}")
    quoted = " ".join(f'"{state.requirement}"' for state in problems)
    return Result(
        "packages",
        FAIL,
        "; ".join(described),
        fix=f"Update the environment: {envinfo.setup_command()} (or just these: "
        f"{sys.executable} -m pip install {quoted})",
        details=details,
    )


def check_xgboost(options: Options) -> Result:
    """Import the compiled stack for real and train two boosting rounds on tiny data."""
    try:
        import numpy
        import xgboost
    except Exception as error:  # ImportError, or an OSError from a missing libomp
        return Result("xgboost", FAIL, f"cannot import XGBoost: {error}", fix=_xgboost_fix(error))
    try:
        features = numpy.arange(60, dtype="float32").reshape(20, 3)
        target = features[:, 0] * 0.5
        data = xgboost.DMatrix(features, label=target)
        booster = xgboost.train({"nthread": 1, "max_depth": 2}, data, num_boost_round=2)
        predictions = booster.predict(data)
    except Exception as error:
        return Result("xgboost", FAIL, f"XGBoost failed to train: {error}", fix=_xgboost_fix(error))
    return Result(
        "xgboost",
        PASS,
        f"XGBoost {xgboost.__version__} trained 2 rounds ({len(predictions)} predictions)",
        details={"version": xgboost.__version__},
    )


def _xgboost_fix(error: Exception) -> str:
    if "libomp" in str(error) or "OpenMP" in str(error):
        return (
            "XGBoost's pip wheel needs OpenMP (libomp) on macOS: use the conda environment, "
            "whose conda-forge XGBoost ships it (or `brew install libomp`)."
        )
    return f"Reinstall the environment: {envinfo.setup_command()} --force"


def check_kernel(options: Options) -> Result:
    name = options.kernel_name
    register = (
        f'{sys.executable} -m ipykernel install --user --name {name} --display-name "'
        f'{KERNEL_DISPLAY_NAME}"'
    )
    found = envinfo.find_kernel(name, options.kernel_dir)
    if found is None:
        return Result(
            "kernel",
            FAIL,
            f"no Jupyter kernel named {name!r}",
            fix=f"Register this environment's Python as the course kernel: {register}",
        )
    details = {"path": found["path"]}
    if found["spec"] is None:
        return Result(
            "kernel",
            FAIL,
            f"the kernel spec {found['path']} cannot be read: {found['error']}",
            fix=f"Register it again: {register}",
            details=details,
        )
    argv = found["spec"].get("argv") or [""]
    details["argv0"] = argv[0]
    details["display_name"] = found["spec"].get("display_name")
    if not _is_this_python(argv[0]):
        return Result(
            "kernel",
            FAIL,
            f"kernel {name!r} runs {argv[0]}, not this environment's Python ({sys.executable})",
            fix=f"Point the kernel at this environment: {register}",
            details=details,
        )
    return Result("kernel", PASS, f"kernel {name!r} runs this Python ({found['path']})", details)


def _is_this_python(candidate: str) -> bool:
    if not os.path.isabs(candidate) or not os.path.exists(candidate):
        return False
    if envinfo.same_python(candidate, sys.executable):
        return True
    # python, python3 and python3.X in the same bin folder are the same environment
    here = os.path.normcase(os.path.dirname(os.path.abspath(sys.executable)))
    return os.path.normcase(os.path.dirname(os.path.abspath(candidate))) == here


def check_store(options: Options) -> Result:
    """The store's folder takes a new SQLite database (WAL mode) and minitrack can use it."""
    store = Path(options.store).absolute()
    folder = store.parent
    details = {"store": str(store), "sqlite": sqlite3.sqlite_version}
    fix = (
        f"Pick a folder you can write to (for example your home folder) and run from there, "
        f"or pass --store /path/to/mlflow.db; the folder {folder} must exist and be writable."
    )
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        return Result("store", FAIL, f"cannot create {store}: {folder} {reason}", fix, details)
    if store.exists() and not _is_sqlite_file(store):
        return Result(
            "store",
            FAIL,
            f"{store} exists but is not a SQLite database",
            fix=f"Move {store} aside or point --store at another file.",
            details=details,
        )
    try:
        used = _sqlite_round_trip(folder)
    except (OSError, sqlite3.Error) as error:
        return Result(
            "store", FAIL, f"cannot write a SQLite store in {folder}: {error}", fix, details
        )
    details["checked_with"] = used
    return Result(
        "store",
        PASS,
        f"{folder} is writable; SQLite {sqlite3.sqlite_version} works ({used})",
        details=details,
    )


def _is_sqlite_file(path: Path) -> bool:
    if path.is_dir():
        return False
    with open(path, "rb") as handle:
        header = handle.read(16)
    return header in (b"", b"SQLite format 3\x00")


def _sqlite_round_trip(folder: Path) -> str:
    """Create, write, read and delete a scratch database next to the store."""
    handle, scratch = tempfile.mkstemp(prefix=".course-doctor-", suffix=".db", dir=folder)
    os.close(handle)
    try:
        connection = sqlite3.connect(scratch)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE probe (key TEXT PRIMARY KEY, value REAL)")
            connection.execute("INSERT INTO probe VALUES ('rmse', 7.5)")
            connection.commit()
            (value,) = connection.execute("SELECT value FROM probe").fetchone()
        finally:
            connection.close()
        if value != 7.5:
            raise sqlite3.DatabaseError("a value written to SQLite did not read back")
        return _minitrack_round_trip(scratch)
    finally:
        for suffix in ("", "-wal", "-shm"):
            with _quiet():
                os.remove(scratch + suffix)


def _minitrack_round_trip(scratch: str) -> str:
    """Log a metric through minitrack into a fresh database, when minitrack offers a client."""
    try:
        from minitrack import MlflowClient
    except ImportError:
        return "sqlite3"
    os.remove(scratch)  # minitrack creates its own schema in a new file
    client = MlflowClient(tracking_uri="sqlite:///" + Path(scratch).as_posix())
    experiment_id = client.create_experiment("course-doctor")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "rmse", 7.5)
    history = client.get_metric_history(run.info.run_id, "rmse")
    if [metric.value for metric in history] != [7.5]:
        raise sqlite3.DatabaseError("minitrack did not read back the metric it logged")
    closer = getattr(client, "close", None)
    if callable(closer):
        closer()
    return "minitrack"


class _quiet:
    """Ignore a missing file while cleaning up."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        return kind is not None and issubclass(kind, OSError)


def check_port(options: Options) -> Result:
    if not envinfo.port_in_use(options.port):
        return Result("port", PASS, f"port {options.port} is free for the tracking UI")
    minitrack = envinfo.console_command("minitrack")
    fix = f"Start the UI on another port: {minitrack} ui --port {options.port + 1}."
    if sys.platform == "darwin" and options.port == 5000:
        fix += (
            " On macOS, port 5000 is taken by AirPlay Receiver: switch it off in System"
            " Settings > General > AirDrop & Handoff, or use another port."
        )
    return Result("port", WARN, f"port {options.port} is already in use", fix=fix)


def check_runs(options: Options) -> Result:
    """Where are my runs? The lessons' store, the others nearby, and what a running UI shows."""
    from course import where as where_module

    ports = options.ui_ports or (options.port, *where_module.USUAL_PORTS)
    where = where_module.gather(options.cwd, ports=ports)
    status = PASS if where.status == where_module.PASS else WARN
    return Result("runs", status, where.reason, fix=where.fix, details=asdict(where))


def check_disk(options: Options) -> Result:
    folder = envinfo.existing_parent(Path(options.store).absolute())
    free_gb = shutil.disk_usage(folder).free / 1e9
    summary = f"{free_gb:.1f} GB free in {folder}"
    details = {"free_gb": round(free_gb, 2), "folder": str(folder)}
    fix = f"Free some space: the data, runs and models need about {DISK_WARN_GB:.0f} GB."
    if free_gb < DISK_FAIL_GB:
        return Result("disk", FAIL, summary, fix=fix, details=details)
    if free_gb < DISK_WARN_GB:
        return Result("disk", WARN, summary, fix=fix, details=details)
    return Result("disk", PASS, summary, details=details)


def check_data(options: Options) -> Result:
    from course import data

    paths = {month: data.cached_path(month) for month in LESSON_MONTHS}
    missing = [month for month, path in paths.items() if not path.is_file()]
    details = {month: str(path) for month, path in paths.items()}
    if missing:
        return Result(
            "data",
            WARN,
            f"taxi data for {', '.join(missing)} is not in the cache ({data.cache_dir()})",
            fix=f"Download it with `{envinfo.console_command('course')} data fetch`, or let the "
            "lessons use the synthetic sample (they say so when they do).",
            details=details,
        )
    return Result("data", PASS, f"taxi data cached in {data.cache_dir()}", details=details)


CHECKS: list[tuple[str, Callable[[Options], Result]]] = [
    ("platform", check_platform),
    ("python", check_python),
    ("environment", check_environment),
    ("packages", check_packages),
    ("xgboost", check_xgboost),
    ("kernel", check_kernel),
    ("store", check_store),
    ("port", check_port),
    ("runs", check_runs),
    ("disk", check_disk),
    ("data", check_data),
]


# --- output ---------------------------------------------------------------------------------

_LABELS = {PASS: "PASS", WARN: "WARN", FAIL: "FAIL"}


def render_table(results: list[Result]) -> str:
    width = max(len(result.name) for result in results)
    lines = ["Course environment check", ""]
    for result in results:
        lines.append(f"  {_LABELS[result.status]}  {result.name:<{width}}  {result.summary}")
        if result.fix and result.status != PASS:
            lines.append(f"        {'':<{width}}  fix: {result.fix}")
    counts = {status: sum(r.status == status for r in results) for status in _LABELS}
    lines.append("")
    lines.append(f"{counts[PASS]} passed, {counts[WARN]} warnings, {counts[FAIL]} failed.")
    if counts[FAIL]:
        again = f"{envinfo.console_command('course')} doctor"
        lines.append(f"Fix the failures above, then run `{again}` again.")
    else:
        lines.append("Your environment is ready for the course.")
    return "\n".join(lines)


def to_json(results: list[Result]) -> str:
    report = {
        "ok": not has_failures(results),
        "python": sys.executable,
        "checks": [asdict(result) for result in results],
    }
    return json.dumps(report, indent=2)
