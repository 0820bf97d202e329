"""Which CPU and which numeric kernels this process runs on, in a few printable lines.

Floating-point results differ in the last bits between CPUs, and between kernels on one CPU
(NumPy's SIMD loops, OpenBLAS's per-core GEMMs, torch's ATen and oneDNN), so a figure is only
comparable with a figure measured on the same line below. The test header and the benchmarks
print :func:`describe`. The environment variables that hold each library to older kernels
(what ``python3 dev.py test`` uses for its second-CPU pass) are listed in :data:`KERNEL_VARIABLES`.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

#: Variables that select kernels, by library. Set before the library is imported.
KERNEL_VARIABLES = (
    "NPY_DISABLE_CPU_FEATURES",  # NumPy: switch off dispatched SIMD targets (X86_V3 = AVX2, X86_V4 = AVX-512, ...)
    "OPENBLAS_CORETYPE",         # OpenBLAS: the core whose GEMM kernels to use (Nehalem, Haswell, SkylakeX, ...)
    "ATEN_CPU_CAPABILITY",       # torch ATen: default | avx2 | avx512
    "ONEDNN_MAX_CPU_ISA",        # torch oneDNN: the newest instruction set it may use
    "MKL_ENABLE_INSTRUCTIONS",   # torch's MKL: the newest instruction set it may use
    "LSTM_COURSE_CPU_PROFILE",   # the name dev.py gives the simulated CPU (informational)
)


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), or what ``platform`` knows."""
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def numpy_simd() -> str:
    """NumPy's SIMD targets: the compiled baseline, and which dispatched targets are in use."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    used = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    off = [f for f in __cpu_dispatch__ if not __cpu_features__.get(f)]
    return f"baseline {' '.join(__cpu_baseline__) or '-'}; dispatched {' '.join(used) or 'none'}" + (
        f"; not used {' '.join(off)}" if off else "")


def blas_kernels() -> str:
    """The BLAS libraries loaded in this process and the core type each dispatches to (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (install threadpoolctl to see the BLAS kernels)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libs:
        return "no BLAS loaded yet"
    return "; ".join(f"{i['internal_api']} {i.get('version') or ''} ({i.get('architecture') or 'n/a'}, "
                     f"{i['num_threads']} threads)" for i in libs)


def torch_kernels() -> str | None:
    """torch's ATen CPU capability (DEFAULT, AVX2, AVX512), or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return f"torch {torch.__version__}: ATen {torch.backends.cpu.get_cpu_capability()}"


def describe(with_torch: bool = True) -> list[str]:
    """A few lines that say which CPU and kernels the numbers of this process come from."""
    import numpy as np

    lines = [f"CPU: {cpu_model()} ({platform.machine()}, {os.cpu_count()} logical cores)",
             f"NumPy {np.__version__} SIMD: {numpy_simd()}",
             f"BLAS: {blas_kernels()}"]
    if with_torch and (t := torch_kernels()) is not None:
        lines.append(t)
    held = [f"{k}={os.environ[k]}" for k in KERNEL_VARIABLES if os.environ.get(k)]
    lines.append("kernels held by: " + (" ".join(held) if held else "nothing (native kernels)"))
    return lines
