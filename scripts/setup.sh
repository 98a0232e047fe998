#!/bin/sh
# Find a Python 3.9+ and run scripts/setup_env.py with it (all arguments are passed on).
#
#   sh scripts/setup.sh            (macOS, Linux, Git Bash on Windows)
#
# Order: conda's base Python (when conda is installed), then python3, then python.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"

good_python() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1
}

for candidate in \
    "${CONDA_EXE:+$(dirname "${CONDA_EXE}")/python}" \
    "${CONDA_PYTHON_EXE:-}" \
    python3 \
    python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && good_python "$candidate"; then
        exec "$candidate" "$here/setup_env.py" "$@"
    fi
done

echo "setup.sh: no Python 3.9 or newer found." >&2
echo "  Install Miniforge (https://github.com/conda-forge/miniforge#install), open a new" >&2
echo "  terminal, and run this again." >&2
exit 1
