"""Do the benchmark scripts still run and print their figures?

The benchmarks are scripts that print figures, not timed tests: nothing here judges a speed.
These smoke runs (tiny sizes, one or two timed calls) only keep the scripts from rotting:
each must finish, check its own numerics, and print every row and verdict line it promises.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_script(name: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_bench_lstm_prints_a_ratio_for_every_dtype_size_and_pass():
    out = run_script("bench_lstm.py", "--repeats", "2", "--rounds", "2", "--size", "4", "3", "5", "6",
                     "--size", "2", "2", "3", "4")
    rows = re.findall(r"^(float32|float64)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(fwd\+bwd|fwd)\s+"
                      r"([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, flags=re.M)
    seen = {(r[0], tuple(map(int, r[1:5])), r[5]) for r in rows}
    expected = {(d, s, p) for d in ("float32", "float64") for s in ((4, 3, 5, 6), (2, 2, 3, 4)) for p in ("fwd", "fwd+bwd")}
    assert seen == expected, out
    # Figures say which CPU and kernels they come from (never compared blindly across machines).
    for head in ("CPU: ", "NumPy ", "BLAS: ", "torch ", "kernels held by: "):
        assert re.search(rf"^{head}", out, flags=re.M), (head, out)
    for *_, t_np, t_torch, ratio, spread in rows:
        assert float(t_np) > 0 and float(t_torch) > 0 and float(spread) >= 1.0
        # The printed ratio is the ratio of the printed times, up to their rounding to 0.01.
        a, b, r = float(t_np), float(t_torch), float(ratio)
        assert (a - 0.005) / (b + 0.005) - 0.005 <= r <= (a + 0.005) / (b - 0.005) + 0.005, (a, b, r)
    # Sizes other than the two get no verdict, only their ratio.
    assert len(re.findall(r"ratio [\d.]+ \(no target at this size\)$", out, flags=re.M)) == 4, out
    assert not re.search(r"^target ", out, flags=re.M), out


def test_bench_lstm_rejects_a_zero_repeat_count():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_lstm.py"), "--rounds", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--repeats and --rounds must be at least 1" in proc.stderr


def test_bench_grader_grades_a_small_class_and_reports_throughput():
    out = run_script("bench_grader.py", "--n", "3")
    assert re.search(r"^submissions: 3 \(", out, flags=re.M), out
    assert re.search(r"^CPU: .+\n.*SIMD: baseline", out, flags=re.M), out
    rate = re.search(r"->\s+([\d.]+) submissions/s", out)
    assert rate and float(rate.group(1)) > 0, out
    assert re.search(r"^scores: min [\d.]+, median [\d.]+, max [\d.]+$", out, flags=re.M), out
