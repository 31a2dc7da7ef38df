#!/usr/bin/env python3
"""Time the small ResNet's training step in PyTorch, beside vectorgrad's `./vectorgrad bench resnet`.

Run from the repository root in PyTorch's best configuration here:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/resnet_torch.py [--batch 64 128] [--threads 1 2] [--seconds 10] [--json]

(train_torch.py explains the environment.) The script refuses to report unless threadpoolctl shows the
OpenMP build of OpenBLAS.

The model is vectorgrad's examples/SmallResNet: stem Conv2d(1,32,3,padding=1,bias=False)+BatchNorm2d+ReLU;
three stages of two basic blocks (32, 64, 128 channels; the first block of stages 2 and 3 at stride 2 with a
1x1 conv + BatchNorm2d shortcut); AdaptiveAvgPool2d(1), Flatten, Linear(128, 10). The step, in train mode:

    opt.zero_grad(); loss = F.cross_entropy(model(x), y, label_smoothing=0.1); loss.backward(); opt.step(); loss.item()

with SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4), on a pool of 16 random batches cycled
through. Reported: images/s, ms/step, cores busy (CPU time / wall time) and the peak resident set size.
"""

import argparse
import json
import resource
import time

import os

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_threads import cpu_seconds, require_openmp_blas, set_threads

WARMUP_STEPS = 10
POOL_SIZE = 16


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.layer1 = nn.Sequential(BasicBlock(32, 32, 1), BasicBlock(32, 32, 1))
        self.layer2 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64, 1))
        self.layer3 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.layer3(self.layer2(self.layer1(h)))
        return self.fc(torch.flatten(self.avgpool(h), 1))


def time_config(batch, threads, seconds):
    set_threads(threads)
    torch.manual_seed(0)
    model = SmallResNet().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    batches = [(torch.rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))) for _ in range(POOL_SIZE)]

    def step(i):
        x, y = batches[i % POOL_SIZE]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(WARMUP_STEPS):
        step(i)
    steps, cpu0, start = 0, cpu_seconds(), time.perf_counter()
    while True:
        step(steps)
        steps += 1
        now = time.perf_counter()
        if now - start >= seconds:
            break
    return steps, now - start, (cpu_seconds() - cpu0) / (now - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    blas = require_openmp_blas("resnet_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")
    print(f"PyTorch {torch.__version__} ({blas.get('internal_api')} {blas.get('version')}, "
          f"{blas.get('threading_layer')}), SmallResNet training step, {WARMUP_STEPS} warm-up steps, "
          f"{args.seconds:g} s per configuration")
    print(f"{'batch':>6} {'threads':>7} {'images/s':>10} {'ms/step':>9} {'cores':>6} {'peak RSS MB':>12}")
    results = []
    for threads in args.threads:
        for batch in args.batch:
            steps, elapsed, cores = time_config(batch, threads, args.seconds)
            ips = steps * batch / elapsed
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{batch:>6} {threads:>7} {ips:>10.1f} {1000 * elapsed / steps:>9.1f} {cores:>6.2f} {rss:>12.0f}", flush=True)
            results.append({"impl": "pytorch", "torch": torch.__version__, "batch": batch, "threads": threads,
                            "images_per_s": round(ips, 1), "ms_per_step": round(1000 * elapsed / steps, 2),
                            "cores": round(cores, 2)})
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
