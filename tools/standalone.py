"""Run every launch notebook as a student would: alone, in an environment like Colab's.

``make test-launch`` (CI runs it after ``make test``):

1. builds ``dlcourse`` as a wheel;
2. creates a fresh virtual environment with only what Colab provides (:data:`COLAB`, at the
   versions of ``requirements.txt``, any other package at its version in ``.venv``) plus
   the wheel: no jupyter-book, myst-nb, jupytext or Sphinx, and not this checkout;
3. copies each launch notebook (``_build/launch/book/<name>.ipynb``, made by ``make book``)
   alone into an empty folder outside the repository and runs it top to bottom with nbclient
   in that environment's kernel (``tools/run_notebook.py``), with ``DLCOURSE_DATA`` as set;
4. runs a student notebook (solutions replaced by answer cells) up to its closing exercises
   too, when its code there differs from the launch notebook's;
5. runs an MNIST notebook once more with an empty data folder and no network (downloads fail
   fast through a proxy that refuses connections), which must stop at its first data cell
   with ``dlcourse.DataError`` and a short traceback.

Usage: ``python -m tools.standalone [CHAPTER ...] [--keep] [--venv DIR]``. Prints one line per
notebook (wall seconds, and the CPU seconds of its kernel) and exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from tools import book, notebooks

ROOT = book.ROOT

# What Google Colab has installed (and the chapters use), by package name.
COLAB = [
    "torch",
    "torchvision",
    "numpy",
    "matplotlib",
    "ipywidgets",
    "tqdm",
    "statsmodels",
    "pandas",
    "ipykernel",
    "nbclient",
]
# Never in the students' environment: the book's toolchain.
FORBIDDEN = ["jupyter-book", "myst-nb", "myst-parser", "jupytext", "sphinx", "dlcourse-src"]
DRIVER = ROOT / "tools" / "run_notebook.py"
# A refused connection: every download fails at once, as without a network.
NO_NETWORK = "http://127.0.0.1:9"
MAX_FRAMES = 3  # an error a student can act on: the cell, and at most two frames below it


def pins(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    """``name==version`` lines of a requirements file (names normalised)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[_normal(name)] = version.strip()
    return found


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def colab_requirements() -> list[str]:
    """The packages of :data:`COLAB`: ``name==version`` when ``requirements.txt`` pins it,
    else the name alone (:func:`constraints` then holds it at the build's version)."""
    pinned = pins()
    return [f"{name}=={pinned[name]}" if name in pinned else name for name in COLAB]


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    return result


def build_wheel(out: Path) -> Path:
    """The dlcourse wheel, built from a copy of its sources (setuptools would leave a
    ``build/`` folder in the checkout)."""
    source = out / "source"
    shutil.copytree(
        ROOT / "dlcourse", source / "dlcourse", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(out), str(source)], cwd=out)  # fmt: skip
    (wheel,) = out.glob("dlcourse-*.whl")
    return wheel


def constraints(path: Path) -> Path:
    """Every package of ``.venv`` at its version (not dlcourse, which comes from the wheel):
    the fresh environment resolves to what the book was built with."""
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    lines = [line for line in frozen.splitlines() if "==" in line and "dlcourse" not in line]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_environment(work: Path, reuse: Path | None = None) -> Path:
    """A fresh virtual environment with the Colab packages and the dlcourse wheel (or, with
    ``reuse``, that existing one, with the wheel installed again: for working on a notebook).

    pip runs isolated (``-I``) in ``work``: from the checkout, it would take the editable
    ``dlcourse.egg-info`` there for an installed dlcourse and skip the wheel."""
    wheel = build_wheel(work / "wheel")
    venv = reuse or work / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        _run([base, "-m", "venv", str(venv)], cwd=work)
        _run([python, "-I", "-m", "pip", "install", "--quiet", "--no-compile", "-c", str(constraints(work / "c.txt")),
              *colab_requirements()], cwd=work)  # fmt: skip
    _run([python, "-I", "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
          str(wheel)], cwd=work)  # fmt: skip
    _run([python, "-I", "-m", "pip", "check"], cwd=work)  # the wheel's requirements are met
    frozen = _run([python, "-I", "-m", "pip", "freeze"], cwd=work).stdout.splitlines()
    installed = {_normal(re.match(r"[\w.-]+", line)[0]) for line in frozen if line.strip()}
    present = sorted(installed & set(FORBIDDEN))
    if present:
        raise SystemExit(f"the student environment must not have {', '.join(present)}")
    if "dlcourse" not in installed:
        raise SystemExit("the dlcourse wheel did not install into the student environment")
    return python


def student_env(work: Path, data: str | None) -> dict[str, str]:
    """The environment of a student's kernel: ours, less this checkout and its venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "MPLBACKEND", "CONDA"))
        and k not in ("PIP_REQUIRE_VIRTUALENV",)
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env["JUPYTER_DATA_DIR"] = str(work / "jupyter-data")  # no user kernelspecs
    env["JUPYTER_CONFIG_DIR"] = str(work / "jupyter-config")
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["MPLCONFIGDIR"] = str(work / "matplotlib")
    env["OMP_WAIT_POLICY"] = "PASSIVE"  # a busy machine; does not change results
    if data is not None:
        env["DLCOURSE_DATA"] = data
    else:
        env.pop("DLCOURSE_DATA", None)
    return env


def run_alone(
    python: Path, notebook: nbformat.NotebookNode, name: str, folder: Path, env: dict, **args
) -> tuple[dict, float, float]:
    """Write ``notebook`` alone into an empty ``folder`` and run it there. Returns the
    driver's result, wall seconds and CPU seconds (driver and kernel)."""
    folder.mkdir(parents=True)
    path = folder / f"{name}.ipynb"
    path.write_text(notebooks.notebook_text(notebook), encoding="utf-8")
    cmd = [str(python), "-I", str(DRIVER), str(path)]
    if args.get("until") is not None:
        cmd += ["--until", str(args["until"])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"ok": False, "ename": "driver", "evalue": proc.stderr[-2000:]}, wall, cpu
    result = json.loads(lines[-1])
    # The kernel's own CPU time, read before it shut down (else the driver's and its
    # children's, which includes the kernel when jupyter_client reaped it).
    return result, wall, result.get("kernel_cpu") or cpu


def describe_failure(result: dict, notebook: nbformat.NotebookNode) -> str:
    cell = result.get("cell")
    where = f"cell {cell}" if cell is not None else "the notebook"
    code = (result.get("source") or "").strip().splitlines()
    first = f" ({code[0][:70]})" if code else ""
    return f"{where}{first}: {result.get('ename')}: {str(result.get('evalue'))[:300]}"


def _exercises_start(nb: nbformat.NotebookNode) -> int:
    """Index of the first cell of the closing exercises (the first "Exercise" heading after
    the last heading of level 1 or 2), or len(cells)."""
    headings = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and re.search(r"^#{1,2} ", c.source, re.M)
    ]
    last = max(headings, default=0)
    for i in range(last, len(nb.cells)):
        if re.search(r"^#### Exercise", nb.cells[i].source, re.M):
            return i
    return len(nb.cells)


def _code_before_exercises(nb: nbformat.NotebookNode) -> list[str]:
    cells = nb.cells[: _exercises_start(nb)]
    return [c.source for c in cells if c.cell_type == "code" and not notebooks.is_answer_cell(c)]


def _ran(result: dict, nb: nbformat.NotebookNode) -> str | None:
    """Why a notebook did not run to the end (None when it did)."""
    return None if result.get("ok") else "FAILED at " + describe_failure(result, nb)


def first_data_cell(nb: nbformat.NotebookNode) -> int | None:
    return next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "load_mnist" in c.source),
        None,
    )


def check_offline(result: dict, nb: nbformat.NotebookNode) -> str | None:
    """Why an offline run did not stop as it should (None when it did)."""
    expected = first_data_cell(nb)
    if result.get("ok"):
        return "it ran to the end without MNIST: expected a DataError at its first data cell"
    if result.get("cell") != expected:
        return f"it stopped at cell {result.get('cell')}, not at the first data cell {expected}"
    if result.get("ename") != "DataError":
        return f"it stopped with {result.get('ename')}, not dlcourse's DataError"
    text = "\n".join(result.get("traceback", []))
    if "During handling" in text or "direct cause" in text:
        return "the DataError comes with a chained traceback"
    frames = len(re.findall(r"^(Cell In\[|File )", text, re.M))
    if frames > MAX_FRAMES:
        return f"the traceback has {frames} frames (at most {MAX_FRAMES})"
    if "DLCOURSE_DATA" not in str(result.get("evalue")):
        return "the DataError message does not say how to point DLCOURSE_DATA at the data"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--jobs", type=int, default=2, help="notebooks run at the same time (default 2)"
    )
    parser.add_argument(
        "--venv", type=Path, help="reuse (or create and keep) this student environment"
    )
    args = parser.parse_args(argv)

    problem = notebooks.launch_problem()
    if problem:
        print(f"make test-launch: {problem}", file=sys.stderr)
        return 1
    chapters = notebooks.chapter_sources()
    if args.chapters:
        chapters = [book.find_chapter(name) for name in args.chapters]
    data = os.environ.get("DLCOURSE_DATA")
    work = Path(tempfile.mkdtemp(prefix="dlcourse-standalone-"))
    failures: list[str] = []
    runs = 0
    mnist = None
    total = time.perf_counter()
    try:
        start = time.perf_counter()
        python = make_environment(work, args.venv.resolve() if args.venv else None)
        print(f"student environment ({', '.join(COLAB)} and the dlcourse wheel) in "
              f"{time.perf_counter() - start:.0f} s: {python.parent.parent}")  # fmt: skip
        env = student_env(work, data)
        jobs = []  # (label, notebook, folder, environment, cells to run, check of the result)
        for md in chapters:
            launch = nbformat.read(notebooks.launch_path(md), as_version=4)
            jobs.append((md.stem, launch, work / "run" / md.stem, env, None, _ran))
            student = notebooks.student_notebook(launch)
            if _code_before_exercises(student) != _code_before_exercises(launch):
                until = _exercises_start(student)
                folder = work / "student" / md.stem
                jobs.append((f"{md.stem} (student)", student, folder, env, until, _ran))
        mnist = next(
            (md for md in notebooks.chapter_sources()
             if first_data_cell(nbformat.read(notebooks.launch_path(md), as_version=4))
             is not None),
            None,
        )  # fmt: skip
        if mnist is not None:
            launch = nbformat.read(notebooks.launch_path(mnist), as_version=4)
            (work / "empty-data").mkdir()
            offline = student_env(work, str(work / "empty-data"))
            for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
                offline[key] = NO_NETWORK
            for key in ("NO_PROXY", "no_proxy"):
                offline.pop(key, None)
            until = first_data_cell(launch) + 1
            label = f"{mnist.stem} offline"
            jobs.append((label, launch, work / "offline", offline, until, check_offline))

        def run(job):
            label, nb, folder, job_env, until, check = job
            result, wall, cpu = run_alone(
                python, nb, label.split()[0], folder, job_env, until=until
            )
            return label, check(result, nb), wall, cpu

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for label, why, wall, cpu in pool.map(run, jobs):
                runs += 1
                print(f"{label:20s} {wall:5.0f} s wall {cpu:5.0f} s CPU  {why or 'ok'}", flush=True)
                if why:
                    failures.append(f"{label}: {why}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"make test-launch: {time.perf_counter() - total:.0f} s in all")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    print(f"{runs - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
