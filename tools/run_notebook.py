"""Run one notebook top to bottom with nbclient, as a student's "Run all" would.

Runs in the student-like virtual environment of ``tools/standalone.py`` (only nbformat and
nbclient are needed, nothing from this repository) and prints one JSON line::

    python -I run_notebook.py NOTEBOOK [--until N] [--timeout S]

``{"ok": true, ...}`` when every cell ran, else ``{"ok": false, "cell": i, "ename": ...,
"evalue": ..., "traceback": [...], "source": ...}`` for the first cell that failed (``cell``:
its index among all cells). The executed notebook is written beside the input with
``.out.ipynb``. ``--until N`` runs only the first N cells.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbclient
import nbformat
from jupyter_client.kernelspec import KernelSpecManager

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def kernel_python() -> str:
    """The interpreter the python3 kernel would start (it must be this environment's)."""
    return KernelSpecManager().get_kernel_spec("python3").argv[0]


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a live process (Linux ``/proc``), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _kernel_pid(client: nbclient.NotebookClient) -> int | None:
    provisioner = getattr(client.km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None) or getattr(provisioner, "pid", None)


def run(path: Path, until: int | None, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    if until is not None:
        nb.cells = nb.cells[:until]
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    result: dict = {"ok": True}
    with client.setup_kernel():
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        except nbclient.exceptions.CellExecutionError as err:
            error = next((o for o in cell.outputs if o.get("output_type") == "error"), {})
            result = {
                "ok": False,
                "cell": index,
                "ename": error.get("ename", getattr(err, "ename", "")),
                "evalue": error.get("evalue", getattr(err, "evalue", str(err))),
                "traceback": [ANSI.sub("", line) for line in error.get("traceback", [])],
                "source": cell.source,
            }
        result["kernel_cpu"] = cpu_seconds(_kernel_pid(client))
    result["seconds"] = round(time.perf_counter() - start, 1)
    nbformat.write(nb, path.with_suffix(".out.ipynb"))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--until", type=int, default=None)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    python = kernel_python()
    # jupyter_client starts a bare "python" (or python3, python3.X) as sys.executable.
    bare = "/" not in python and re.fullmatch(r"python[0-9.]*", python)
    if not bare and Path(sys.prefix).resolve() not in Path(python).resolve().parents:
        message = f"the python3 kernel runs {python}, not this environment's ({sys.prefix})"
        print(json.dumps({"ok": False, "ename": "setup", "evalue": message}))
        return 1
    print(json.dumps(run(args.notebook.resolve(), args.until, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
