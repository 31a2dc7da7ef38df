#!/usr/bin/env python3
"""Exchange model weights between PyTorch and vectorgrad in the safetensors format.

The `safetensors` Python package is not installed on these machines, so this
script reads and writes the format itself with `struct` and `json`.

Run from the repository root with Debian's system python (which has torch):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/safetensors_interop.py write [--keep-mnist]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/scripts/safetensors_interop.py read FILE

Modes
-----
write (the default)
    Builds two PyTorch models with torch.manual_seed(0) and their default
    initialisation, and saves each model's state_dict() byte for byte as
    safetensors.torch.save_file(state_dict, path, metadata={"format": "pt"})
    would (see "Format" below):

    * the textbook MNIST model (keys f.0.weight ... f.9.bias, ~4.8 MB) to
      nn/src/test/resources/golden/torch_mnist_state.safetensors.  That file
      is too big to commit, so after writing it the script reads it back,
      loads it into a fresh PyTorch model, and deletes it again, unless
      --keep-mnist is given (then delete it yourself before committing);
    * a small model, f = Sequential(Conv2d(1,4,3,1), ReLU(), Linear(6,3)), to
      nn/src/test/resources/golden/torch_small_state.safetensors, plus its
      values as text in torch_small_state.txt next to it (format of the other
      golden files: `key<TAB>v1 v2 ...`, floats as repr(float(v)) of the
      float32 values, flattened row-major, '#' lines are comments).

read FILE
    Reads a safetensors file (for instance one written by vectorgrad), checks
    its structure, and prints every tensor's name, dtype, shape and first
    values.  If its keys are exactly the small model's, or exactly the MNIST
    model's (f.0.weight ... f.9.bias) optionally plus keys starting with
    "optimizer.", the model weights (not the optimizer.* entries) are loaded
    into the matching PyTorch model with load_state_dict(strict=True), and
    "loaded into PyTorch: OK" is printed.  Exits non-zero on a malformed file.

Format
------
    [8 bytes]  N, unsigned 64-bit little-endian: length of the header
    [N bytes]  UTF-8 JSON object: tensor name -> {"dtype": "F32",
               "shape": [...], "data_offsets": [begin, end]}, optionally with
               "__metadata__": {string: string}
    [rest]     data section: each tensor's bytes (little-endian, row-major)
               at [begin, end) relative to the start of the data section

How the reference writer (the Rust crate behind safetensors.torch.save_file)
lays a file out, which write mode reproduces:
    * tensors are ordered by dtype, larger dtypes first (F64 before F32
      before I32 ...), then by name; they are packed back to back in that
      order starting at offset 0, and the JSON lists them in the same order;
    * "__metadata__", when given, is the first JSON entry;
    * the JSON is compact (no spaces after ':' or ','), non-ASCII characters
      are written as UTF-8 rather than \\u escapes;
    * the header is padded with ASCII spaces so that N is a multiple of 8
      (so 8 + N is too, and every tensor's data starts 8-byte aligned).
Note that safetensors.torch.save_file only writes "__metadata__" when it is
passed a metadata dict; {"format": "pt"} is what transformers passes, and it
is what this script writes.
"""

import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN = os.path.join(REPO, "nn", "src", "test", "resources", "golden")
MNIST_OUT = os.path.join(GOLDEN, "torch_mnist_state.safetensors")
SMALL_OUT = os.path.join(GOLDEN, "torch_small_state.safetensors")
SMALL_TXT = os.path.join(GOLDEN, "torch_small_state.txt")

REGEN = ("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
         "/usr/bin/python3 bench/scripts/safetensors_interop.py write")

# The metadata written into every file, as transformers' save_pretrained does.
METADATA = {"format": "pt"}

# Refuse headers larger than this (the reference reader's limit is 100 MB too).
MAX_HEADER = 100_000_000

# Key prefix of optimizer state that vectorgrad may store next to the weights.
OPTIMIZER_PREFIX = "optimizer."

# dtype name -> (rank, numpy dtype, torch dtype).  The rank is the position in
# the reference implementation's dtype list, which is in increasing size order;
# the writer sorts tensors by descending rank.  Only dtypes that numpy can
# represent are listed; vectorgrad writes F32 and I32.
DTYPES = {
    "BOOL": (0, np.dtype("bool"), torch.bool),
    "U8": (1, np.dtype("u1"), torch.uint8),
    "I8": (2, np.dtype("i1"), torch.int8),
    "I16": (5, np.dtype("<i2"), torch.int16),
    "F16": (7, np.dtype("<f2"), torch.float16),
    "I32": (9, np.dtype("<i4"), torch.int32),
    "F32": (11, np.dtype("<f4"), torch.float32),
    "F64": (12, np.dtype("<f8"), torch.float64),
    "I64": (13, np.dtype("<i8"), torch.int64),
}
TORCH_TO_NAME = {torch_dtype: name for name, (_, _, torch_dtype) in DTYPES.items()}


# --------------------------------------------------------------------------
# The two models
# --------------------------------------------------------------------------

class MnistNet(nn.Module):
    """The textbook MNIST convnet, as a single Sequential in attribute f."""

    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1),   # f.0: weight [32,1,3,3], bias [32]
            nn.ReLU(),                # f.1
            nn.Conv2d(32, 64, 3, 1),  # f.2: weight [64,32,3,3], bias [64]
            nn.MaxPool2d(2),          # f.3
            nn.Dropout2d(0.25),       # f.4
            nn.Flatten(1),            # f.5
            nn.Linear(9216, 128),     # f.6: weight [128,9216], bias [128]
            nn.ReLU(),                # f.7
            nn.Dropout2d(0.5),        # f.8
            nn.Linear(128, 10),       # f.9: weight [10,128], bias [10]
        )

    def forward(self, x):
        return self.f(x)


class SmallNet(nn.Module):
    """A small model with the same naming scheme, for a committed test file.

    Forward takes [B,1,H,8] (the Linear acts on the last axis, width 8-2 = 6).
    """

    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 4, 3, 1),    # f.0: weight [4,1,3,3], bias [4]
            nn.ReLU(),                # f.1
            nn.Linear(6, 3),          # f.2: weight [3,6], bias [3]
        )

    def forward(self, x):
        return self.f(x)


MNIST_KEYS = ["f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias",
              "f.6.weight", "f.6.bias", "f.9.weight", "f.9.bias"]
SMALL_KEYS = ["f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias"]


def seeded(model_class):
    """A fresh model with PyTorch's default initialisation after manual_seed(0)."""
    torch.manual_seed(0)
    return model_class()


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (a name -> tensor dict).

    Lays the file out as the reference writer does (see the module docstring).
    """
    if metadata is not None:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata keys and values must be strings")

    # Turn every tensor into (name, dtype name, shape, little-endian bytes).
    entries = []
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' cannot be a tensor name")
        if t.dtype not in TORCH_TO_NAME:
            raise TypeError(f"{name}: dtype {t.dtype} is not supported")
        dname = TORCH_TO_NAME[t.dtype]
        array = t.detach().cpu().contiguous().numpy()
        raw = array.astype(DTYPES[dname][1], copy=False).tobytes(order="C")
        entries.append((name, dname, list(t.shape), raw))

    # Larger dtypes first, then by name; packed back to back in that order.
    entries.sort(key=lambda e: (-DTYPES[e[1]][0], e[0]))

    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dname, shape, raw in entries:
        header[name] = {"dtype": dname, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)

    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False)
    head = text.encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)   # pad N to a multiple of 8

    return struct.pack("<Q", len(head)) + head + b"".join(e[3] for e in entries)


def write_file(path, tensors, metadata=None):
    """Writes encode(tensors, metadata) to path (via a temporary file)."""
    data = encode(tensors, metadata)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return data


def check_encoder():
    """Compares encode() with byte layouts worked out by hand from the spec.

    Guards the details that a reader would not notice (ordering, padding,
    compact JSON), so that the files really match what the reference writes.
    """
    # One F32 tensor [1,1,2,3] holding 0..5: the JSON is 65 bytes, padded to 72.
    t = torch.arange(6, dtype=torch.float32).reshape(1, 1, 2, 3)
    js = b'{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}'
    assert len(js) == 65
    want = struct.pack("<Q", 72) + js + b" " * 7 + struct.pack("<6f", 0, 1, 2, 3, 4, 5)
    assert encode({"attn0": t}) == want, "encoder: single tensor layout"

    # No tensors, only metadata: 35 bytes of JSON padded to 40.
    js = b'{"__metadata__":{"framework":"pt"}}'
    want = struct.pack("<Q", 40) + js + b" " * 5
    assert encode({}, {"framework": "pt"}) == want, "encoder: metadata only"

    # Mixed dtypes: F32 sorts before I32 regardless of name, then names sort.
    got = encode({"a": torch.tensor([7], dtype=torch.int32),
                  "c": torch.tensor([1.0]), "b": torch.tensor([2.0])})
    n = struct.unpack("<Q", got[:8])[0]
    assert list(json.loads(got[8:8 + n])) == ["b", "c", "a"], "encoder: order"
    assert got[8 + n:] == struct.pack("<ffi", 2.0, 1.0, 7), "encoder: data order"


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

class FormatError(Exception):
    pass


def decode(data):
    """Parses the bytes of a safetensors file, checking its structure.

    Returns (metadata or None, [(name, dtype name, shape, numpy array)]) with
    the tensors in file (offset) order.  Raises FormatError on anything that
    does not follow the format.
    """
    size = len(data)
    if size < 8:
        raise FormatError(f"file has {size} bytes, fewer than the 8-byte header length")
    n = struct.unpack("<Q", data[:8])[0]
    if n > size - 8:
        raise FormatError(f"header length {n} exceeds the {size - 8} bytes after the length field")
    if n > MAX_HEADER:
        raise FormatError(f"header length {n} is larger than {MAX_HEADER}")
    if n < 2:
        raise FormatError(f"header length {n} is too small to hold a JSON object")
    try:
        text = data[8:8 + n].decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"header is not valid UTF-8: {e}") from None
    if not text.startswith("{"):
        raise FormatError("header does not start with '{'")
    if (8 + n) % 8 != 0:
        # Allowed by the format, but the reference writer always aligns.
        print(f"note: 8 + header length = {8 + n} is not a multiple of 8", file=sys.stderr)

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise FormatError("duplicate key in header JSON")
        return dict(pairs)

    try:
        header = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise FormatError(f"header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise FormatError("header JSON is not an object")

    metadata = header.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise FormatError("__metadata__ must map strings to strings")

    # Validate each entry on its own.
    infos = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"{name}: entry must have exactly dtype, shape, data_offsets")
        dname, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dname not in DTYPES:
            raise FormatError(f"{name}: unsupported dtype {dname!r}")
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise FormatError(f"{name}: shape must be a list of non-negative integers")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(
                isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
            raise FormatError(f"{name}: data_offsets must be two non-negative integers")
        begin, end = offsets
        count = math.prod(shape)
        if end < begin or end - begin != count * DTYPES[dname][1].itemsize:
            raise FormatError(f"{name}: data_offsets {offsets} do not hold {dname} {shape}")
        infos.append((begin, end, name, dname, shape))

    # Together the tensors must tile the data section exactly, with no gaps
    # or overlaps (the reference reader checks the same).
    infos.sort()
    data_len = size - 8 - n
    position = 0
    for begin, end, name, _, _ in infos:
        if begin != position:
            raise FormatError(f"{name}: data starts at {begin}, expected {position} "
                              "(gap or overlap between tensors)")
        position = end
    if position != data_len:
        raise FormatError(f"tensors cover {position} bytes but the data section has {data_len}")

    base = 8 + n
    tensors = []
    for begin, end, name, dname, shape in infos:
        array = np.frombuffer(data, dtype=DTYPES[dname][1], count=math.prod(shape),
                              offset=base + begin).reshape(shape)
        tensors.append((name, dname, shape, array))
    return metadata, tensors


def read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    return decode(data)


def to_state_dict(tensors, keys):
    """The named tensors as a torch state dict (copies, native byte order)."""
    by_name = {name: (dname, array) for name, dname, _, array in tensors}
    state = {}
    for key in keys:
        dname, array = by_name[key]
        if dname != "F32":
            raise FormatError(f"{key}: model weights must be F32, not {dname}")
        state[key] = torch.from_numpy(array.astype(np.float32))  # astype copies
    return state


def read_mode(path, show=6):
    """Prints the contents of a safetensors file and loads it into PyTorch if it fits."""
    metadata, tensors = read_file(path)
    print(f"{path}: {os.path.getsize(path)} bytes, {len(tensors)} tensors")
    if metadata is not None:
        print(f"__metadata__: {json.dumps(metadata)}")
    for name, dname, shape, array in tensors:
        flat = array.reshape(-1)
        if dname in ("F32", "F64", "F16"):
            first = " ".join(repr(float(v)) for v in flat[:show])
        else:
            first = " ".join(str(int(v)) for v in flat[:show])
        more = " ..." if flat.size > show else ""
        print(f"  {name}  {dname}  {shape}  {first}{more}")

    # Which model (if any) do the keys describe?
    names = {t[0] for t in tensors}
    model_names = {k for k in names if not k.startswith(OPTIMIZER_PREFIX)}
    if names == set(SMALL_KEYS):
        model, keys, what = SmallNet(), SMALL_KEYS, "small model"
    elif model_names == set(MNIST_KEYS):
        model, keys, what = MnistNet(), MNIST_KEYS, "MNIST model"
        skipped = len(names) - len(model_names)
        if skipped:
            print(f"ignoring {skipped} '{OPTIMIZER_PREFIX}*' entries")
    else:
        print("keys match neither the small nor the MNIST model: not loaded into PyTorch")
        return

    state = to_state_dict(tensors, keys)
    model.load_state_dict(state, strict=True)  # raises on missing/extra keys or wrong shapes
    # Check that the values really arrived.
    for key, value in model.state_dict().items():
        if not torch.equal(value, state[key]):
            raise AssertionError(f"{key}: value differs after load_state_dict")
    print(f"{what}: loaded into PyTorch: OK")


# --------------------------------------------------------------------------
# write mode
# --------------------------------------------------------------------------

def write_small_text(state):
    """torch_small_state.txt: the small model's values, one tensor per line."""
    lines = [
        "# Generated by bench/scripts/safetensors_interop.py with torch "
        f"{torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}",
        f"# Regenerate (from the repo root): {REGEN}",
        "# Values of torch_small_state.safetensors: state_dict() of "
        "f = Sequential(Conv2d(1,4,3,1), ReLU(), Linear(6,3))",
        "# after torch.manual_seed(0) and PyTorch's default initialisation",
        "# Format: key<TAB>space-separated values; floats are exact float32 values "
        "(repr of the double); tensors flattened row-major",
        "# Shapes: " + ", ".join(f"{k} {list(v.shape)}" for k, v in state.items()),
    ]
    for key, value in state.items():
        values = " ".join(repr(float(v)) for v in value.reshape(-1).tolist())
        lines.append(f"{key}\t{values}")
    with open(SMALL_TXT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def write_mode(keep_mnist):
    check_encoder()
    os.makedirs(GOLDEN, exist_ok=True)

    # The MNIST model: written, read back and loaded into PyTorch, then
    # (unless --keep-mnist) deleted, because it is too big to commit.
    mnist_state = seeded(MnistNet).state_dict()
    assert list(mnist_state) == MNIST_KEYS, list(mnist_state)
    data = write_file(MNIST_OUT, mnist_state, METADATA)
    print(f"wrote {MNIST_OUT}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    read_mode(MNIST_OUT)
    if keep_mnist:
        print(f"kept {MNIST_OUT} (--keep-mnist): do not commit it")
    else:
        os.remove(MNIST_OUT)
        print(f"deleted {MNIST_OUT} (too big to commit; --keep-mnist keeps it)")

    # The small model: the committed test file and its text twin.
    small_state = seeded(SmallNet).state_dict()
    assert list(small_state) == SMALL_KEYS, list(small_state)
    data = write_file(SMALL_OUT, small_state, METADATA)
    print(f"wrote {SMALL_OUT}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    write_small_text(small_state)
    print(f"wrote {SMALL_TXT}: {os.path.getsize(SMALL_TXT)} bytes")


def main(argv):
    usage = ("usage: safetensors_interop.py [write [--keep-mnist]]\n"
             "       safetensors_interop.py read FILE")
    mode = argv[0] if argv else "write"
    rest = argv[1:]
    if mode == "write" and rest in ([], ["--keep-mnist"]):
        write_mode(keep_mnist=bool(rest))
    elif mode == "read" and len(rest) == 1:
        try:
            read_mode(rest[0])
        except FormatError as e:
            print(f"{rest[0]}: not a valid safetensors file: {e}", file=sys.stderr)
            return 1
    else:
        print(usage, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
