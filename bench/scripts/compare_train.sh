#!/usr/bin/env bash
# The textbook's MNIST training step in vectorgrad (JMH) and in PyTorch, one after the other on this
# machine, and the ratio. Run alone: the machine has 2 cores and both sides are timed.
#   bench/scripts/compare_train.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# vectorgrad: one JMH run per thread count; each prints a JSON array as its last line.
java_runs=()
for t in 1 2; do
  java_runs+=("$(./vectorgrad bench train --threads "$t" --json | tee /dev/stderr | tail -n 1)")
done

# PyTorch in its fastest configuration here (see the docstring of train_torch.py): without the
# OPENBLAS_* variables, which make OpenBLAS pick a slower kernel, and with glibc malloc keeping freed
# memory instead of returning it to the OS every step.
torch_json=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \
  /usr/bin/python3 bench/scripts/train_torch.py --json | tee /dev/stderr | tail -n 1)

/usr/bin/python3 - "$torch_json" "${java_runs[@]}" <<'PY'
import json, sys
torch_rows = json.loads(sys.argv[1])
java = {}
for arg in sys.argv[2:]:
    for r in json.loads(arg):
        java[(r["batch"], r["threads"])] = r
torch = {(r["batch"], r["threads"]): r for r in torch_rows}
version = torch_rows[0]["torch"] if torch_rows else "?"

print(f"\nMNIST training step, images/s (PyTorch {version})")
print(f"{'batch':>6} {'threads':>7} {'vectorgrad':>12} {'PyTorch':>12} {'ratio':>7}")
for key in sorted(set(java) | set(torch)):
    j = java.get(key, {}).get("images_per_s")
    p = torch.get(key, {}).get("images_per_s")
    fmt = lambda v: f"{v:>12,.0f}" if v is not None else f"{'-':>12}"
    ratio = f"{j / p:>6.2f}x" if j is not None and p else f"{'-':>7}"
    print(f"{key[0]:>6} {key[1]:>7} {fmt(j)} {fmt(p)} {ratio}")
print("ratio = vectorgrad images/s / PyTorch images/s (above 1: vectorgrad is faster)")
PY
