"""torch_model.py : the model of DESIGN.md §2 as a PyTorch user would write it, batched.

This is the peer the benchmarks compare against (bench/torch_train_bench.py and
bench/torch_forward_bench.py import it): a whole batch of windows per call, (B, T) bytes in,
(B, T, 256) log-probabilities out, with PyTorch's own fused ops (F.layer_norm, F.gelu tanh form,
softmax). The attention comes two ways: "written" (scores, causal mask, softmax, @ v, the
(B, NH, T, T) matrix in memory) and "sdpa" (F.scaled_dot_product_attention(is_causal=True),
PyTorch 2.x's fused CPU attention, no (T, T) matrix). test/model/torch_check.py is the float64
oracle of the same maths, one window at a time; test_torch_model() below checks that every
attention agrees with it, so the benchmark times the right model.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "model"))
import torch_check as tc  # noqa: E402


def load(path, dtype=torch.float32):
    """(meta, weights) of a lmc-float-1 safetensors file, weights as `dtype` tensors."""
    meta, w64 = tc.load_safetensors(path)
    return meta, {k: v.to(dtype).contiguous() for k, v in w64.items()}


ATTENTIONS = ("written", "sdpa")


def has_sdpa():
    """PyTorch >= 2.0 has F.scaled_dot_product_attention (Debian's 1.13 does not)."""
    return hasattr(F, "scaled_dot_product_attention")


def forward_batch(meta, w, targets, attention="written"):
    """targets (B, T) long -> log-probabilities (B, T, 256); the input is targets shifted right
    with BOS 0 (DESIGN.md §2). attention: "written" or "sdpa" (see the module's docstring)."""
    assert attention in ATTENTIONS, attention
    C, L, NH = int(meta["d_model"]), int(meta["n_layers"]), int(meta["n_heads"])
    B, T = targets.shape
    hs = C // NH
    dt = w["embed"].dtype
    inp = torch.cat([torch.zeros(B, 1, dtype=torch.long), targets[:, :-1]], dim=1)
    pos = tc.positions(T, C).to(dt)  # (T, C)
    h = w["embed"][inp] * math.sqrt(C) + pos  # (B, T, C)
    if attention == "written":
        causal = torch.full((T, T), float("-inf"), dtype=dt).triu(1)  # (T, T), -inf above the diagonal
    for i in range(L):
        g = lambda n: w[f"layer{i}.{n}"]  # noqa: E731
        q = (h @ g("attn.wq")).view(B, T, NH, hs).transpose(1, 2)  # (B, NH, T, hs)
        k = (h @ g("attn.wk")).view(B, T, NH, hs).transpose(1, 2)
        v = (h @ g("attn.wv")).view(B, T, NH, hs).transpose(1, 2)
        if attention == "sdpa":  # its default scale is 1/sqrt(hs), as ours
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
        else:
            s = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(hs)) + causal  # (B, NH, T, T)
            y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        a = F.layer_norm(h + y @ g("attn.wo"), (C,), g("ln1.scale"), g("ln1.offset"), 1e-5)
        f = F.gelu(a @ g("ffn.w1") + g("ffn.b1"), approximate="tanh") @ g("ffn.w2") + g("ffn.b2")
        h = F.layer_norm(a + f, (C,), g("ln2.scale"), g("ln2.offset"), 1e-5)
    return torch.log_softmax(h @ w["out.w"] + w["out.b"], dim=-1)


def test_torch_model(path, attention="written"):
    """Max |difference| between forward_batch (float64) and the oracle on two random windows."""
    meta, w = load(path, torch.float64)
    g = torch.Generator().manual_seed(3)
    data = torch.randint(0, 256, (2, 96), generator=g)
    got = forward_batch(meta, w, data, attention)
    return max(float((got[b] - tc.forward(meta, w, data[b].tolist())).abs().max()) for b in range(2))


if __name__ == "__main__":
    # python3 torch_model.py MODEL.safetensors : each attention against the float64 oracle,
    # exit 1 when one differs by more than torch_check's tolerance.
    worst = 0.0
    for att in ATTENTIONS:
        if att == "sdpa" and not has_sdpa():
            print(f"sdpa: not in torch {torch.__version__}")
            continue
        diff = test_torch_model(sys.argv[1], att)
        worst = max(worst, diff)
        print(f"{att}: max |forward_batch - oracle| = {diff:.3g} (float64, tolerance {tc.TOL})")
    sys.exit(0 if worst <= tc.TOL else 1)
