"""Time lstm_course's fast path against torch.nn.LSTM on this CPU, in one process.

Run (from the repository root; takes about two minutes on an idle 2-core machine):

    .venv/bin/python benchmarks/bench_lstm.py [--repeats 10] [--rounds 3] [--threads N] [--dtypes float32 float64]

What is compared, and why it is fair:

* the same sizes (T, N, D, H), dtype, weights and inputs for both; x is time-major (T, N, D);
* the same thread count: OPENBLAS/OMP/MKL_NUM_THREADS are set before NumPy is imported, and
  ``torch.set_num_threads`` to the same N (default: every core);
* "fwd" is ``lstm_forward_fast`` vs ``module(x)`` under ``torch.no_grad()``; "fwd+bwd" is
  forward then ``lstm_backward_fast(dh, cache)`` vs forward then ``out.backward(dh)`` with
  ``x.requires_grad``, so both produce dx and every weight and bias gradient;
* torch runs its normal CPU kernels (oneDNN's fused LSTM in float32, ATen's in float64);
* each side runs in blocks: 3 warm-up calls, then its timed calls, and the block's figure is
  their median. Calls are not interleaved one by one: after a call, OpenBLAS's and torch's
  worker threads keep spinning for a while, and alternating single calls made each side's
  spinning threads steal the cores from the other (torch lost up to 2x).
* ``--rounds`` blocks per side, alternating which side goes first (numpy, torch, torch,
  numpy, ...), so neither side always runs right after the other. Each side's figure is its
  best block median: on a shared virtual machine other tenants slow down whole stretches of
  time, and the best block is the figure least touched by them. The "spread" column is the
  slowest block median over the fastest, for both sides: above ~1.2 the machine was noisy
  and the ratio deserves a second run.

Each row prints both figures in ms and the ratio numpy/torch (below 1: NumPy is faster). How
many cores other processes kept busy just before the start is printed, with a warning above a
quarter of a core. ``--size T N D H`` (repeatable) replaces the issue's two sizes, e.g. for a
quick smoke run.

Targets (issue 2): float32 forward+backward ratio <= 1.0 and float64 forward+backward
ratio <= 0.75, at both sizes; the last lines say which are met.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

SIZES = ((100, 32, 64, 128), (50, 64, 128, 256))  # (T, N, D, H)
TARGETS = {"float32": 1.0, "float64": 0.75}  # fwd+bwd ratio numpy/torch must not exceed these


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores other processes kept busy over the next `seconds` (from /proc/stat; None elsewhere).

    The 1-minute load average lags: right after another benchmark it still says "busy" for a
    minute. Two readings of the kernel's CPU counters say what is running now.
    """
    def read() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle
    try:
        total0, idle0 = read()
        time.sleep(seconds)
        total1, idle1 = read()
    except (OSError, ValueError, IndexError):
        return None
    if total1 == total0:
        return None
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / (total1 - total0))


def wall_times(fn, repeats: int, warmup: int = 3) -> list[float]:
    """Wall times of `repeats` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10, help="timed calls per block")
    ap.add_argument("--rounds", type=int, default=3, help="blocks per side, alternating which side goes first")
    ap.add_argument("--size", type=int, nargs=4, action="append", metavar=("T", "N", "D", "H"),
                    help="time this size instead of the issue's two (repeatable)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dtypes", nargs="+", choices=sorted(TARGETS), default=sorted(TARGETS))
    args = ap.parse_args()
    sizes = [tuple(size) for size in args.size] if args.size else list(SIZES)
    if args.repeats < 1 or args.rounds < 1:
        ap.error("--repeats and --rounds must be at least 1")
    # BLAS reads its thread count at import: set it before numpy is imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    import lstm_course as L
    from lstm_course.torch_bridge import to_torch

    from lstm_course.machine import describe

    torch.set_num_threads(args.threads)
    np.ones((2, 2)) @ np.ones((2, 2))  # load BLAS, so its kernels can be named
    # Figures from two machines (or two kernel sets on one) are only comparable with these lines.
    for line in describe():
        print(line)
    print(f"threads: {args.threads} (numpy BLAS and torch), numpy {np.__version__}, torch {torch.__version__}")
    busy = busy_cores()
    busy_text = "unknown" if busy is None else f"{busy:.2f}"
    print(f"cores busy with other work at start (1 s sample): {busy_text} of {os.cpu_count()};"
          f" load average (1 min): {os.getloadavg()[0]:.2f}")
    print(f"{'dtype':8} {'T':>4} {'N':>4} {'D':>4} {'H':>4} {'pass':>9} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}"
          f" {'spread':>6}")
    ratios = {}
    for T, N, D, H in sizes:
        for name in args.dtypes:
            dtype, tdtype = getattr(np, name), getattr(torch, name)
            rng = np.random.default_rng(0)
            params = L.init_lstm_params(D, H, seed=0, dtype=dtype)
            x = rng.standard_normal((T, N, D)).astype(dtype)
            dh = rng.standard_normal((T, N, H)).astype(dtype)
            module = to_torch([params], dtype=tdtype)
            xt = torch.from_numpy(x).requires_grad_(True)
            dht = torch.from_numpy(dh)

            # Both sides must compute the same thing, or the timing means nothing.
            with torch.no_grad():
                ref = module(xt)[0].numpy()
            err = float(np.max(np.abs(L.lstm_forward_fast(x, params)[0] - ref)))
            assert err < (1e-4 if name == "float32" else 1e-10), f"{name}: numpy and torch outputs differ by {err:.2e}"

            def np_fwd():
                L.lstm_forward_fast(x, params)

            def np_fwd_bwd():
                _, _, cache = L.lstm_forward_fast(x, params)
                L.lstm_backward_fast(dh, cache)

            def torch_fwd():
                with torch.no_grad():
                    module(xt)

            def torch_fwd_bwd():
                module.zero_grad(set_to_none=True)
                xt.grad = None
                out, _ = module(xt)
                out.backward(dht)

            for pass_, fn_np, fn_t in (("fwd", np_fwd, torch_fwd), ("fwd+bwd", np_fwd_bwd, torch_fwd_bwd)):
                blocks = {"numpy": [], "torch": []}
                for r in range(args.rounds):
                    order = (("numpy", fn_np), ("torch", fn_t))
                    for side, fn in (order if r % 2 == 0 else order[::-1]):
                        blocks[side].append(statistics.median(wall_times(fn, args.repeats)))
                t_np, t_t = min(blocks["numpy"]), min(blocks["torch"])
                spread = max(max(b) / min(b) for b in blocks.values())
                ratios[name, (T, N, D, H), pass_] = t_np / t_t
                print(f"{name:8} {T:>4} {N:>4} {D:>4} {H:>4} {pass_:>9} "
                      f"{t_np * 1e3:>9.2f} {t_t * 1e3:>9.2f} {t_np / t_t:>6.2f} {spread:>6.2f}", flush=True)
    # The end figure includes this benchmark's own threads; only the start says whether others ran.
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    if busy is not None and busy > 0.25:
        print(f"note: other work kept {busy:.2f} cores busy at the start; the figures (and so the verdicts)"
              " are unreliable, re-run when idle")
    for name in args.dtypes:
        for size in sizes:
            r, target = ratios[name, size, "fwd+bwd"], TARGETS[name]
            if size not in SIZES:
                print(f"{name} fwd+bwd (T,N,D,H)={size}: ratio {r:.2f} (no target at this size)")
                continue
            verdict = "met" if r <= target else "NOT met"
            print(f"target {name} fwd+bwd (T,N,D,H)={size}: ratio {r:.2f} <= {target:.2f}: {verdict}")


if __name__ == "__main__":
    main()
