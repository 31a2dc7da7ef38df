#!/usr/bin/env python3
"""Golden values of grouped convolutions from PyTorch, for nn's ConvGroupsParityTest.

Run from the repository root with Debian's system python (which has torch):

    /usr/bin/python3 bench/scripts/conv_groups_golden.py

Output: nn/src/test/resources/golden/conv_groups_golden.txt, in torch_golden.py's format
(``key<TAB>values``, float32 values written exactly). Inputs are fixed formulas, written too.
"""

import math
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_PATH = os.path.join(REPO_ROOT, "nn", "src", "test", "resources", "golden", "conv_groups_golden.txt")

# name: (batch, in_channels, h, w, out_channels, kernel, stride, padding, dilation, groups)
CASES = {
    "two_groups": (2, 6, 7, 8, 4, 3, 1, 1, 1, 2),
    "depthwise": (2, 4, 9, 9, 4, 3, 1, 1, 1, 4),
    "depthwise_multiplier_stride2": (1, 3, 8, 7, 6, 3, 2, 0, 1, 3),
    "three_groups_dilated": (2, 6, 9, 9, 9, 2, 1, 0, 2, 3),
}

lines = ["# PyTorch " + torch.__version__ + ": F.conv2d with groups; out, and the gradients of sum(out * dy)"]


def put(key, t):
    lines.append(key + "\t" + " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()))


def fixed(n, phase):
    """n float32 values in [-1, 1] from a formula, so the Java side can read them from the file."""
    return torch.tensor([math.sin(0.7 * i + phase) for i in range(n)], dtype=torch.float32)


for name, (b, c, h, w, o, k, s, p, d, g) in CASES.items():
    x = fixed(b * c * h * w, 0.1).reshape(b, c, h, w).requires_grad_()
    weight = (0.5 * fixed(o * (c // g) * k * k, 0.2)).reshape(o, c // g, k, k).requires_grad_()
    bias = fixed(o, 0.3).requires_grad_()
    out = F.conv2d(x, weight, bias, stride=s, padding=p, dilation=d, groups=g)
    dy = fixed(out.numel(), 0.4).reshape(out.shape)
    (out * dy).sum().backward()
    lines.append("%s/geometry\t%s" % (name, " ".join(str(v) for v in (b, c, h, w, o, k, s, p, d, g))))
    for key, t in (("x", x), ("weight", weight), ("bias", bias), ("dy", dy), ("out", out),
                   ("grad_x", x.grad), ("grad_weight", weight.grad), ("grad_bias", bias.grad)):
        put(name + "/" + key, t)

tmp = OUT_PATH + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(lines) + "\n")
os.replace(tmp, OUT_PATH)
print("wrote", OUT_PATH, len(lines), "lines")
