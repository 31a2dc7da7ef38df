#!/usr/bin/env bash
# The linear-regression step in vectorgrad (JMH) and in PyTorch, one after the other on this machine,
# and the ratio. Run alone: the machine has 2 cores and both sides are timed.
#   bench/scripts/compare_linreg.sh [threads]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
threads="${1:-1}"
java_json=$(./vectorgrad bench linreg --threads "$threads" --json | tee /dev/stderr | tail -n 1)
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set on some of these machines for old OpenBLAS builds and slow a
# current one; unset for this command only.
torch_json=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/linreg_torch.py --threads "$threads" --json | tee /dev/stderr | tail -n 1)
/usr/bin/python3 - "$java_json" "$torch_json" <<'PY'
import json, sys
java = {r["impl"]: r for r in json.loads(sys.argv[1])}
torch = json.loads(sys.argv[2])
base = torch["steps_per_s"]
print(f"\nPyTorch {torch['torch']}: {base:,.0f} steps/s")
for name, r in java.items():
    print(f"{name:22s} {r['steps_per_s']:>12,.0f} steps/s  = {r['steps_per_s'] / base:5.1f}x PyTorch")
PY
