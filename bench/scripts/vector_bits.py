"""`--vector-bits 128|256|512` for the PyTorch comparison scripts, as `./vectorgrad bench --vector-bits`.

Call `apply()` before importing torch or numpy: it takes the option out of sys.argv and, when a width is
asked for and not yet in effect, runs the script again with the environment that holds PyTorch, oneDNN
and OpenBLAS to that width (the libraries read it when they load):

* 256: ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, OPENBLAS_CORETYPE=Haswell
* 128: ATEN_CPU_CAPABILITY=default, ONEDNN_MAX_CPU_ISA=SSE41, OPENBLAS_CORETYPE=Nehalem
* 512: the machine's own (the variables removed)

It returns the width in effect (0: not set), for the script to print beside its results.
"""

import os
import sys

ENV = {
    "256": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"},
    "128": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "OPENBLAS_CORETYPE": "Nehalem"},
    "512": {},
}
MARK = "VECTORGRAD_VECTOR_BITS"


def apply():
    argv = sys.argv
    bits = None
    for i, a in enumerate(argv):
        if a == "--vector-bits" and i + 1 < len(argv):
            bits = argv[i + 1]
            del argv[i:i + 2]
            break
        if a.startswith("--vector-bits="):
            bits = a.split("=", 1)[1]
            del argv[i]
            break
    if bits is None:
        return int(os.environ.get(MARK, "0"))
    if bits not in ENV:
        sys.exit("--vector-bits expects 128, 256 or 512, got " + bits)
    if os.environ.get(MARK) == bits:
        return int(bits)
    env = dict(os.environ)
    for k in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE"):
        env.pop(k, None)
    env.update(ENV[bits])
    env[MARK] = bits
    os.execve(sys.executable, [sys.executable] + argv, env)
