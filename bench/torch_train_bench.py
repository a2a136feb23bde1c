#!/usr/bin/env python3
"""torch_train_bench.py : the PyTorch side of `lmc bench train` (cli/cmd_bench.c runs it).

Protocol: the model of DESIGN.md §2 exactly as test/model/torch_check.py defines it (its
forward() is imported, not rewritten), in float32, from the weights of MODEL (a safetensors file
lmc wrote: the same initialisation lmc's bench starts from). torch.set_num_threads(THREADS)
(default 2, the machine's cores). One training step = BATCH windows of CONTEXT random bytes
(seeded), forward of each window, mean cross-entropy, backward, Adam (lr 1e-3), the same work
as one lmc_trainer_step without clipping. WARMUP steps are run and not timed, then STEPS steps
are timed by wall clock. Prints one JSON object: tokens_per_s = STEPS*BATCH*CONTEXT / seconds.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "model"))
import torch_check as tc  # noqa: E402

_positions64 = tc.positions
tc.positions = lambda T, C, quirk=True: _positions64(T, C, quirk).float()  # float32 throughout


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
    meta, w64 = tc.load_safetensors(a.model)
    w = {k: v.float().clone().requires_grad_(True) for k, v in w64.items()}
    opt = torch.optim.Adam(list(w.values()), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (a.batch, a.context), generator=g).tolist()

    def step():
        opt.zero_grad()
        loss = 0.0
        for b in range(a.batch):
            logp = tc.forward(meta, w, data[b])
            tgt = torch.tensor(data[b], dtype=torch.long)
            loss = loss - logp[torch.arange(a.context), tgt].mean() / a.batch
        loss.backward()
        opt.step()
        return float(loss)

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sec = time.perf_counter() - t0
    print(json.dumps({"tokens_per_s": a.steps * a.batch * a.context / sec, "seconds": sec, "steps": a.steps,
                      "batch": a.batch, "context": a.context, "threads": a.threads, "loss": loss,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
