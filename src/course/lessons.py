"""The lesson manifest: the one list of the course's lessons.

The runner (``course lessons``), the check-your-work functions, the tests and the table in
``lessons/README.md`` all read :data:`LESSONS`. Adding a lesson is one :class:`Lesson` entry
here plus its source file ``lessons/source/NN-name.py`` (then ``python -m course.notebooks``
writes the notebook and the README table).

The expected times were measured with ``course lessons`` and ``course lessons --fast`` on a
busy 2-core machine (the kind this kit is built and tested on, shared with other jobs), on
the synthetic sample: that machine has no internet, so the real TLC months were not measured.
A pair is the fastest and the slowest seen; lesson 02's 405 s is the run reported in issue 12.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from course import checks

# What every lesson with data switches to under --fast: a few thousand synthetic trips.
_FAST_DATA = {"FAST": True, "DATA_SOURCE": "synthetic", "DATA_SIZE": 3_000}
# ... and every lesson that trains XGBoost: 20 rounds, one thread (see course-facts: the
# default threading on a busy 2-core machine once turned 0.6 s into 36 s).
_FAST_XGBOOST = {"NUM_BOOST_ROUND": 20, "EARLY_STOPPING_ROUNDS": 5, "NTHREAD": 1}


@dataclass(frozen=True)
class Lesson:
    number: str  # "02": what --only takes
    slug: str  # "hyperopt-sweep": the rest of the file name
    title: str  # as the notebook's first heading says it
    teaches: str  # one line for the lessons/README.md table
    check: Callable | None  # the check-your-work function its last cells call
    runs: int  # runs its default (full) settings log
    fast_runs: int  # runs it logs with ``fast``
    fast: dict = field(default_factory=dict)  # the parameters --fast passes
    # measured times, in seconds, with the full settings and with ``fast``: one measurement,
    # or the (fastest, slowest) seen on this kind of machine
    seconds: float | tuple[float, float] | None = None
    fast_seconds: float | tuple[float, float] | None = None
    needs: tuple[str, ...] = ()  # numbers of the lessons whose runs it reads
    runs_from: str | None = None  # the parameter that sets how many runs it logs, if any

    @property
    def name(self) -> str:
        return f"{self.number}-{self.slug}"

    def expected_runs(self, parameters: dict, fast: bool) -> int:
        """How many runs it should log when run with ``parameters`` (what the runner passes)."""
        if self.runs_from and self.runs_from in parameters:
            return int(parameters[self.runs_from])
        return self.fast_runs if fast else self.runs

    def expected(self, fast: bool) -> str:
        """Its measured time, for a person: "about 7 min", "about 20 s", "" when unmeasured."""
        seconds = self.fast_seconds if fast else self.seconds
        if seconds is None:
            return ""
        low, high = seconds if isinstance(seconds, tuple) else (seconds, seconds)
        low_text, high_text = describe_seconds(low), describe_seconds(high)
        if low_text == high_text:
            return f"about {low_text}"
        if low_text.split()[1] == high_text.split()[1]:  # same unit: "5-7 min"
            return f"{low_text.split()[0]}-{high_text}"
        return f"{low_text} to {high_text}"


def describe_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{max(5, round(seconds / 5) * 5):.0f} s"
    return f"{round(seconds / 60):.0f} min"


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "00",
        "check-your-setup",
        "Check your setup",
        "which kernel and environment you are in, the doctor's report, a first tracked run",
        checks.lesson_00,
        runs=1,
        fast_runs=1,
        fast={"FAST": True},
        seconds=15,
        fast_seconds=(17, 28),
    ),
    Lesson(
        "01",
        "single-run",
        "A single tracked run",
        "experiments, runs, params, metrics, tags, artifacts; a tracked Lasso; reading runs back",
        checks.lesson_01,
        runs=1,
        fast_runs=1,
        fast=_FAST_DATA,
        seconds=13,
        fast_seconds=24,
    ),
    Lesson(
        "02",
        "hyperopt-sweep",
        "A hyperparameter sweep",
        "hyperopt TPE over XGBoost, one run per trial, filters, "
        "parallel-coordinates/scatter/contour plots",
        checks.lesson_02,
        runs=15,
        fast_runs=4,
        fast=_FAST_DATA | _FAST_XGBOOST | {"NUM_TRIALS": 4},
        seconds=(290, 405),
        fast_seconds=40,
        runs_from="NUM_TRIALS",
    ),
    Lesson(
        "03",
        "model-selection",
        "Choosing a model",
        "searching and ordering runs, RMSE against training time and model size, "
        "re-training the pick",
        checks.lesson_03,
        runs=1,
        fast_runs=1,
        fast=_FAST_DATA | _FAST_XGBOOST,
        seconds=20,
        fast_seconds=28,
        needs=("02",),
    ),
    Lesson(
        "04",
        "autologging",
        "Autologging",
        "`autolog()`, the model folder (`MLmodel`, `conda.yaml`, `requirements.txt`), "
        "loading by `runs:/` URI",
        checks.lesson_04,
        runs=2,
        fast_runs=2,
        fast=_FAST_DATA | _FAST_XGBOOST,
        seconds=28,
        fast_seconds=26,
    ),
    Lesson(
        "05",
        "model-registry",
        "The model registry",
        "`search_runs` for the candidates, `register_model`, aliases `champion`/`challenger` "
        "(and why stages went in MLflow 2.9), tags and descriptions, loading "
        "`models:/nyc-taxi-regressor@champion` on a third month (2021-03), promoting by "
        "moving the alias",
        checks.lesson_05,
        runs=0,
        fast_runs=0,
        fast=_FAST_DATA,
        seconds=(20, 45),
        fast_seconds=(20, 40),
        needs=("02", "03", "04"),
    ),
    Lesson(
        "06",
        "tracking-in-practice",
        "Tracking in practice",
        "the three scenarios: a local file, a local server (minitrack's or MLflow's) started from "
        "the notebook (a sweep and a registration through it), a team's shared server; "
        "one server for a class",
        checks.lesson_06,
        runs=1,  # scenario 1's run in the local file; the sweep goes to the server's store
        fast_runs=1,
        fast=_FAST_DATA | {"ALPHAS": [0.1, 10.0]},
        # minitrack, then mlflow (whose server takes 15-40 s to start)
        seconds=(10, 123),
        fast_seconds=(10, 110),
    ),
)


def by_number(number: str, manifest: tuple[Lesson, ...] = LESSONS) -> Lesson:
    for lesson in manifest:
        if lesson.number == number:
            return lesson
    raise KeyError(number)


def by_name(name: str, manifest: tuple[Lesson, ...] = LESSONS) -> Lesson | None:
    return next((lesson for lesson in manifest if lesson.name == name), None)


def unlisted(name: str) -> Lesson:
    """A notebook that is not in the manifest (an instructor's own ``--lessons-dir``): run it
    with no fast settings, no run count to expect and no time to announce."""
    number, _, slug = name.partition("-")
    return Lesson(number, slug, name, "", None, runs=-1, fast_runs=-1)


def with_prerequisites(chosen: list[Lesson], manifest: tuple[Lesson, ...] = LESSONS):
    """``chosen`` with the lessons they need (transitively) in front, in course order, and
    the prerequisites that were added."""
    wanted = {lesson.name for lesson in chosen}
    added: list[Lesson] = []
    stack = list(chosen)
    while stack:
        for number in stack.pop().needs:
            needed = by_number(number, manifest)
            if needed.name not in wanted:
                wanted.add(needed.name)
                added.append(needed)
                stack.append(needed)
    order = [lesson.name for lesson in manifest]
    everything = sorted(
        chosen + added,
        key=lambda lesson: order.index(lesson.name) if lesson.name in order else len(order),
    )
    return everything, sorted(added, key=lambda lesson: order.index(lesson.name))
