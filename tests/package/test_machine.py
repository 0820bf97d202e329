"""The machine description printed by the test header and the benchmarks, and the second CPU it reports."""
from __future__ import annotations

import os
import platform

import numpy as np
import pytest

from lstm_course import machine

PROFILE = os.environ.get("LSTM_COURSE_CPU_PROFILE")


def test_does_the_description_name_the_cpu_and_every_librarys_kernels():
    np.ones((4, 4)) @ np.ones((4, 4))  # load BLAS
    lines = machine.describe()
    text = "\n".join(lines)
    assert lines[0].startswith("CPU: ") and platform.machine() in lines[0]
    assert "NumPy" in text and "SIMD: baseline" in text
    assert "BLAS: " in text and "openblas" in text.lower()
    assert "ATen" in text  # torch is in the test environment
    assert lines[-1].startswith("kernels held by: ")


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the x86-64-v2 profile names x86 kernels")
def test_are_the_kernels_those_of_the_cpu_the_run_says_it_simulates():
    """Under dev.py's second pass, is every library really held to x86-64-v2? Natively, is nothing held?"""
    import torch

    np.ones((4, 4)) @ np.ones((4, 4))
    simd, blas, aten = machine.numpy_simd(), machine.blas_kernels(), torch.backends.cpu.get_cpu_capability()
    if PROFILE == "x86-64-v2":
        assert "dispatched none" in simd, simd
        assert "(Nehalem," in blas, blas
        assert aten == "DEFAULT", aten
    else:
        # Natively, or with kernel variables a user exported: the description reports exactly those.
        assert PROFILE is None, f"unknown LSTM_COURSE_CPU_PROFILE={PROFILE!r}"
        held = [k for k in machine.KERNEL_VARIABLES if os.environ.get(k)]
        last = machine.describe()[-1]
        assert all(f"{k}=" in last for k in held) and (held or "nothing" in last), last
        if os.environ.get("OPENBLAS_CORETYPE"):
            assert f"({os.environ['OPENBLAS_CORETYPE']}," in blas, blas
