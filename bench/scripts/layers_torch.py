#!/usr/bin/env python3
"""Time each layer of the textbook's MNIST model in PyTorch, forward and
forward+backward, for comparison with vectorgrad's JMH layer benchmark.

Run from the repository root as:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \
        /usr/bin/python3 bench/scripts/layers_torch.py

Why the environment changes:

* `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`: this machine's environment
  sets these two variables, and with them OpenBLAS picks a slower kernel,
  which would slow PyTorch down and make the comparison unfair.
* `GLIBC_TUNABLES=...`: by default glibc serves big allocations (such as the
  activations here) with fresh mmap()s and hands freed memory straight back
  to the OS, so every step touches brand-new pages, which cost about 12 µs
  each to fault in.  That makes PyTorch about 3x slower on these layers.
  Raising the mmap and trim thresholds lets glibc keep and reuse the memory.
* /usr/bin/python3 is Debian's system python, which has torch installed.

The layers and their inputs (B = batch size):

    conv1     Conv2d(1, 32, 3, 1)            on [B, 1, 28, 28]
    relu1     ReLU                           on [B, 32, 26, 26]
    conv2     Conv2d(32, 64, 3, 1)           on [B, 32, 26, 26]
    pool      MaxPool2d(2)                   on [B, 64, 24, 24]
    dropout1  Dropout2d(0.25), train mode    on [B, 64, 12, 12]
    fc1       Linear(9216, 128)              on [B, 9216]
    relu2     ReLU                           on [B, 128]
    dropout2  Dropout2d(0.5), train mode     on [B, 128]
    fc2       Linear(128, 10)                on [B, 128]
    loss      cross_entropy(reduction='none').mean() on logits [B, 10]

Passes:

    fwd       the layer's forward under torch.no_grad()
    fwd+bwd   forward, then out.backward(g) with a fixed random upstream
              gradient g of the output's shape (plain out.backward() for
              `loss`); gradients are reset to None before every call

Reported: microseconds per call (median over timed batches of calls, after
a warm-up) and GFLOP/s for the matrix-multiply-like layers (conv1, conv2,
fc1, fc2); null for the others.

Options: --batch B... (default 5 64), --threads T... (default 1 2),
--seconds S (timed seconds per configuration, default 1.0), --json (make the
last output line a JSON array of results).
"""

import argparse
import json
import statistics
import time
import warnings

import os

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_threads import blas_threads, cpu_seconds, require_openmp_blas, set_threads

LAYERS = ["conv1", "relu1", "conv2", "pool", "dropout1",
          "fc1", "relu2", "dropout2", "fc2", "loss"]
PASSES = ["fwd", "fwd+bwd"]


class CrossEntropyMean(nn.Module):
    """The model's loss: per-example cross entropy, then the mean.

    Holds its own random integer labels so that it can be called like the
    other layers, with just the logits.
    """

    def __init__(self, labels):
        super().__init__()
        self.labels = labels

    def forward(self, logits):
        return F.cross_entropy(logits, self.labels, reduction="none").mean()


def make_layer(name, batch):
    """Return (module, input shape) for one layer at the given batch size."""
    if name == "conv1":
        return nn.Conv2d(1, 32, 3, 1), (batch, 1, 28, 28)
    if name == "relu1":
        return nn.ReLU(), (batch, 32, 26, 26)
    if name == "conv2":
        return nn.Conv2d(32, 64, 3, 1), (batch, 32, 26, 26)
    if name == "pool":
        return nn.MaxPool2d(2), (batch, 64, 24, 24)
    if name == "dropout1":
        return nn.Dropout2d(0.25), (batch, 64, 12, 12)
    if name == "fc1":
        return nn.Linear(9216, 128), (batch, 9216)
    if name == "relu2":
        return nn.ReLU(), (batch, 128)
    if name == "dropout2":
        # Dropout2d on a 2-D [B, 128] input: PyTorch 1.13 warns that this is
        # deprecated and treats each of the 128 features as a "channel" of
        # one element, i.e. it behaves like element-wise dropout.
        return nn.Dropout2d(0.5), (batch, 128)
    if name == "fc2":
        return nn.Linear(128, 10), (batch, 128)
    if name == "loss":
        labels = torch.randint(0, 10, (batch,))
        return CrossEntropyMean(labels), (batch, 10)
    raise ValueError(name)


def forward_flops(name, batch):
    """Floating-point operations of one forward call, or None if the layer
    is not a multiply-accumulate layer (where GFLOP/s means little)."""
    if name == "conv1":
        # 32 output channels x 26x26 positions, each a 1*3*3 = 9-term dot product
        return 2 * batch * 32 * 9 * 26 * 26
    if name == "conv2":
        # 64 output channels x 24x24 positions, each a 32*3*3 = 288-term dot product
        return 2 * batch * 64 * 288 * 24 * 24
    if name == "fc1":
        return 2 * batch * 9216 * 128
    if name == "fc2":
        return 2 * batch * 128 * 10
    return None


def pass_flops(name, batch, pass_name):
    fwd = forward_flops(name, batch)
    if fwd is None or pass_name == "fwd":
        return fwd
    if name == "conv1":
        # The input images do not require grad, so conv1's backward only
        # computes the weight (and bias) gradient: one extra forward's worth.
        return 2 * fwd
    # Backward computes both the input gradient and the weight gradient,
    # each costing about as much as the forward.
    return 3 * fwd


def make_step(name, batch, pass_name):
    """Build the layer, its input and (for fwd+bwd) the upstream gradient,
    and return a zero-argument function doing one call of the pass."""
    module, shape = make_layer(name, batch)
    module.train()  # dropout layers are timed in training mode
    params = list(module.parameters())

    # Every layer's input requires grad except conv1's: in training the
    # images are leaves that need no gradient, so conv1's backward computes
    # only the weight and bias gradients, not a gradient for the images.
    x = torch.rand(*shape, requires_grad=(name != "conv1"))

    if pass_name == "fwd":
        def step():
            with torch.no_grad():
                module(x)
        return step

    # A fixed random upstream gradient of the output's shape (the loss
    # output is a scalar, for which backward() needs no gradient argument).
    with torch.no_grad():
        out_shape = module(x).shape
    g = None if name == "loss" else torch.rand(out_shape)

    def step():
        # Reset the gradients to None, as optimizer.zero_grad(set_to_none=True)
        # does, so that backward writes fresh gradients instead of adding.
        x.grad = None
        for p in params:
            p.grad = None
        out = module(x)
        if g is None:
            out.backward()
        else:
            out.backward(g)
    return step


def time_step(step, seconds):
    """Median microseconds per call of step(), and the cores it kept busy.

    Warms up first, while choosing how many calls to put in each timed batch
    so that a batch lasts about 5 ms (short calls are too quick to time one
    at a time).  Then times batches until `seconds` have passed and returns
    the median per-call time over the batches, with the process's CPU time
    over the wall time of the timed part (1.0: one core busy throughout).
    """
    # Warm-up: a few calls, then keep calling until ~0.1 s has gone by
    # (or a fifth of the timed period, whichever is less).
    warm = min(0.1, seconds / 5)
    for _ in range(3):
        step()
    calls = 0
    t0 = time.perf_counter()
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= warm:
            break
    per_call = elapsed / calls
    batch_calls = max(1, int(0.005 / per_call))

    samples = []
    start, cpu0 = time.perf_counter(), cpu_seconds()
    end = start + seconds
    while True:
        t0 = time.perf_counter()
        for _ in range(batch_calls):
            step()
        t1 = time.perf_counter()
        samples.append((t1 - t0) / batch_calls)
        # Always take at least a few samples, even for slow calls.
        if t1 >= end and len(samples) >= 3:
            break
    cores = (cpu_seconds() - cpu0) / (time.perf_counter() - start)
    return statistics.median(samples) * 1e6, cores


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[5, 64],
                    help="batch sizes (default 5 64)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                    help="threads for torch and OpenBLAS (default 1 2)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="timed seconds per configuration (default 1.0)")
    ap.add_argument("--json", action="store_true",
                    help="print the results as a JSON array on the last line")
    args = ap.parse_args()
    require_openmp_blas("layers_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")

    # Dropout2d on the 2-D input of dropout2 warns on every call; the
    # behaviour is what we want to time, so silence it.
    warnings.filterwarnings("ignore", message=".*dropout2d.*")
    torch.manual_seed(0)

    print(f"torch {torch.__version__}, seconds per configuration {args.seconds}")
    header = f"{'layer':<9} {'batch':>5} {'thr':>3} {'pass':<8} {'us/call':>10} {'GFLOP/s':>8} {'cores':>6}"
    print(header)
    print("-" * len(header))

    results = []
    for threads in args.threads:
        set_threads(threads)
        print(f"# threads {threads}: torch {torch.get_num_threads()}, OpenBLAS {blas_threads()}")
        for batch in args.batch:
            for name in LAYERS:
                for pass_name in PASSES:
                    step = make_step(name, batch, pass_name)
                    micros, cores = time_step(step, args.seconds)
                    flops = pass_flops(name, batch, pass_name)
                    # flops / (micros * 1e-6 s) / 1e9 = flops / (micros * 1e3)
                    gflops = None if flops is None else flops / (micros * 1e3)
                    results.append({
                        "layer": name, "batch": batch, "threads": threads,
                        "pass": pass_name, "micros": round(micros, 3),
                        "gflops": None if gflops is None else round(gflops, 3),
                        "impl": "pytorch", "cores": round(cores, 2),
                    })
                    gf = "-" if gflops is None else f"{gflops:.2f}"
                    print(f"{name:<9} {batch:>5} {threads:>3} {pass_name:<8} "
                          f"{micros:>10.2f} {gf:>8} {cores:>6.2f}", flush=True)

    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
