#!/usr/bin/env python3
"""torch_forward_bench.py : the PyTorch side of `lmc bench coding` (cli/cmd_bench_coding.c runs it).

Protocol: the float model of DESIGN.md §2 exactly as test/model/torch_check.py defines it (its
forward() is imported, not rewritten), in float32, from the weights of MODEL (the float model the
coding model was quantised from). torch.set_num_threads(THREADS) (default 2), torch.no_grad().
WARMUP batches are run and not timed, then BATCHES timed batches of BATCH windows of CONTEXT
bytes of seeded random bytes (the forward's cost does not depend on them), each window a
forward() call as torch_check defines it (log-softmax rows included). Prints one JSON object:
tokens_per_s = BATCHES*BATCH*CONTEXT / wall seconds.
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
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--context", type=int, default=0, help="window length (0: the model's context)")
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta, w64 = tc.load_safetensors(a.model)
    w = {k: v.float() for k, v in w64.items()}
    T = a.context or int(meta["context"])
    g = torch.Generator().manual_seed(1)
    data = torch.randint(0, 256, (a.batch, T), generator=g).tolist()

    def run():
        s = 0.0
        for b in range(a.batch):
            s += float(tc.forward(meta, w, data[b])[-1, 0])
        return s

    with torch.no_grad():
        for _ in range(a.warmup):
            run()
        t0 = time.perf_counter()
        for _ in range(a.batches):
            run()
        sec = time.perf_counter() - t0
    print(json.dumps({"tokens_per_s": a.batches * a.batch * T / sec, "seconds": sec, "batches": a.batches,
                      "batch": a.batch, "context": T, "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
