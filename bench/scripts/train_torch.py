#!/usr/bin/env python3
"""Time the textbook's MNIST training step in PyTorch, for comparison with
vectorgrad's JMH benchmark of the same step (`./vectorgrad bench train`).

Run from the repository root, in PyTorch's fastest configuration on this
machine, as:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/train_torch.py

Why the environment:

* `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`: this machine's environment
  sets those variables (for old OpenBLAS builds); with the current OpenBLAS
  they make it pick a slower kernel, which would slow PyTorch down.
* `GLIBC_TUNABLES=...`: with glibc's default malloc settings, the large
  activation and gradient buffers freed at the end of each step are handed
  back to the operating system (they are above the mmap threshold, or get
  trimmed off the top of the heap), and the next step has to fault in fresh
  zeroed pages.  Touching a fresh page costs about 12 µs here, which makes
  PyTorch about 3x slower.  Raising the mmap threshold to 32 MiB and the trim
  threshold to 4 GiB keeps that memory in the process for reuse.

/usr/bin/python3 is Debian's system python, which has torch installed (the
`python3` on PATH does not).

The step timed is:

    opt.zero_grad()
    loglik = -F.cross_entropy(model(x), y, reduction='none')
    e = -loglik.mean()
    e.backward()
    opt.step()
    e.item()

on random images and labels: a pool of 16 different batches, generated up
front and cycled through, so that no single batch stays hot in the cache.

Options: --batch B [B ...] (batch sizes, default 5 32 64 128),
--threads T [T ...] (threads for torch and OpenBLAS, default 1 2; see
torch_threads.py: set_num_threads alone leaves OpenBLAS on every core),
--seconds S (timed seconds per configuration after 20 warm-up steps,
default 3), --json (make the last output line a JSON array of results).
"""

import argparse
import inspect
import json
import time
import warnings

import os

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

from torch_threads import cpu_seconds, require_openmp_blas, set_threads

WARMUP_STEPS = 20  # untimed steps before each measurement
POOL_SIZE = 16  # number of distinct random batches cycled through

# The model applies Dropout2d to the (batch, 128) output of the first Linear
# layer, as the textbook does; torch 1.13 warns on every call that 2-D input
# to dropout2d is deprecated.  The behaviour is what we want to time, so
# silence the warning.
warnings.filterwarnings("ignore", message="dropout2d: Received a 2-D input")


def make_model():
    """The textbook's MNIST convolutional network, in training mode."""
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, 1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, 1),
        nn.MaxPool2d(2),
        nn.Dropout2d(0.25),
        nn.Flatten(1),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout2d(0.5),
        nn.Linear(128, 10),
    )
    model.train()
    return model


def make_optimizer(model):
    """Adam with default settings; the simple per-parameter loop if this
    torch version lets us choose it (foreach=False)."""
    if "foreach" in inspect.signature(optim.Adam.__init__).parameters:
        return optim.Adam(model.parameters(), foreach=False)
    return optim.Adam(model.parameters())


def make_batches(batch):
    """POOL_SIZE random (images, labels) pairs of the given batch size."""
    return [
        (torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,)))
        for _ in range(POOL_SIZE)
    ]


def train_step(model, opt, x, y):
    """One training step; returns the loss as a Python float."""
    opt.zero_grad()
    loglik = -F.cross_entropy(model(x), y, reduction="none")
    e = -loglik.mean()
    e.backward()
    opt.step()
    return e.item()


def time_config(batch, threads, seconds):
    """Warm up, then run as many steps as fit in `seconds`.
    Returns (steps, elapsed seconds, cores busy: CPU time / wall time)."""
    set_threads(threads)
    torch.manual_seed(0)
    model = make_model()
    opt = make_optimizer(model)
    batches = make_batches(batch)

    i = 0
    for _ in range(WARMUP_STEPS):
        x, y = batches[i % POOL_SIZE]
        train_step(model, opt, x, y)
        i += 1

    steps = 0
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        x, y = batches[i % POOL_SIZE]
        train_step(model, opt, x, y)
        i += 1
        steps += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    return steps, now - start, (cpu_seconds() - cpu0) / (now - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[5, 32, 64, 128],
                    help="batch sizes")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                    help="threads for torch and OpenBLAS")
    ap.add_argument("--seconds", type=float, default=3.0,
                    help="timed seconds per configuration")
    ap.add_argument("--json", action="store_true",
                    help="print a JSON array of results as the last line")
    args = ap.parse_args()
    require_openmp_blas("train_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")

    print(f"PyTorch {torch.__version__}, MNIST training step, "
          f"{WARMUP_STEPS} warm-up steps, {args.seconds:g} s per configuration")
    print(f"{'batch':>6} {'threads':>7} {'images/s':>12} {'ms/step':>10} {'cores':>6}")

    results = []
    for threads in args.threads:
        for batch in args.batch:
            steps, elapsed, cores = time_config(batch, threads, args.seconds)
            images_per_s = steps * batch / elapsed
            ms_per_step = 1000.0 * elapsed / steps
            print(f"{batch:>6} {threads:>7} {images_per_s:>12,.0f} {ms_per_step:>10.3f} {cores:>6.2f}",
                  flush=True)
            results.append({
                "impl": "pytorch",
                "torch": torch.__version__,
                "batch": batch,
                "threads": threads,
                "images_per_s": images_per_s,
                "ms_per_step": ms_per_step,
                "cores": round(cores, 2),
            })

    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
