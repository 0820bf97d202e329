"""The seeded, single-threaded torch context shared by the application chapters (8b, 8c, 8d).

One thread, not two: on a shared 2-core machine, torch's second worker thread spins while it
waits for a core, and made these small models 5-17x *slower* in our measurements. One thread
also makes every run on a given machine bit-for-bit repeatable.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def torch_session(seed: int, threads: int = 1):
    """Seeded, deterministic torch on ``threads`` CPU threads; restores the thread count after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    try:
        yield torch
    finally:
        torch.set_num_threads(before)
