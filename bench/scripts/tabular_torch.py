#!/usr/bin/env python3
"""PyTorch beside `./vectorgrad tabular train`: the same built-in task, model, optimizer, schedule and loop.

Run from the repository root in PyTorch's best configuration here:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/tabular_torch.py [--threads 1 2] [--epochs 60] [--json]

(train_torch.py explains the environment; the script refuses to report unless threadpoolctl shows the
OpenMP build of OpenBLAS.) The task: 10,000 rows, x uniform in [-1, 1]^10, y = f(x) + N(0, 0.1^2) with
vectorgrad's f (TabularCommand.synthetic); 80/20 split, features standardised by the training rows;
Linear(10,64)-ReLU-Linear(64,64)-ReLU-Linear(64,1); AdamW(lr=3e-3, weight_decay=1e-4, none on biases);
OneCycleLR over the epochs, stepped per batch; clip_grad_norm_(1.0); batch 64; each epoch ends with the
validation loss and, when it improved, the model saved (torch.save to a temporary file) — the loop
`tabular train` runs. Batches are drawn two ways: torch's DataLoader over a TensorDataset (what the
tutorials write) and indexing with a shuffled permutation (faster); both are reported, and the ratio
should be taken against the faster. Peak resident set size is reported too.
"""

import argparse
import json
import math
import os
import resource
import tempfile
import time

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_threads import cpu_seconds, require_openmp_blas, set_threads


def task(rows, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(rows, 10, generator=g) * 2 - 1
    e = torch.randn(rows, 1, generator=g)
    f = (torch.sin(math.pi * x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] ** 2 - 0.5 * x[:, 4]
         + torch.exp(-2 * x[:, 5] ** 2) + 0.3 * x[:, 6].abs())
    return x, (f.unsqueeze(1) + 0.1 * e)


def run(threads, epochs, loader_kind, seed=0):
    set_threads(threads)
    torch.manual_seed(seed)
    x, y = task(10000, seed)
    perm = torch.randperm(10000, generator=torch.Generator().manual_seed(seed))
    tr, va = perm[:8000], perm[8000:]
    mean, sd = x[tr].mean(0), x[tr].std(0, unbiased=False)
    x = (x - mean) / sd
    xtr, ytr, xva, yva = x[tr], y[tr], x[va], y[va]
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, weight_decay=1e-4)
    batches = (8000 + 63) // 64
    total = epochs * batches
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=total)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=64, shuffle=True)
    best = float("inf")
    path = os.path.join(tempfile.mkdtemp(), "best.pt")
    steps = 0
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for epoch in range(epochs):
        model.train()
        if loader_kind == "dataloader":
            it = iter(loader)
        else:
            order = torch.randperm(8000)
            it = ((xtr[idx], ytr[idx]) for idx in order.split(64))
        for xb, yb in it:
            opt.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if steps + 1 < total:
                sched.step()
            loss.item()
            steps += 1
        model.eval()
        with torch.no_grad():
            val = F.mse_loss(model(xva), yva).item()
        if val < best:
            best = val
            torch.save(model.state_dict(), path)
    seconds = time.perf_counter() - t0
    return steps, seconds, (cpu_seconds() - cpu0) / seconds, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    blas = require_openmp_blas("tabular_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")
    print(f"PyTorch {torch.__version__} ({blas.get('internal_api')} {blas.get('version')}, {blas.get('threading_layer')}), "
          f"tabular train loop, {args.epochs} epochs")
    print(f"{'threads':>7} {'batches':>10} {'steps/s':>9} {'cores':>6} {'best val':>9} {'peak RSS MB':>12}")
    results = []
    for threads in args.threads:
        for kind in ("dataloader", "index"):
            steps, seconds, cores, best = run(threads, args.epochs, kind)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{threads:>7} {kind:>10} {steps / seconds:>9.0f} {cores:>6.2f} {best:>9.5f} {rss:>12.0f}", flush=True)
            results.append({"impl": "pytorch", "threads": threads, "batches": kind, "steps_per_s": round(steps / seconds, 1),
                            "cores": round(cores, 2), "best_val": best, "peak_rss_mb": round(rss)})
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
