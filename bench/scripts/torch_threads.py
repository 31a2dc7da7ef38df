"""Thread control for the PyTorch comparison scripts.

Debian's PyTorch 1.13 runs its matrix products in OpenBLAS (pthreads build), and
`torch.set_num_threads(n)` does not reach OpenBLAS's own pool: measured on this
machine, with `torch.set_num_threads(1)` a 1024^3 `torch.mm` used both cores
(process CPU time / wall time 1.99, 354-362 GFLOP/s) and 1.0 / 237 GFLOP/s once
OpenBLAS was told too.  So a "1 thread" PyTorch figure taken with
`set_num_threads` alone used both cores for the large OpenBLAS products: fc1 at
batch 64 (layers_torch.py, same day) ran its forward in 522 us that way and 922 us
with OpenBLAS held to one thread.  Small products run on one thread in OpenBLAS
anyway (fc2), and conv2's figures did not move (7,055 vs 7,019 us forward at
batch 64): it does not go through OpenBLAS's pool.  `set_threads` sets both;
`cpu_seconds` lets a script report how many cores a measurement kept busy.
"""

import ctypes
import time

import torch

_openblas = None


def _find_openblas():
    """The OpenBLAS library this process has loaded (torch loads it), or None."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libopenblas" in line}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_set_num_threads"):
            return lib
    return None


def set_threads(n):
    """torch.set_num_threads(n), and the same for OpenBLAS's pool when it is loaded."""
    global _openblas
    torch.set_num_threads(n)
    if _openblas is None:
        torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # makes sure the BLAS library is loaded
        _openblas = _find_openblas() or False
    if _openblas:
        _openblas.openblas_set_num_threads(n)


def blas_threads():
    """OpenBLAS's thread count now, or None without OpenBLAS."""
    return _openblas.openblas_get_num_threads() if _openblas else None


def cpu_seconds():
    """CPU time of the whole process (all threads), for a cores-used ratio against wall time."""
    return time.process_time()


def require_openmp_blas(script):
    """Exits unless torch loaded the OpenMP build of OpenBLAS (PyTorch's best configuration here: with the
    pthread build it measured up to 2.4x slower). Returns threadpoolctl's record of it."""
    import sys
    try:
        import threadpoolctl
    except ImportError:
        sys.exit(script + ": threadpoolctl is not installed (apt-get install python3-threadpoolctl)")
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    blas = [e for e in threadpoolctl.threadpool_info() if e.get("user_api") == "blas"]
    if not blas or any(e.get("threading_layer") != "openmp" for e in blas):
        sys.exit(script + ": refusing to report: torch did not load the OpenMP build of OpenBLAS "
                 "(apt-get install libopenblas0-openmp); loaded: %s" % [e.get("filepath") for e in blas])
    return blas[0]
