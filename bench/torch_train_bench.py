#!/usr/bin/env python3
"""torch_train_bench.py : the PyTorch side of `lmc bench train` (cli/cmd_bench.c runs it).

Protocol: the model of DESIGN.md §2 as bench/torch_model.py writes it (batched, PyTorch's fused
ops; checked against the float64 oracle test/model/torch_check.py), in float32, from the weights
of MODEL (a safetensors file lmc wrote: the same initialisation lmc's bench starts from).
torch.set_num_threads(THREADS) (default 2, the machine's cores). One training step = one batch
of BATCH windows of CONTEXT random bytes (seeded), one batched forward, mean cross-entropy,
backward, Adam (lr 1e-3): the same work as one lmc_trainer_step without clipping. WARMUP steps are run and not timed, then STEPS steps
are timed by wall clock. Prints one JSON object: tokens_per_s = STEPS*BATCH*CONTEXT / seconds.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_model as tm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta, w = tm.load(a.model)
    for v in w.values():
        v.requires_grad_(True)
    opt = torch.optim.Adam(list(w.values()), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (a.batch, a.context), generator=g)

    def step(micro):
        """One optimiser step over the batch, `micro` windows per forward/backward (gradient
        accumulation: the same gradient, less memory for the (micro, NH, T, T) scores)."""
        opt.zero_grad()
        total = 0.0
        for b in range(0, a.batch, micro):
            part = data[b : b + micro]
            logp = tm.forward_batch(meta, w, part)  # (micro, T, 256)
            loss = torch.nn.functional.nll_loss(logp.reshape(-1, 256), part.reshape(-1)) * (len(part) / a.batch)
            loss.backward()
            total += float(loss)
        opt.step()
        return total

    # Both ways a PyTorch user would write it: the whole batch in one graph, or one window at a
    # time with accumulated gradients. The faster one is the baseline.
    modes = {}
    for name, micro in (("whole_batch", a.batch), ("per_window", 1)):
        for _ in range(a.warmup):
            step(micro)
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step(micro)
        sec = time.perf_counter() - t0
        modes[name] = {"tokens_per_s": a.steps * a.batch * a.context / sec, "seconds": sec, "loss": loss}
    best = max(modes, key=lambda m: modes[m]["tokens_per_s"])
    print(json.dumps({"tokens_per_s": modes[best]["tokens_per_s"], "mode": best, "modes": modes, "steps": a.steps,
                      "batch": a.batch, "context": a.context, "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
