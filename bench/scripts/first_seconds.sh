#!/bin/bash
# The first seconds of a program, vectorgrad beside PyTorch, as whole processes timed from outside:
#   train: mnist train --batch-size 64 --max-steps 20 (start, data, 20 steps, the 10,000-image test)
#   eval:  mnist eval of the checkpoint that run wrote
# and the first training step (vectorgrad: from the "training on" line to the first progress line;
# PyTorch: timed inside the step). Rounds alternate vectorgrad and PyTorch, one process at a time.
#
#   bench/scripts/first_seconds.sh [ROUNDS=3] [THREADS=2] [-- extra JVM flags]
# Run from the repository root after ./vectorgrad has built the jar (the launcher's JVM flags are used).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"; threads="${2:-2}"; shift $(( $# > 2 ? 2 : $# )); [ "${1:-}" = -- ] && shift
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296)
now() { date +%s.%N; }
# each output line prefixed with seconds since $1
stamp() { local s="$1"; while IFS= read -r l; do printf '%.3f %s\n' "$(echo "$(now) - $s" | bc)" "$l"; done; }
./vectorgrad help >/dev/null 2>&1   # builds the jar if it is stale, outside the timing
export JAVA_TOOL_OPTIONS="${*:-}"
printf '%-6s %-10s %8s %10s %s\n' round program wall_s first_step accuracy
for r in $(seq 1 "$rounds"); do
  s=$(now); ./vectorgrad mnist train --batch-size 64 --max-steps 20 --print-every 1 --threads "$threads" \
    --checkpoint "$tmp/vg.safetensors" 2>&1 | stamp "$s" > "$tmp/vg.log"; e=$(now)
  t_on=$(awk '/training on/ {print $1; exit}' "$tmp/vg.log"); t_0=$(awk '/batch=0\// {print $1; exit}' "$tmp/vg.log")
  printf '%-6s %-10s %8.2f %10.2f %s\n' "$r" "vg train" "$(echo "$e - $s" | bc)" "$(echo "$t_0 - $t_on" | bc)" \
    "$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp/vg.log")"
  s=$(now); "${torch_env[@]}" /usr/bin/python3 bench/scripts/mnist_program_torch.py --threads "$threads" \
    --save "$tmp/pt.pt" > "$tmp/pt.log" 2>&1; e=$(now)
  printf '%-6s %-10s %8.2f %10.2f %s\n' "$r" "pt train" "$(echo "$e - $s" | bc)" \
    "$(sed -n 's/first step \([0-9.]*\) s/\1/p' "$tmp/pt.log")" "$(sed -n 's/test accuracy \([0-9.]*\)/\1/p' "$tmp/pt.log")"
  s=$(now); ./vectorgrad mnist eval --checkpoint "$tmp/vg.safetensors" --threads "$threads" > "$tmp/vge.log" 2>&1; e=$(now)
  printf '%-6s %-10s %8.2f %10s %s\n' "$r" "vg eval" "$(echo "$e - $s" | bc)" - \
    "$(sed -n 's/.*accuracy \([0-9.]*\).*/\1/p' "$tmp/vge.log" | head -1)"
  s=$(now); "${torch_env[@]}" /usr/bin/python3 bench/scripts/mnist_program_torch.py --threads "$threads" \
    --eval "$tmp/pt.pt" > "$tmp/pte.log" 2>&1; e=$(now)
  printf '%-6s %-10s %8.2f %10s %s\n' "$r" "pt eval" "$(echo "$e - $s" | bc)" - \
    "$(sed -n 's/test accuracy \([0-9.]*\)/\1/p' "$tmp/pte.log")"
done
