#!/usr/bin/env python3
"""The first seconds of a PyTorch program, beside `./vectorgrad mnist train --max-steps 20` and
`./vectorgrad mnist eval`: the same work as one process, from interpreter start and `import torch`.

    train: load Fashion-MNIST (Debian's dataset-fashion-mnist, the gzip'd IDX files), the textbook's CNN,
           Adam(lr 1e-3), 20 steps of batch 64 in file order, then the 10,000 test images in batches
           of 500 (as mnist train's final evaluation); --save FILE writes the state dict
    eval:  --eval FILE: load the test images and the state dict, evaluate the 10,000 images in batches of
           100 (PyTorch 1.13 is several times slower here in batches of 1,000)

Run from the repository root, in PyTorch's best configuration here (train_torch.py explains it), timed
from outside (bench/scripts/first_seconds.sh does it):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/mnist_program_torch.py [--threads 2] [--save FILE | --eval FILE]

Prints the first step's seconds (from the start of the step to the loss's value) and the test accuracy.
"""

import argparse
import gzip
import os
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_threads import require_openmp_blas, set_threads

warnings.filterwarnings("ignore", message="dropout2d: Received a 2-D input")
DATA = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(train):
    prefix = "train" if train else "t10k"
    x = torch.from_numpy(idx(prefix + "-images-idx3-ubyte.gz", 16).astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(idx(prefix + "-labels-idx1-ubyte.gz", 8).astype(np.int64))
    return x, y


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.MaxPool2d(2), nn.Dropout2d(0.25),
        nn.Flatten(1), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout2d(0.5), nn.Linear(128, 10))


def evaluate(m, x, y, batch):
    m.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (m(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save")
    ap.add_argument("--eval")
    args = ap.parse_args()
    require_openmp_blas("mnist_program_torch.py")
    set_threads(args.threads)
    torch.manual_seed(0)
    m = model()
    if args.eval:
        x, y = load(False)
        m.load_state_dict(torch.load(args.eval))
        print(f"test accuracy {evaluate(m, x, y, 100):.4f}")
        return
    x, y = load(True)
    tx, ty = load(False)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    m.train()
    for step in range(20):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(m(x[step * 64:(step + 1) * 64]), y[step * 64:(step + 1) * 64])
        loss.backward()
        opt.step()
        loss.item()
        if step == 0:
            print(f"first step {time.perf_counter() - t0:.3f} s")
    print(f"test accuracy {evaluate(m, tx, ty, 500):.4f}")
    if args.save:
        torch.save(m.state_dict(), args.save)


if __name__ == "__main__":
    main()
