#!/usr/bin/env python3
"""PyTorch beside `./vectorgrad gpt train`: the same character-level GPT's training step, tokens/s.

Run from the repository root in PyTorch's best configuration here:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \\
        /usr/bin/python3 bench/scripts/gpt_torch.py [--threads 1 2] [--steps 30] [--json]

(train_torch.py explains the environment; the script refuses to report unless threadpoolctl shows the
OpenMP build of OpenBLAS.) The model is vectorgrad's examples/Gpt: vocabulary 113, block 128, 4 layers,
4 heads, embedding 128, dropout 0.1, pre-norm blocks, causal attention written out as
softmax(q·kᵀ/√d + mask)·v (PyTorch 1.13 has no fused attention), GELU MLP, the head tied to the token
embedding. The step: AdamW (decay on matrices), loss, backward, clip_grad_norm_(1.0), step, loss.item(),
on random token batches of 32 x 128. Reported: tokens/s after warm-up steps, and cores busy.

With --train it instead trains the model as `./vectorgrad gpt train` does, for comparing the curves: the
same corpus (Debian's fortunes: regular files, not links, without .dat, in name order, UTF-8 with
replacement characters), characters as tokens, 90/10 split by position, random blocks, AdamW(lr 1e-3,
betas (0.9, 0.99), decay 0.1 on matrices), 100 linear warm-up steps from lr/100 then cosine to 1e-4,
clipping at 1.0, train and validation loss every 250 steps on 20 batches each. With --sample N it times
nanoGPT's naive sampling loop (no key/value cache) for N characters.
"""

import argparse
import json
import math
import time

import os

import vector_bits

VECTOR_BITS = vector_bits.apply()  # before torch loads: the width is fixed when the libraries load

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_threads import cpu_seconds, require_openmp_blas, set_threads


class Block(nn.Module):
    def __init__(self, c, heads, block, dropout):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn, self.attn_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.drop = nn.Dropout(dropout)
        self.heads = heads
        self.register_buffer("mask", torch.full((block, block), float("-inf")).triu(1))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, 2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(c // self.heads) + self.mask[:t, :t], -1)
        y = self.drop(att) @ v
        x = x + self.drop(self.attn_proj(y.transpose(1, 2).reshape(b, t, c)))
        return x + self.drop(self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)))))


class Gpt(nn.Module):
    def __init__(self, vocab=113, block=128, layers=4, heads=4, c=128, dropout=0.1):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, c), nn.Embedding(block, c)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList(Block(c, heads, block, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(t)))
        for blk in self.h:
            x = blk(x)
        return F.linear(self.ln_f(x), self.wte.weight)


def run(threads, steps, warmup=5):
    set_threads(threads)
    torch.manual_seed(0)
    model = Gpt().train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    batches = [(torch.randint(0, 113, (32, 128)), torch.randint(0, 113, (32, 128))) for _ in range(8)]

    def step(i):
        x, y = batches[i % 8]
        opt.zero_grad()
        loss = F.cross_entropy(model(x).view(-1, 113), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for i in range(warmup):
        step(i)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for i in range(steps):
        step(i)
    secs = time.perf_counter() - t0
    return 32 * 128 * steps / secs, (cpu_seconds() - cpu0) / secs


def corpus(path):
    import os
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if not n.endswith(".dat")
                       and os.path.isfile(os.path.join(path, n)) and not os.path.islink(os.path.join(path, n)))
        files = [os.path.join(path, n) for n in names]
    else:
        files = [path]
    return "".join(open(f, "rb").read().decode("utf-8", errors="replace") for f in files)


def train(threads, steps, data, seed=1337):
    set_threads(threads)
    text = corpus(data)
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    tr, va = ids[:split], ids[split:]
    torch.manual_seed(seed)
    model = Gpt(vocab=len(vocab)).train()
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            nn.init.normal_(p, 0, 0.02 / math.sqrt(8) if name.endswith(("attn_proj.weight", "mlp_proj.weight")) else 0.02)
        elif name.endswith("bias") and "ln" not in name:
            nn.init.zeros_(p)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    warm = torch.optim.lr_scheduler.LinearLR(opt, 1 / 100, 1.0, 100)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps - 100, 1e-4)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], [100])
    g = torch.Generator().manual_seed(seed)

    def batch(data, gen):
        o = torch.randint(0, len(data) - 128, (32,), generator=gen)
        return torch.stack([data[i:i + 128] for i in o]), torch.stack([data[i + 1:i + 129] for i in o])

    def evaluate():
        model.eval()
        out = []
        with torch.no_grad():
            for d in (tr, va):
                ge = torch.Generator().manual_seed(~seed & 0xFFFFFFFF)
                out.append(sum(F.cross_entropy(model(x).view(-1, len(vocab)), y.view(-1)).item()
                               for x, y in (batch(d, ge) for _ in range(20))) / 20)
        model.train()
        return out

    t0 = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = batch(tr, g)
        opt.zero_grad()
        loss = F.cross_entropy(model(x).view(-1, len(vocab)), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step < steps:
            sched.step()
        if step % 250 == 0 or step == steps:
            t, v = evaluate()
            print(f"step {step}: train loss {t:.4f}, val loss {v:.4f}  ({32 * 128 * step / (time.perf_counter() - t0):.0f} tokens/s)", flush=True)


def sample(threads, tokens):
    """nanoGPT's naive sampling loop (the whole context, up to a block, through the model for each new
    character), temperature 0.8, top-k 40, from an untrained model (the speed does not depend on the
    weights): tokens/s, as `./vectorgrad gpt sample --json` reports it."""
    set_threads(threads)
    torch.manual_seed(0)
    model = Gpt().eval()
    idx = torch.zeros(1, 1, dtype=torch.long)
    t0 = time.perf_counter()
    with torch.no_grad():
        for _ in range(tokens):
            logits = model(idx[:, -128:])[:, -1, :] / 0.8
            v, _ = torch.topk(logits, 40)
            logits[logits < v[:, [-1]]] = -float("inf")
            idx = torch.cat((idx, torch.multinomial(torch.softmax(logits, -1), 1)), 1)
    secs = time.perf_counter() - t0
    print(f"sampling {tokens} characters, {threads} thread(s): {tokens / secs:.1f} tokens/s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--sample", type=int, default=0, help="time nanoGPT's naive sampling of this many characters")
    ap.add_argument("--data", default="/usr/share/games/fortunes")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    blas = require_openmp_blas("gpt_torch.py")
    if VECTOR_BITS:
        print(f"vector width held to {VECTOR_BITS} bits (ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY', '')})")
    if args.train:
        train(args.threads[-1], args.steps, args.data)
        return
    if args.sample:
        for t in args.threads:
            sample(t, args.sample)
        return
    print(f"PyTorch {torch.__version__} ({blas.get('internal_api')} {blas.get('version')}, {blas.get('threading_layer')}), "
          f"GPT training step, batch 32 x block 128")
    print(f"{'threads':>7} {'tokens/s':>10} {'cores':>6}")
    results = []
    for t in args.threads:
        tps, cores = run(t, args.steps)
        print(f"{t:>7} {tps:>10.0f} {cores:>6.2f}", flush=True)
        results.append({"impl": "pytorch", "batch": 32, "block": 128, "threads": t, "tokens_per_s": round(tps, 1)})
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
