# %% [markdown]
# # 00 · Check your setup
#
# Before tracking experiments, make sure this notebook runs where you think it runs.
#
# **You will learn**
# - which Python and which environment this notebook's kernel uses, and why that matters;
# - how to read the environment doctor's report;
# - that the tracker can write a run to its store and read it back.
#
# **Time:** about 5 minutes. The code runs in a few seconds (the doctor may take up to 20 s
# the first time it imports XGBoost).

# %% tags=["parameters"]
import os

FAST = os.environ.get("COURSE_FAST") in ("1", "true")  # small settings for CI and nbmake
TRACKER = os.environ.get("COURSE_TRACKER", "minitrack")  # "minitrack" or "mlflow"
TRACKING_URI = os.environ.get("COURSE_TRACKING_URI", "sqlite:///mlflow.db")
RUN_DOCTOR = True  # the doctor's report; set False to skip it

# %% [markdown]
# ## Which kernel am I in?
#
# A notebook does not run "in" a folder or "in" an environment: it runs in the **kernel** you
# picked (top right in JupyterLab). The course registers one called *Python (exp-tracking)*.
# A notebook saved with the generic `python3` kernel runs whatever Python that name points at,
# often one without XGBoost. The two lines below tell the truth: `sys.executable` is the
# Python running this notebook, `sys.prefix` the environment it belongs to.

# %%
import platform
import sys

print(f"Python      {platform.python_version()} ({platform.machine()}, {platform.system()})")
print(f"executable  {sys.executable}")
print(f"environment {sys.prefix}")
print(f"conda env   {os.environ.get('CONDA_DEFAULT_ENV', '(none)')}")

# %% [markdown]
# Jupyter knows its kernels by name. The `exp-tracking` kernel should start the very Python
# printed above:

# %%
import shutil

from jupyter_client.kernelspec import KernelSpecManager

for name, spec in sorted(KernelSpecManager().get_all_specs().items()):
    python = shutil.which(spec["spec"]["argv"][0]) or spec["spec"]["argv"][0]
    same = os.path.exists(python) and os.path.samefile(python, sys.executable)
    print(f"{name:20} {python}{'  <- this notebook runs here' if same else ''}")

# %% [markdown]
# ## The doctor's report
#
# `course doctor` (the cell prints the command to run it in a terminal) checks the platform,
# the packages against the course's requirements, a real XGBoost training, the kernel, that
# the tracking store is writable, the UI port and the data cache. Every failure comes with
# its fix; warnings are fine for now (for example "no data cached" when you are offline:
# the lessons then use a synthetic sample).

# %%
if RUN_DOCTOR:
    from course import commands, doctor

    results = doctor.run_checks(doctor.Options(store="mlflow.db"))
    print(doctor.render_table(results))
    print(f"\nIn a terminal, from any folder: {commands.script('course')} doctor")

# %% [markdown]
# ## Does the tracker work?
#
# The lessons use **minitrack**, a small tracker with MLflow's API; set `TRACKER = "mlflow"` to
# use MLflow itself. Either way the code says `mlflow.…`, so everything you type here works
# unchanged with MLflow. A tracker keeps *runs* in *experiments*; each run holds parameters,
# metrics, tags and files. Let us write one run and read it back.

# %%
if TRACKER == "mlflow":
    import mlflow
else:
    import minitrack as mlflow

mlflow.set_tracking_uri(TRACKING_URI)
mlflow.set_experiment("check-your-setup")

with mlflow.start_run(run_name="hello") as run:
    mlflow.log_param("hello", "world")
    mlflow.log_metric("one", 1.0)

stored = mlflow.get_run(run.info.run_id)
print(f"tracker   {mlflow.__name__} {mlflow.__version__}, store {mlflow.get_tracking_uri()}")
print(f"run       {stored.info.run_id} ({stored.info.status})")
print(f"params    {stored.data.params}")
print(f"metrics   {stored.data.metrics}")

# %% [markdown]
# ## Check your work
#
# This cell inspects your environment and the tracking store and tells you, item by item,
# what is right and what is missing.

# %%
from course import checks

checks.report(checks.lesson_00(mlflow, run.info.run_id), lesson="00-check-your-setup")

# %% [markdown]
# ## Recap
#
# - The kernel decides which Python runs your code: pick *Python (exp-tracking)*.
# - `course doctor` checks everything the course needs and says how to fix what is missing.
# - `import minitrack as mlflow` gives you MLflow's tracking API; runs live in `mlflow.db`
#   next to this notebook, files in `mlruns/`.
# - Pasting code from the course videos? Run `course check-code` on it first: it names the
#   calls today's MLflow, scikit-learn and XGBoost removed or deprecated (for example
#   `client.list_experiments()`, `mean_squared_error(..., squared=False)`) with what to write
#   instead, and `course check-code --fix` rewrites the safe cases.
#
# Next: **01 · A single tracked run**.
