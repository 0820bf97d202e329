#!/usr/bin/env python3
"""Set up and run the course on a fresh machine. Standard library only.

    python3 dev.py book    build the book into _build/html (from a clean _build, warnings are errors)
    python3 dev.py book --cached   rebuild, keeping _build (only changed pages and notebooks run again)
    python3 dev.py test    run the whole test suite (builds the book first if it is not built), then
                           the book's notebooks, the claims and the student round trip again on a
                           second, simulated CPU (see SECOND_CPU)
    python3 dev.py test ARGS...   only pytest ARGS, on this CPU's native kernels

Both create or reuse the project-local virtual environment ``.venv`` and install the package
with the pinned versions of ``constraints.txt`` (only when those files changed). ``test`` also
installs the system packages the browser and grader tests need (Debian's chromium,
chromium-driver and bubblewrap) when it runs as root and they are missing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".lstm-course-installed"
# The second CPU. Floating point rounds differently on every CPU (SIMD exp/tanh, BLAS kernels,
# oneDNN), and training turns a last-bit difference into a different model; a claim that holds
# on one machine only would fail on the next. So `test` runs what depends on it a second time with
# NumPy, OpenBLAS and torch held to x86-64-v2 kernels (SSE4.2, no AVX): every x86-64 machine that
# runs NumPy 2 can run them, and they differ from the native kernels of AVX2 and AVX-512 machines
# alike. (Not available on other architectures: the variables name x86 kernels.)
SECOND_CPU_NAME = "x86-64-v2"
SECOND_CPU = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",  # NumPy: baseline SSE4.2 loops only
    "OPENBLAS_CORETYPE": "Nehalem",        # OpenBLAS: SSE4.2 GEMM kernels
    "ATEN_CPU_CAPABILITY": "default",      # torch ATen: no AVX2/AVX-512 kernels
    "ONEDNN_MAX_CPU_ISA": "SSE41",         # torch oneDNN (the fused float32 LSTM)
    "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",   # torch's MKL BLAS
    "LSTM_COURSE_CPU_PROFILE": SECOND_CPU_NAME,
}
# What the second pass runs: the book's and the exercises' notebooks (nbval), the book's claims, the
# student round trip, the reference against every public and hidden check, and the profile's own
# check (that the kernels really are held). Tests whose outcome no CPU can change (the site's
# download and leak tests, the browser) run once, in the native pass.
CLAIMS_TESTS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "book").glob("test_claims_*.py"))
SECOND_CPU_TESTS = ["book", "exercises", *CLAIMS_TESTS, "tests/exercises/test_release.py", "tests/grader/test_wire_and_checks.py",
                    "tests/package/test_machine.py"]
SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver", "bubblewrap": "/usr/bin/bwrap"}


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def ensure_venv() -> None:
    if not PY.exists():
        run([sys.executable, "-m", "venv", VENV])
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    if STAMP.exists() and STAMP.read_text() == digest.hexdigest():
        return
    run([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([PY, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", ".[test]"])
    # A kernel spec inside the venv, so notebooks execute with this environment's packages.
    run([PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3", "--display-name", "Python 3 (lstm-course)"])
    STAMP.write_text(digest.hexdigest())


def ensure_system_packages() -> None:
    missing = [pkg for pkg, path in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: {', '.join(missing)} not installed and cannot be installed here (needs root and apt-get); "
              "the tests that need them will be skipped, saying why.", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


# Run by the venv's Python: execute every notebook page of the book into the jupyter-cache that
# `jupyter-book build` reads (execute_notebooks: cache), on all cores at once. Sphinx would run
# them one after another; with the cache filled it only reads the stored outputs back.
PREEXECUTE = r"""
import logging, sys
from pathlib import Path
import yaml
from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

root, cache_dir = Path(sys.argv[1]), sys.argv[2]
toc = yaml.safe_load((root / "_toc.yml").read_text())
timeout = int(yaml.safe_load((root / "_config.yml").read_text())["execute"]["timeout"])
files = [toc["root"]]
def walk(entries):
    for e in entries or []:
        files.append(e.get("file"))
        walk(e.get("sections")); walk(e.get("chapters"))
for part in toc.get("parts", []):
    walk(part.get("chapters"))
pages = [root / f"{f}.ipynb" for f in files if f and (root / f"{f}.ipynb").exists()]
cache = get_cache(cache_dir)
for p in pages:
    cache.add_nb_to_project(str(p))
logging.basicConfig(level=logging.WARNING)
executor = load_executor("local-parallel", cache, logger=logging.getLogger("pre-execute"))
# jupyter-cache's pool.map hands out notebooks two at a time in table-of-contents order, so the
# heaviest pages (the applications and the variants, at the end) would run last, alone. One at a
# time, last chapters first, keeps both cores busy until the end (about 10 s less on 2 cores).
import multiprocessing as mp
from jupyter_cache.executors.base import ExecutorRunResult
from jupyter_cache.executors.basic import ProcessData
records = executor.get_records(None, None, clear_tracebacks=True)[::-1]
with mp.Pool() as pool:
    results = list(pool.imap_unordered(executor._EXECUTION_WORKER(),
                                       [ProcessData(r.pk, r.uri, cache, timeout, False) for r in records], chunksize=1))
result = ExecutorRunResult(succeeded=[p for i, p in results if i == 0], excepted=[p for i, p in results if i == 1],
                           errored=[p for i, p in results if i == 2])
print(f"pre-executed {len(result.succeeded)} notebook(s)", flush=True)
for uri in result.excepted + result.errored:
    # Not fatal here: jupyter-book executes it again and reports the error with its traceback.
    print(f"pre-execution failed: {uri}", flush=True)
"""


def build_book(clean: bool = True) -> None:
    """Build the book into _build/html with warnings as errors.

    clean=True (``dev.py book``) deletes _build first, so every notebook executes again (in
    parallel, see PREEXECUTE). clean=False (``dev.py book --cached``) keeps _build: Sphinx
    rebuilds only changed pages and the jupyter-cache re-executes only notebooks whose code changed.
    """
    if clean:
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    t0 = time.perf_counter()
    cache = ROOT / "_build" / ".jupyter_cache"
    print(f"+ pre-execute the book's notebooks into {cache.relative_to(ROOT)} (dev.py PREEXECUTE)", flush=True)
    subprocess.run([str(PY), "-c", PREEXECUTE, str(ROOT), str(cache)], check=True, cwd=ROOT, env=env)
    t1 = time.perf_counter()
    run([VENV / "bin" / "jupyter-book", "build", ".", "-W", "-n", "--keep-going"], env=env)
    t2 = time.perf_counter()
    print(f"book built in {t2 - t0:.0f}s ({'clean' if clean else 'cached'}: notebooks {t1 - t0:.0f}s, "
          f"sphinx {t2 - t1:.0f}s): open _build/html/index.html", flush=True)
    # Written by book/_ext/student_edition.py during the build; the pages link it, never exercises/.
    print("student edition (the learners' one download): _build/student/lstm-course-exercises.zip", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in ("book", "test"):
        print(__doc__)
        return 2
    ensure_venv()
    if argv[0] == "book":
        build_book(clean="--cached" not in argv[1:])
        return 0
    ensure_system_packages()
    if not (ROOT / "_build" / "html" / "index.html").exists():
        build_book()
    if argv[1:]:
        return pytest(argv[1:], "native kernels of this CPU")
    t0 = time.perf_counter()
    native = pytest([], "pass 1 of 2: the whole suite on this CPU's native kernels")
    t1 = time.perf_counter()
    second = second_cpu_pass()
    t2 = time.perf_counter()
    verdict = {0: "passed", None: "skipped"}
    print(f"tests: native pass {verdict.get(native, 'FAILED')} in {t1 - t0:.0f}s; second-CPU pass "
          f"({SECOND_CPU_NAME}) {verdict.get(second, 'FAILED')} in {t2 - t1:.0f}s", flush=True)
    return native or (second or 0)


def pytest(args: list[str], what: str, env: dict[str, str] | None = None) -> int:
    print(f"+ pytest {' '.join(args)}  [{what}]", flush=True)
    return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def second_cpu_pass() -> int | None:
    """Run SECOND_CPU_TESTS with the kernels held to SECOND_CPU; None (and why) where it cannot run."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        print(f"second-CPU pass skipped: this machine is {platform.machine()}, and the {SECOND_CPU_NAME} profile "
              "holds x86 kernels only (NumPy, OpenBLAS and torch have no such switch for other CPUs).", flush=True)
        return None
    held = " ".join(f"{k}={v!r}" for k, v in SECOND_CPU.items())
    return pytest(SECOND_CPU_TESTS, f"pass 2 of 2: simulated CPU {SECOND_CPU_NAME}: {held}",
                  env=dict(os.environ, **SECOND_CPU))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
