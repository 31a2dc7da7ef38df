#!/usr/bin/env python3
"""Inference latency of the textbook's MNIST model in PyTorch, for comparison with
`./vectorgrad bench infer`: classify one 28x28 image per call (eval mode, no_grad,
softmax of the logits), as an application would.

Run from the repository root, in PyTorch's fastest configuration here (see
train_torch.py for why the environment):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/infer_torch.py [--json] [--calls 10000] [--warmup 20000]

Each configuration (threads x concurrent callers: 1x1, 2x1, 1x4, 2x4, as bench infer) runs in
a new Python process, so `first_ms` is the first call after building the model and loading
its weights, after `import torch`. Callers are Python threads (PyTorch releases the GIL
inside its ops). p50 and p99 are of single calls; with several callers, the slowest
caller's. With --json the last line is a JSON array of
{"threads", "callers", "load_ms", "first_ms", "p50_us", "p99_us"}.
"""

import argparse
import json
import subprocess
import sys
import threading
import time

CONFIGS = [(1, 1), (2, 1), (1, 4), (2, 4)]


def child(threads, callers, warmup, calls):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from torch_threads import require_openmp_blas, set_threads

    require_openmp_blas("infer_torch.py")
    set_threads(threads)
    torch.manual_seed(0)
    images = torch.rand(64, 1, 1, 28, 28)
    state = nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.MaxPool2d(2),
                          nn.Dropout2d(0.25), nn.Flatten(1), nn.Linear(9216, 128), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(128, 10)).state_dict()
    t0 = time.perf_counter()  # load_ms: building the model and loading its weights
    model = nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.MaxPool2d(2),
                          nn.Dropout2d(0.25), nn.Flatten(1), nn.Linear(9216, 128), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(128, 10))
    model.load_state_dict(state)
    model.eval()
    t1 = time.perf_counter()

    def classify(x):
        with torch.no_grad():
            return F.softmax(model(x), dim=1)[0]

    classify(images[0])
    t2 = time.perf_counter()
    for i in range(warmup):
        classify(images[i % 64])
    lat = [[0.0] * calls for _ in range(callers)]
    barrier = threading.Barrier(callers)

    def run(c):
        barrier.wait()
        for i in range(calls):
            s = time.perf_counter()
            classify(images[(i + c) % 64])
            lat[c][i] = time.perf_counter() - s

    ts = [threading.Thread(target=run, args=(c,)) for c in range(callers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    p50 = max(sorted(l)[calls // 2] for l in lat) * 1e6
    p99 = max(sorted(l)[int(calls * 0.99)] for l in lat) * 1e6
    print("row %.3f %.3f %.3f %.3f" % ((t1 - t0) * 1e3, (t2 - t1) * 1e3, p50, p99))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=20000)
    ap.add_argument("--child", nargs=2, type=int)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], a.warmup, a.calls)
        return
    print("infer_torch.py: one 28x28 image per call, %d warm-up and %d timed calls, a new process per row"
          % (a.warmup, a.calls))
    print("threads callers   load ms  first ms   p50 us   p99 us")
    rows = []
    for threads, callers in CONFIGS:
        out = subprocess.run([sys.executable, __file__, "--child", str(threads), str(callers),
                              "--warmup", str(a.warmup), "--calls", str(a.calls)],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        load, first, p50, p99 = (float(v) for v in out.split()[1:])
        rows.append({"threads": threads, "callers": callers, "load_ms": round(load, 1),
                     "first_ms": round(first, 1), "p50_us": round(p50, 1), "p99_us": round(p99, 1)})
        print("%7d %7d %9.1f %9.1f %8.1f %8.1f" % (threads, callers, load, first, p50, p99))
    if a.json:
        print(json.dumps(rows, separators=(",", ":")))


if __name__ == "__main__":
    main()
