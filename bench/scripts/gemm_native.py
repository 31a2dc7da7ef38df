#!/usr/bin/env python3
"""Time single-precision matrix multiplication (sgemm) in native libraries,
for comparison with vectorgrad's Java sgemm benchmark.

What it measures: for each shape (m, n, k) it times C[m x n] = A[m x k] . B[k x n]
with float32 operands and reports GFLOP/s = 2*m*n*k / (seconds per call) / 1e9.
Two implementations are timed:

  * "openblas-numpy": np.matmul(a, b, out=c), into a preallocated output array.
    numpy hands this to whatever BLAS library it is linked against (meant to be
    OpenBLAS; the script prints which library is really loaded, see below).
  * "pytorch": torch.matmul(a, b, out=c), into a preallocated output tensor,
    under torch.no_grad().

Run from the repository root as:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/gemm_native.py [options]

Why `env -u ...`: these machines set OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in
the environment for old OpenBLAS builds.  The current OpenBLAS reads them when
it is loaded, and they make it pick a slower kernel than its AVX-512 one, so
the numbers would be too low.  The variables must be removed before the
process starts (OpenBLAS reads them when the library is loaded, which happens
during `import numpy`), so the script only warns on stderr if they are set.
/usr/bin/python3 is Debian's system python, which has numpy and torch
installed (the `python3` on PATH does not).

The script prints which BLAS library numpy (and torch) really use: numpy's
build configuration (numpy.show_config() / numpy.__config__), threadpoolctl's
report if that module is installed, and, for every BLAS library mapped into
the process, OpenBLAS's own openblas_get_config()/openblas_get_corename()
(the core name is the kernel family OpenBLAS chose, e.g. SkylakeX = AVX-512,
Haswell = AVX2).  If the loaded library has no such functions it is not
OpenBLAS (for example the netlib reference BLAS), and the script says so.

Shapes (all float32, C-contiguous unless noted):
  * squares m = n = k = 64, 128, 256, 512, 1024, 2048;
  * the MNIST model's fully-connected layers, at batch 5 and batch 64:
      (B, 128, 9216)  forward of Linear(9216, 128): x . W^T, where W is the
                      128 x 9216 weight and B is passed as the transposed
                      *view* W.T (not a copy), as a framework does it;
      (B, 9216, 128)  gradient w.r.t. the input: g . W  (g is B x 128);
      (128, 9216, B)  gradient w.r.t. the weight: g^T . x, with g^T
                      materialised as a C-contiguous 128 x B array;
    and (5, 10, 128), the forward of Linear(128, 10) at batch 5, again with
    B = W.T as a transposed view of the 10 x 128 weight.

Timing: each (impl, shape) gets 3 untimed warm-up calls.  The duration of the
last warm-up call sets a batch size (enough calls for a batch to take about
--seconds / 20, at least one call).  Batches are then run until --seconds have
elapsed (at least one batch), and the reported time per call is the MEDIAN
over batches of (batch time / calls in the batch).  The median is used rather
than the best batch so that a single lucky batch does not set the result.

Options:
  --threads N     BLAS / torch threads (default 1).  Set through threadpoolctl
                  if it is installed, and always through OPENBLAS_NUM_THREADS /
                  OMP_NUM_THREADS, which are put into os.environ before numpy
                  or torch is imported; torch also gets torch.set_num_threads(N).
  --impl X        numpy, torch or both (default both).
  --seconds S     timed seconds per (impl, shape) after warm-up (default 1.0).
  --json          make the last output line a JSON array of
                  {"impl", "m", "n", "k", "threads", "gflops"} objects.
"""

# Only standard-library modules are imported here: numpy and torch must not be
# imported until the thread-count environment variables have been set.
import argparse
import contextlib
import ctypes
import io
import json
import os
import sys
import time

# Environment variables that slow the current OpenBLAS down on these machines.
BAD_OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# Square shapes (m = n = k).
SQUARE_SIZES = (64, 128, 256, 512, 1024, 2048)

# MNIST model dimensions.
FC1_IN, FC1_OUT = 9216, 128
FC2_IN, FC2_OUT = 128, 10


def build_shapes():
    """Return the list of benchmark cases as dicts.

    Each case has m, n, k, a note for the table, and `b_transposed_view`:
    when True, B is built as the transposed view W.T of a C-contiguous
    n x k weight W (what x . W^T looks like inside a framework); otherwise
    A and B are both plain C-contiguous arrays.
    """
    cases = []
    for s in SQUARE_SIZES:
        cases.append(dict(m=s, n=s, k=s, note="square", b_transposed_view=False))
    for batch in (5, 64):
        # Forward: y[batch x 128] = x[batch x 9216] . W^T, W is 128 x 9216.
        cases.append(dict(m=batch, n=FC1_OUT, k=FC1_IN,
                          note="fc1 fwd x.W^T (B = W.T view)",
                          b_transposed_view=True))
        # Input gradient: dx[batch x 9216] = g[batch x 128] . W[128 x 9216].
        cases.append(dict(m=batch, n=FC1_IN, k=FC1_OUT,
                          note="fc1 dx = g.W",
                          b_transposed_view=False))
        # Weight gradient: dW[128 x 9216] = g^T[128 x batch] . x[batch x 9216].
        cases.append(dict(m=FC1_OUT, n=FC1_IN, k=batch,
                          note="fc1 dW = g^T.x (g^T contiguous)",
                          b_transposed_view=False))
    # Forward of the last layer: y[5 x 10] = x[5 x 128] . W^T, W is 10 x 128.
    cases.append(dict(m=5, n=FC2_OUT, k=FC2_IN,
                      note="fc2 fwd x.W^T (B = W.T view)",
                      b_transposed_view=True))
    return cases


def parse_args():
    parser = argparse.ArgumentParser(
        description="Time float32 matmul in OpenBLAS (via numpy) and PyTorch.")
    parser.add_argument("--threads", type=int, default=1,
                        help="number of BLAS / torch threads (default 1)")
    parser.add_argument("--impl", choices=("numpy", "torch", "both"),
                        default="both", help="what to time (default both)")
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="timed seconds per shape after warm-up (default 1.0)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON array of results as the last line")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    return args


def warn(message):
    print("WARNING: " + message, file=sys.stderr)


def set_thread_env(threads):
    """Put the thread count into the environment.

    This has to happen before numpy / torch are imported: OpenBLAS and the
    OpenMP runtime read these variables once, when they are loaded.
    """
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)


def mapped_libraries():
    """Paths of the shared libraries currently mapped into this process
    (Linux only; returns an empty list elsewhere)."""
    paths = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) >= 6 and ".so" in fields[-1]:
                    paths.add(fields[-1])
    except OSError:
        pass
    return sorted(paths)


def blas_like(path):
    """True if a library path looks like a BLAS implementation."""
    name = os.path.basename(path).lower()
    return any(word in name for word in ("blas", "mkl_rt", "blis"))


def probe_openblas(path):
    """Ask a loaded library for OpenBLAS's self-description.

    Returns a dict (config, corename, threads) if the library exports the
    OpenBLAS query functions, or None if it does not (i.e. it is not OpenBLAS).
    numpy's own wheels ship an ILP64 OpenBLAS whose symbols end in "64_",
    so both spellings are tried.
    """
    try:
        lib = ctypes.CDLL(path)  # already loaded, so this just gets a handle
    except OSError:
        return None
    for suffix in ("", "64_"):
        get_config = getattr(lib, "openblas_get_config" + suffix, None)
        if get_config is None:
            continue
        info = {}
        get_config.restype = ctypes.c_char_p
        info["config"] = get_config().decode(errors="replace").strip()
        get_core = getattr(lib, "openblas_get_corename" + suffix, None)
        if get_core is not None:
            get_core.restype = ctypes.c_char_p
            info["corename"] = get_core().decode(errors="replace").strip()
        get_threads = getattr(lib, "openblas_get_num_threads" + suffix, None)
        if get_threads is not None:
            get_threads.restype = ctypes.c_int
            info["threads"] = get_threads()
        return info
    return None


def report_numpy_config(np):
    """Print what numpy says about its BLAS, from several sources."""
    print("numpy %s" % np.__version__)

    # 1. numpy.show_config(), captured; keep only the BLAS-related sections.
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            np.show_config()
    except Exception as exc:  # show_config differs between numpy versions
        print("  numpy.show_config() failed: %r" % exc)
    text = captured.getvalue()
    if text:
        print("  numpy.show_config(), BLAS-related lines that are available:")
        keep, header = False, None
        for line in text.splitlines():
            if line and not line.startswith(" "):
                # A new section header such as "blas_opt_info:".
                keep = "blas" in line.lower() or "simd" in line.lower()
                header = line
                continue
            if keep and "NOT AVAILABLE" not in line and line.strip():
                if header is not None:
                    print("    " + header)
                    header = None
                print("    " + line)

    # 2. numpy.__config__: numpy <= 1.25 keeps the build info as module-level
    # dicts; newer versions have a CONFIG dict.  Either may be missing.
    config_module = getattr(np, "__config__", None)
    if config_module is not None:
        for name in ("openblas_info", "blas_opt_info"):
            value = getattr(config_module, name, None)
            if value:
                print("  numpy.__config__.%s = %r" % (name, value))
        config_dict = getattr(config_module, "CONFIG", None)
        if isinstance(config_dict, dict):
            blas = config_dict.get("Build Dependencies", {}).get("blas")
            if blas:
                print("  numpy.__config__.CONFIG blas = %r" % (blas,))


def report_threadpoolctl():
    """Print threadpoolctl's view of the loaded BLAS/OpenMP libraries, if
    threadpoolctl is installed.  Returns the module or None."""
    try:
        import threadpoolctl
    except ImportError:
        print("threadpoolctl: not installed (falling back to environment "
              "variables for the thread count)")
        return None
    print("threadpoolctl %s:" % getattr(threadpoolctl, "__version__", "?"))
    for entry in threadpoolctl.threadpool_info():
        print("  " + ", ".join("%s=%s" % (key, entry[key]) for key in
                               ("user_api", "internal_api", "version",
                                "architecture", "threading_layer",
                                "num_threads", "filepath") if key in entry))
    return threadpoolctl


def report_loaded_blas(label):
    """Probe every BLAS-looking library mapped into the process.

    Returns True if at least one of them is OpenBLAS.
    """
    found_openblas = False
    libs = [path for path in mapped_libraries() if blas_like(path)]
    if not libs:
        print("%s: no BLAS-like library found in /proc/self/maps" % label)
    for path in libs:
        real = os.path.realpath(path)
        info = probe_openblas(path)
        if info is None:
            print("%s: %s -> NOT OpenBLAS (no openblas_get_config symbol)"
                  % (label, real))
        else:
            found_openblas = True
            print("%s: %s -> OpenBLAS, core=%s, threads=%s"
                  % (label, real, info.get("corename", "?"),
                     info.get("threads", "?")))
            print("    config: %s" % info["config"])
    return found_openblas


def report_torch_config(torch):
    """Print the BLAS-related parts of torch's build configuration."""
    print("torch %s, torch.get_num_threads() = %d"
          % (torch.__version__, torch.get_num_threads()))
    try:
        shown = torch.__config__.show()
    except Exception as exc:
        print("  torch.__config__.show() failed: %r" % exc)
        return
    for line in shown.splitlines():
        line = line.strip()
        if "CPU capability" in line:
            print("  " + line)
        elif line.startswith("- Build settings"):
            # Only the BLAS/LAPACK entries of the long build-settings line.
            for item in line.split(","):
                if "BLAS" in item or "LAPACK" in item or "MKLDNN" in item:
                    print("  " + item.strip())


def time_per_call(fn, seconds):
    """Seconds per call of fn(): 3 warm-up calls, then batches until
    `seconds` have passed; returns the median per-call time over batches."""
    last = 0.0
    for _ in range(3):
        start = time.perf_counter()
        fn()
        last = time.perf_counter() - start
    # Calls per batch: aim at about seconds / 20 per batch, at least one call.
    calls = max(1, int((seconds / 20.0) / max(last, 1e-9)))
    per_call = []
    begin = time.perf_counter()
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        end = time.perf_counter()
        per_call.append((end - start) / calls)
        if end - begin >= seconds:
            break
    per_call.sort()
    middle = len(per_call) // 2
    if len(per_call) % 2:
        return per_call[middle]
    return 0.5 * (per_call[middle - 1] + per_call[middle])


def numpy_case(np, case, rng):
    """Build operands for one case and return a zero-argument matmul call."""
    m, n, k = case["m"], case["n"], case["k"]
    a = rng.standard_normal((m, k), dtype=np.float32)
    if case["b_transposed_view"]:
        weight = rng.standard_normal((n, k), dtype=np.float32)  # n x k
        b = weight.T  # k x n view of the weight, not a copy
    else:
        b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    return lambda: np.matmul(a, b, out=c)


def torch_case(torch, case, generator):
    """Same as numpy_case, for torch tensors."""
    m, n, k = case["m"], case["n"], case["k"]
    a = torch.randn(m, k, dtype=torch.float32, generator=generator)
    if case["b_transposed_view"]:
        weight = torch.randn(n, k, dtype=torch.float32, generator=generator)
        b = weight.t()  # k x n view, as in torch.nn.functional.linear
    else:
        b = torch.randn(k, n, dtype=torch.float32, generator=generator)
    c = torch.empty(m, n, dtype=torch.float32)
    return lambda: torch.matmul(a, b, out=c)


def main():
    args = parse_args()
    from torch_threads import require_openmp_blas
    require_openmp_blas("gemm_native.py")

    # Warn about the variables that slow OpenBLAS down (see the docstring).
    still_set = [name for name in BAD_OPENBLAS_VARS if name in os.environ]
    if still_set:
        warn("%s set in the environment; OpenBLAS may use a slower kernel. "
             "Run as: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
             "/usr/bin/python3 %s ..." % (", ".join(
                 "%s=%s" % (name, os.environ[name]) for name in still_set),
                 sys.argv[0]))

    # Thread count into the environment *before* numpy / torch load.
    set_thread_env(args.threads)

    import numpy as np  # noqa: E402  (deliberately imported late)

    print("=== BLAS configuration ===")
    report_numpy_config(np)
    threadpoolctl = report_threadpoolctl()
    numpy_is_openblas = report_loaded_blas("numpy BLAS")
    if args.impl in ("numpy", "both") and not numpy_is_openblas:
        warn("numpy is not using OpenBLAS; the 'openblas-numpy' rows measure "
             "whatever BLAS library is loaded (see the configuration above).")

    torch = None
    if args.impl in ("torch", "both"):
        import torch  # noqa: E402
        torch.set_num_threads(args.threads)
        report_torch_config(torch)
        # torch may bring its own BLAS; list what is mapped now.
        report_loaded_blas("after import torch")

    # Limit the BLAS thread pool again through threadpoolctl if available
    # (it also catches libraries that ignore the environment variables).
    limiter = contextlib.nullcontext()
    if threadpoolctl is not None:
        limiter = threadpoolctl.threadpool_limits(limits=args.threads)

    impls = []
    if args.impl in ("numpy", "both"):
        impls.append("openblas-numpy")
    if args.impl in ("torch", "both"):
        impls.append("pytorch")

    results = []
    header = "%-15s %5s %5s %5s %7s %11s %9s  %s" % (
        "impl", "m", "n", "k", "threads", "ms/call", "GFLOP/s", "note")
    print()
    print("=== sgemm C[m x n] = A[m x k] . B[k x n], float32; "
          "median of batches over %.2f s ===" % args.seconds)
    print(header)
    print("-" * len(header))
    with limiter:
        for impl in impls:
            # Fixed seeds so every run multiplies the same numbers.
            if impl == "openblas-numpy":
                rng = np.random.default_rng(0)
                make = lambda case: numpy_case(np, case, rng)
                guard = contextlib.nullcontext()
            else:
                generator = torch.Generator().manual_seed(0)
                make = lambda case: torch_case(torch, case, generator)
                guard = torch.no_grad()
            with guard:
                for case in build_shapes():
                    call = make(case)
                    seconds = time_per_call(call, args.seconds)
                    m, n, k = case["m"], case["n"], case["k"]
                    gflops = 2.0 * m * n * k / seconds / 1e9
                    print("%-15s %5d %5d %5d %7d %11.4f %9.2f  %s" % (
                        impl, m, n, k, args.threads, seconds * 1e3, gflops,
                        case["note"]), flush=True)
                    results.append({"impl": impl, "m": m, "n": n, "k": k,
                                    "threads": args.threads,
                                    "gflops": round(gflops, 3)})

    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
