#!/usr/bin/env python3
"""Time the small ResNet's convolutions alone in PyTorch, beside vectorgrad's ConvLayersBenchmark.

Run from the repository root in PyTorch's best configuration here:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/resnet_layers_torch.py [--batch 64] [--threads 1 2] [--seconds 3] [--json]

(train_torch.py explains the environment.) The script refuses to report unless threadpoolctl shows the
OpenMP build of OpenBLAS.

Each layer as ConvLayersBenchmark has it: nn.Conv2d without bias, an input that requires grad, forward then
backward of a fixed upstream gradient (both gradients computed), the input's gradient dropped each time.
Reported per layer: the fastest and the median of the timed calls, in microseconds (JMH's figure for
vectorgrad is an average over one-second iterations; compare the fastest iteration with the fastest call).
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

from torch_threads import require_openmp_blas, set_threads

# name: (in, out, kernel, stride, input size), as in bench/src/main/java/vectorgrad/bench/ConvLayersBenchmark.java
LAYERS = {
    "s1_32": (32, 32, 3, 1, 28),
    "s1_64": (64, 64, 3, 1, 14),
    "s1_128": (128, 128, 3, 1, 7),
    "down3x3_64": (32, 64, 3, 2, 28),
    "down3x3_128": (64, 128, 3, 2, 14),
    "down1x1_64": (32, 64, 1, 2, 28),
    "down1x1_128": (64, 128, 1, 2, 14),
}


def time_layer(name, batch, seconds):
    cin, cout, k, s, size = LAYERS[name]
    torch.manual_seed(0)
    conv = nn.Conv2d(cin, cout, k, s, k // 2, bias=False)
    x = torch.rand(batch, cin, size, size, requires_grad=True)
    o = (size + 2 * (k // 2) - k) // s + 1
    upstream = torch.randn(batch, cout, o, o)

    def call():
        conv.zero_grad()
        x.grad = None
        conv(x).backward(upstream)

    for _ in range(5):
        call()
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e6, statistics.median(times) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    blas = require_openmp_blas("resnet_layers_torch.py")
    print(f"PyTorch {torch.__version__} ({blas.get('internal_api')} {blas.get('version')}, "
          f"{blas.get('threading_layer')}), SmallResNet convolutions, forward+backward, batch {args.batch}")
    print(f"{'layer':>12} {'threads':>7} {'fastest us':>11} {'median us':>10}")
    results = []
    for threads in args.threads:
        set_threads(threads)
        for name in LAYERS:
            fastest, median = time_layer(name, args.batch, args.seconds)
            print(f"{name:>12} {threads:>7} {fastest:>11.0f} {median:>10.0f}", flush=True)
            results.append({"layer": name, "batch": args.batch, "threads": threads,
                            "fastest_us": round(fastest), "median_us": round(median)})
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
