"""Time lstm_course's fast path against torch.nn.LSTM on this CPU, in one process.

Same sizes, dtype and thread count for both; medians of repeated runs; prints the ratio
numpy/torch (below 1 means the NumPy path is faster). Run:

    .venv/bin/python benchmarks/bench_lstm.py [--repeats 20] [--threads N]

Targets (issue 2): float32 forward+backward ratio <= 1.0, float64 forward+backward <= 0.75.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time


def median_time(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    # BLAS reads its thread count at import: set it before numpy is imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch

    import lstm_course as L
    from lstm_course.torch_bridge import to_torch

    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads} (numpy BLAS and torch), numpy {np.__version__}, torch {torch.__version__}")
    print(f"{'dtype':8} {'T':>4} {'N':>4} {'D':>4} {'H':>4} {'pass':>9} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    for T, N, D, H in ((100, 32, 64, 128), (50, 64, 128, 256)):
        for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
            rng = np.random.default_rng(0)
            params = L.init_lstm_params(D, H, seed=0, dtype=dtype)
            x = rng.standard_normal((T, N, D)).astype(dtype)
            dh = rng.standard_normal((T, N, H)).astype(dtype)
            module = to_torch([params], dtype=tdtype)
            xt = torch.from_numpy(x).requires_grad_(True)
            dht = torch.from_numpy(dh)

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

            for name, fn_np, fn_t in (("fwd", np_fwd, torch_fwd), ("fwd+bwd", np_fwd_bwd, torch_fwd_bwd)):
                t_np = median_time(fn_np, args.repeats)
                t_t = median_time(fn_t, args.repeats)
                print(f"{np.dtype(dtype).name:8} {T:>4} {N:>4} {D:>4} {H:>4} {name:>9} "
                      f"{t_np * 1e3:>9.2f} {t_t * 1e3:>9.2f} {t_np / t_t:>6.2f}")


if __name__ == "__main__":
    main()
