"""pytest's header names the CPU and the numeric kernels in use (lstm_course.machine.describe).

Results that pass through training differ between CPUs, so every test log says which kernels
produced it: the native ones, or the simulated second CPU of ``python3 dev.py test``'s second pass.
"""
from __future__ import annotations


def pytest_report_header(config):
    import numpy as np

    from lstm_course import machine

    np.ones((2, 2)) @ np.ones((2, 2))  # load BLAS so threadpoolctl can name its kernels
    return machine.describe()
