#!/usr/bin/env python3
"""Golden values for one forward/backward/Adam step of the textbook MNIST model.

Run from the repository root with Debian's system python (which has torch):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/mnist_golden.py

Output: nn/src/test/resources/golden/mnist_golden.txt

The inputs, labels and parameters are deterministic formulas that the Java
parity test recomputes (in double precision with Math.sin, then cast to float):

  * batch B = 5, x[b,0,i,j] = 0.5 + 0.5*sin(0.1*(b*784 + i*28 + j))
  * labels y[b] = (3*b + 1) % 10  ->  [1, 4, 7, 0, 3]
  * parameter number L (0..7, state_dict order) with N elements, flattened
    row-major: p[i] = bound_L * sin(0.7*i + 1.3*L), where bound_L is
    1/sqrt(fan_in) of its layer (conv1 9, conv2 288, fc1 9216, fc2 128; a
    bias uses the same bound as its layer's weight)

File format (same conventions as torch_golden.txt):
  * one entry per line: ``key<TAB>v1 v2 v3 ...`` (values space separated)
  * floats are repr(float(v)) of the float32 value (round-trips exactly);
    float64 sums are repr of the double
  * integers as plain ints; lines starting with '#' are comments
  * tensors flattened row-major
"""

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "nn", "src", "test", "resources", "golden", "mnist_golden.txt")

REGEN = ("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
         "/usr/bin/python3 bench/scripts/mnist_golden.py")

B = 5

# Parameter names in state_dict order, and the fan_in of the layer each belongs to.
PARAM_NAMES = ["f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias",
               "f.6.weight", "f.6.bias", "f.9.weight", "f.9.bias"]
FAN_IN = {"f.0": 1 * 3 * 3, "f.2": 32 * 3 * 3, "f.6": 9216, "f.9": 128}


class Net(nn.Module):
    """The textbook MNIST convnet, as a single Sequential in attribute f."""

    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1),   # f.0 -> [B,32,26,26]
            nn.ReLU(),                # f.1
            nn.Conv2d(32, 64, 3, 1),  # f.2 -> [B,64,24,24]
            nn.MaxPool2d(2),          # f.3 -> [B,64,12,12]
            nn.Dropout2d(0.25),       # f.4 (identity in eval mode)
            nn.Flatten(1),            # f.5 -> [B,9216]
            nn.Linear(9216, 128),     # f.6
            nn.ReLU(),                # f.7
            nn.Dropout2d(0.5),        # f.8 (identity in eval mode)
            nn.Linear(128, 10),       # f.9 -> [B,10]
        )

    def forward(self, x):
        return self.f(x)


def fmt_float(v):
    """Text of one float32 value (or a Python float computed in float64)."""
    return repr(float(v))


def fmt_tensor(t):
    """Space-separated float text of a tensor, flattened row-major."""
    return " ".join(fmt_float(v) for v in t.detach().reshape(-1).tolist())


def make_input():
    """x[b,0,i,j] = 0.5 + 0.5*sin(0.1*(b*784 + i*28 + j)), computed in float64."""
    vals = [0.5 + 0.5 * math.sin(0.1 * (b * 784 + i * 28 + j))
            for b in range(B) for i in range(28) for j in range(28)]
    return torch.tensor(vals, dtype=torch.float64).to(torch.float32).reshape(B, 1, 28, 28)


def make_labels():
    return torch.tensor([(3 * b + 1) % 10 for b in range(B)], dtype=torch.int64)


def param_values(index, name, numel):
    """bound * sin(0.7*i + 1.3*index) in float64, returned as float32."""
    layer = name.rsplit(".", 1)[0]
    bound = 1.0 / math.sqrt(FAN_IN[layer])
    vals = [bound * math.sin(0.7 * i + 1.3 * index) for i in range(numel)]
    return torch.tensor(vals, dtype=torch.float64).to(torch.float32)


def main():
    model = Net()
    model.eval()  # dropout off; autograd still records

    keys = list(model.state_dict().keys())
    assert keys == PARAM_NAMES, keys
    params = dict(model.named_parameters())
    assert list(params.keys()) == PARAM_NAMES

    # Deterministic parameter initialisation.
    with torch.no_grad():
        for index, name in enumerate(PARAM_NAMES):
            p = params[name]
            p.copy_(param_values(index, name, p.numel()).reshape(p.shape))

    x = make_input()
    y = make_labels()
    assert y.tolist() == [1, 4, 7, 0, 3]

    lines = []

    def put(key, text):
        lines.append(key + "\t" + text)

    # Activation sums, layer by layer (no grad needed; eval mode).
    with torch.no_grad():
        h = x
        act_sums = []
        for k, layer in enumerate(model.f):
            h = layer(h)
            act_sums.append(h.to(torch.float64).sum().item())

    # Optimizer (defaults); request the per-parameter loop implementation.
    try:
        opt = torch.optim.Adam(model.parameters(), foreach=False)
    except TypeError:
        opt = torch.optim.Adam(model.parameters())

    # One forward/backward step.
    opt.zero_grad()
    logits = model.f(x)
    items = F.cross_entropy(logits, y, reduction="none")
    loss = items.mean()
    loss.backward()

    probs0 = torch.softmax(logits[0].detach(), dim=0)

    put("mnist/logits", fmt_tensor(logits))
    put("mnist/loss_items", fmt_tensor(items))
    put("mnist/loss", fmt_float(loss.item()))
    put("mnist/probs0", fmt_tensor(probs0))

    # Gradients (recorded before the step), with the sampling stride per parameter.
    steps = {}
    for name in PARAM_NAMES:
        p = params[name]
        n = p.numel()
        s = max(1, n // 97)
        steps[name] = s
        g = p.grad.detach().reshape(-1)
        g64 = g.to(torch.float64)
        put("mnist/numel/" + name, str(n))
        put("mnist/step/" + name, str(s))
        put("mnist/grad_sum/" + name, fmt_float(g64.sum().item()))
        put("mnist/grad_abssum/" + name, fmt_float(g64.abs().sum().item()))
        put("mnist/grad/" + name, fmt_tensor(g[0:n:s]))

    opt.step()

    for name in PARAM_NAMES:
        p = params[name].detach().reshape(-1)
        put("mnist/param_after/" + name, fmt_tensor(p[0:p.numel():steps[name]]))

    for k, v in enumerate(act_sums):
        put("mnist/act_sum/%d" % k, fmt_float(v))

    header = [
        "# Generated by bench/scripts/mnist_golden.py with torch %s" % torch.__version__,
        "# Regenerate (from the repo root): " + REGEN,
        "# Format: key<TAB>space-separated values; floats are exact float32 values (repr of the double),"
        " sums are float64; ints as ints; tensors flattened row-major",
        "# Model: f = Sequential(Conv2d(1,32,3,1), ReLU, Conv2d(32,64,3,1), MaxPool2d(2), Dropout2d(0.25),"
        " Flatten(1), Linear(9216,128), ReLU, Dropout2d(0.5), Linear(128,10)); eval mode; 1 thread; float32",
        "# x[b,0,i,j] = 0.5 + 0.5*sin(0.1*(b*784 + i*28 + j)), B=5; y[b] = (3*b+1) % 10",
        "# param L (state_dict order, N elems, row-major): bound_L*sin(0.7*i + 1.3*L), bound = 1/sqrt(fan_in),"
        " fan_in 9/288/9216/128 (bias uses its weight's bound); computed in float64, cast to float32",
        "# Step: Adam defaults (foreach=False), zero_grad, logits=f(x), items=cross_entropy(reduction='none'),"
        " loss=items.mean(), backward, then opt.step()",
        "# Sampled entries at flat indices 0, s, 2s, ... < N with s = max(1, N // 97);"
        " grad_sum/grad_abssum/act_sum are float64 sums; act_sum/k = sum of output of f[k]; probs0 = softmax(logits[0])",
    ]

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("\n".join(header + lines) + "\n")
    print("wrote %s (%d entries), loss = %r" % (OUT, len(lines), loss.item()))


if __name__ == "__main__":
    main()
