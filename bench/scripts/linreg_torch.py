#!/usr/bin/env python3
"""Time the textbook's linear-regression training loop (example 3.3.1) in
PyTorch, for comparison with vectorgrad's Java benchmark.

Run from the repository root as:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/linreg_torch.py

Why `env -u ...`: this machine's environment sets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, and with the current OpenBLAS those variables make it pick
slower code paths, which would slow PyTorch down and make the comparison
unfair.  /usr/bin/python3 is Debian's system python, which has torch
installed (the `python3` on PATH does not).

Options: --steps N (timed steps, default 5000), --warmup N (untimed steps
first, default 500), --threads N (torch.set_num_threads, default 1),
--json (make the last output line a JSON summary).
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from torch_threads import require_openmp_blas


class StraightLine(nn.Module):
    """pred = alpha + beta * x"""

    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(1.0))
        self.beta = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return self.alpha + self.beta * x


class Y(nn.Module):
    """Gaussian log-likelihood of y around the straight line, std sigma."""

    def __init__(self):
        super().__init__()
        self.f = StraightLine()
        self.sigma = nn.Parameter(torch.tensor(1.0))

    def forward(self, x, y):
        pred = self.f(x)
        return -0.5 * torch.log(2 * np.pi * self.sigma ** 2) - (y - pred) ** 2 / 2 / self.sigma ** 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5000, help="timed steps")
    ap.add_argument("--warmup", type=int, default=500, help="untimed warm-up steps")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    args = ap.parse_args()
    require_openmp_blas("linreg_torch.py")

    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    # synthetic data: y = 2 + 0.5 x + 0.3 * noise
    n = 1000
    x = torch.randn(n)
    y = 2 + 0.5 * x + 0.3 * torch.randn(n)

    model = Y()
    optimizer = optim.Adam(model.parameters())

    def step():
        """One training step, exactly as in the textbook loop."""
        optimizer.zero_grad()
        loglik = model(x, y)
        e = -torch.mean(loglik)
        e.backward()
        optimizer.step()
        # the textbook prints e.item() every step; we only fetch it (which
        # forces the same synchronisation/conversion) without printing
        return e.item()

    for _ in range(args.warmup):
        step()

    loss = None
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - t0

    steps_per_s = args.steps / elapsed
    us_per_step = elapsed / args.steps * 1e6
    sigma = model.sigma.item()
    alpha = model.f.alpha.item()
    beta = model.f.beta.item()

    print("pytorch %s, threads=%d, warmup=%d, steps=%d"
          % (torch.__version__, args.threads, args.warmup, args.steps))
    print("final loss %.6f  alpha %.4f  beta %.4f  sigma %.4f" % (loss, alpha, beta, sigma))
    print("%.1f steps/s  %.2f us/step" % (steps_per_s, us_per_step))
    if args.json:
        print(json.dumps({"impl": "pytorch", "torch": torch.__version__,
                          "threads": args.threads, "steps_per_s": steps_per_s,
                          "us_per_step": us_per_step}))


if __name__ == "__main__":
    main()
