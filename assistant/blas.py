"""numpy's BLAS on one thread, unless the user says otherwise.

Set before numpy is first imported (OpenBLAS reads it then). Queries embed a dozen tokens,
which threads do not speed up, and the log scan does no linear algebra at all, while
OpenBLAS's spinning threads take the cores the scan's workers need and collapse when cores
are shared (measured on a busy 2-core box: 22 ms per query with one thread, 290 ms with two).
"""
from __future__ import annotations

import os
import sys

__all__ = ["one_blas_thread"]


def one_blas_thread() -> None:
    """Ask for one BLAS thread when numpy is not imported yet (a user's setting wins)."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
