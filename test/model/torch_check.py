#!/usr/bin/python3
"""torch_check.py : an independent check of lmc's architecture (DESIGN.md §2) with PyTorch.

Builds the model from the design text alone (no lmc code): reads our safetensors file with its
own parser, runs the forward pass in float64 and compares the log-probabilities with those lmc's
cpu-ref forward writes (test/model/model_tool.c), on real text (the corpora, docs/PAPER.md) or, when
the corpora are absent, on generated text. Passes when max |ours - torch| <= 1e-4 everywhere.
Negative control: the same model with the position quirk "fixed" (C/2 sines then C/2 cosines)
must disagree by more than the tolerance, so the comparison can fail.

Run with Debian's interpreter: /usr/bin/python3 torch_check.py --tool BUILD/.../model_tool
"""
import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile

import torch

TOL = 1e-4


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__")
    data = blob[8 + n :]
    tensors = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", name
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).to(torch.float64)
        tensors[name] = t.reshape(e["shape"])
    return meta, tensors


def positions(T, C, quirk=True):
    """DESIGN.md §2: freqs f = 0, 2, ..., <= C; angle = p * 10000^(-f/C); concat(sin, cos)[:C]."""
    f = torch.arange(0, C + 1, 2, dtype=torch.float64)  # C/2 + 1 values
    if not quirk:  # the textbook variant: C/2 frequencies, C/2 sines then C/2 cosines
        f = f[: C // 2]
    p = torch.arange(T, dtype=torch.float64)[:, None]
    angle = p * torch.pow(torch.tensor(10000.0, dtype=torch.float64), -f / C)[None, :]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)[:, :C]


def layer_norm(x, scale, offset):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * scale + offset


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def forward(meta, w, data, quirk=True):
    C, L, NH = int(meta["d_model"]), int(meta["n_layers"]), int(meta["n_heads"])
    T = len(data)
    inp = torch.tensor([0] + list(data[:-1]), dtype=torch.long)  # shifted right, BOS 0
    h = w["embed"][inp] * math.sqrt(C) + positions(T, C, quirk)
    hs = C // NH
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(L):
        g = lambda n: w[f"layer{i}.{n}"]
        q = (h @ g("attn.wq")).reshape(T, NH, hs).transpose(0, 1)
        k = (h @ g("attn.wk")).reshape(T, NH, hs).transpose(0, 1)
        v = (h @ g("attn.wv")).reshape(T, NH, hs).transpose(0, 1)
        s = q @ k.transpose(1, 2) / math.sqrt(hs)
        s = s.masked_fill(~mask, float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, C)
        a = layer_norm(h + y @ g("attn.wo"), g("ln1.scale"), g("ln1.offset"))
        f = gelu_tanh(a @ g("ffn.w1") + g("ffn.b1")) @ g("ffn.w2") + g("ffn.b2")
        h = layer_norm(a + f, g("ln2.scale"), g("ln2.offset"))
    logits = h @ w["out.w"] + w["out.b"]
    return torch.log_softmax(logits, dim=-1)


def text_source(data_dir, tmp):
    """(path, size) of real text, or a generated file when the corpora are absent."""
    if data_dir:
        for rel in ("text/eval/enwik8_bytes_2604491-4154399.xml",):
            p = os.path.join(data_dir, rel)
            if os.path.isfile(p):
                return p, os.path.getsize(p), "real"
        evald = os.path.join(data_dir, "text", "eval")
        if os.path.isdir(evald):
            for n in sorted(os.listdir(evald)):
                p = os.path.join(evald, n)
                if os.path.isfile(p) and os.path.getsize(p) > 100000:
                    return p, os.path.getsize(p), "real"
    rng = random.Random(1)
    words = ["the", "model", "of", "compression", "is", "a", "language", "byte", "and", "<page>", "</title>"]
    text = " ".join(rng.choice(words) for _ in range(40000)).encode()
    p = os.path.join(tmp, "generated.txt")
    with open(p, "wb") as f:
        f.write(text)
    return p, len(text), "generated"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--data-dir", default="", help="corpora folder; $LMC_DATA_DIR wins when set")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = os.environ.get("LMC_DATA_DIR") or args.data_dir
        src, size, kind = text_source(data_dir if os.path.isdir(data_dir or "") else "", tmp)
        print(f"text: {kind} ({src})")
        for preset, T, seed in (("tiny", 64, 1), ("200k", 192, 2)):
            model = os.path.join(tmp, preset + ".safetensors")
            subprocess.run([args.tool, "init", preset, str(seed), "0.2", model], check=True)
            meta, w = load_safetensors(model)
            assert meta["format"] == "lmc-float-1"
            for j, offset in enumerate((0, size // 2 - T)):
                out = os.path.join(tmp, "lp.f32")
                subprocess.run([args.tool, "logprobs", model, src, str(offset), str(T), out], check=True)
                with open(out, "rb") as f:
                    ours = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).to(torch.float64).reshape(T, 256)
                with open(src, "rb") as f:
                    f.seek(offset)
                    data = f.read(T)
                ref = forward(meta, w, data)
                diff = (ours - ref).abs().max().item()
                wrong = (ours - forward(meta, w, data, quirk=False)).abs().max().item()
                spread = (ref.max(-1).values - ref.min(-1).values).mean().item()
                print(f"{preset} window {j} (T={T}): max |lmc - torch| = {diff:.3g} (tolerance {TOL}); "
                      f"textbook positions differ by {wrong:.3g}; mean logit spread {spread:.3g}")
                if not diff <= TOL:
                    print("FAIL: log-probabilities disagree")
                    ok = False
                if not wrong > TOL:
                    print("FAIL: negative control: a different position encoding was not detected")
                    ok = False
    print("torch_check:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
