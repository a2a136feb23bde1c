#!/usr/bin/env python3
"""torch_forward_bench.py : the PyTorch side of `lmc bench coding` (cli/cmd_bench_coding.c runs it).

Protocol: the float model of DESIGN.md §2 as bench/torch_model.py writes it (batched, PyTorch's
fused ops; checked against the float64 oracle test/model/torch_check.py), in float32, from the
weights of MODEL (the float model the coding model was quantised from).
torch.set_num_threads(THREADS) (default 2), torch.no_grad(). BATCH windows of CONTEXT bytes of
seeded random bytes (the forward's cost does not depend on them), log-softmax rows included,
timed two ways a PyTorch user would run it: the whole batch in one call, and one window per call.
Each way runs WARMUP untimed passes, then BATCHES timed passes. The faster way is the baseline.
Prints one JSON object: tokens_per_s = BATCHES*BATCH*CONTEXT / wall seconds of the faster way.
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
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--context", type=int, default=0, help="window length (0: the model's context)")
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta, w = tm.load(a.model)
    T = a.context or int(meta["context"])
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (a.batch, T), generator=g)

    def run(micro):
        s = 0.0
        for b in range(0, a.batch, micro):
            s += float(tm.forward_batch(meta, w, data[b : b + micro])[:, -1, 0].sum())
        return s

    modes = {}
    with torch.no_grad():
        for name, micro in (("whole_batch", a.batch), ("per_window", 1)):
            for _ in range(a.warmup):
                run(micro)
            t0 = time.perf_counter()
            for _ in range(a.batches):
                run(micro)
            sec = time.perf_counter() - t0
            modes[name] = {"tokens_per_s": a.batches * a.batch * T / sec, "seconds": sec}
    best = max(modes, key=lambda m: modes[m]["tokens_per_s"])
    print(json.dumps({"tokens_per_s": modes[best]["tokens_per_s"], "mode": best, "modes": modes,
                      "seconds": modes[best]["seconds"], "batches": a.batches, "batch": a.batch, "context": T,
                      "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
