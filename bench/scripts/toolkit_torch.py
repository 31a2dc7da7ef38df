#!/usr/bin/env python3
"""Time the ops of vectorgrad's `bench toolkit` in PyTorch: batch norm in training and global average
pooling, forward+backward, at the same shapes.

Run from the repository root, in PyTorch's best configuration here (see bench/README.md):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \
        /usr/bin/python3 bench/scripts/toolkit_torch.py [--threads 1 2] [--seconds 2]

The script refuses to report unless threadpoolctl shows the OpenMP build of OpenBLAS (the pthread build
runs its own thread pool against PyTorch's). Reported: microseconds per forward+backward (median of
timed blocks after a warm-up), and CPU seconds over wall seconds (cores busy).
"""

import argparse
import math
import statistics
import time

import os

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn.functional as F

from torch_threads import require_openmp_blas

OPS = ["bn:64:128:7", "bn:64:32:28", "gap:64:128:7", "attn:32:4:128:32", "attn:32:4:256:32"]


def attention_case(op):
    """Causal attention written out (PyTorch 1.13 has no fused kernel): softmax(q·kᵀ/√d + mask)·v."""
    _, b, h, t, d = op.split(":")
    b, h, t, d = int(b), int(h), int(t), int(d)
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(b, h, t, d, generator=g).requires_grad_(True) for _ in range(3))
    up = torch.randn(b, h, t, d, generator=g)
    mask = torch.full((t, t), float("-inf")).triu(1)

    def step():
        q.grad = k.grad = v.grad = None
        (torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + mask, -1) @ v).backward(up)

    return step


def case(op):
    if op.startswith("attn"):
        return attention_case(op)
    kind, b, c, hw = op.split(":")
    b, c, hw = int(b), int(c), int(hw)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(b, c, hw, hw, generator=g).requires_grad_(True)
    w = torch.ones(c, requires_grad=True)
    bias = torch.zeros(c, requires_grad=True)
    if kind == "bn":
        up = torch.randn(b, c, hw, hw, generator=g)
        f = lambda: F.batch_norm(x, None, None, w, bias, training=True, momentum=0.1, eps=1e-5)
    else:
        up = torch.randn(b, c, 1, 1, generator=g)
        f = lambda: F.adaptive_avg_pool2d(x, 1)

    def step():
        x.grad = w.grad = bias.grad = None
        f().backward(up)

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    blas = require_openmp_blas("toolkit_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")
    print("torch %s, BLAS %s (%s)" % (torch.__version__, blas.get("internal_api"), blas.get("threading_layer")))
    print("%-18s %7s %10s %6s" % ("op", "threads", "µs", "cores"))
    for t in args.threads:
        torch.set_num_threads(t)
        for op in OPS:
            step = case(op)
            end = time.perf_counter() + 1.0
            while time.perf_counter() < end:
                step()
            samples, wall0, cpu0 = [], time.perf_counter(), time.process_time()
            while time.perf_counter() - wall0 < args.seconds:
                n, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < 0.1:
                    step()
                    n += 1
                samples.append((time.perf_counter() - t0) / n * 1e6)
            cores = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
            print("%-18s %7d %10.1f %6.2f" % (op, t, statistics.median(samples), cores))


if __name__ == "__main__":
    main()
