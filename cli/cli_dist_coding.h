/* cli_dist_coding.h : `lmc compress` / `lmc decompress` of one regular file by every rank of an
 * MPI job (docs/scale-out.md), writing the same .lmc (or original) bytes as one process would.
 * The file's checksum groups (codec/FORMAT.md §3) are cut into blocks of whole, contiguous
 * groups, dealt to the ranks round-robin (block b to rank b mod N); each rank codes its blocks as
 * streams of their own, and rank 0 writes the blocks' frames in block order as they arrive, then
 * the index and trailer of the whole. Memory per rank: one block (at most 64 windows) and the
 * 4-byte record length of every window (rank 0, for the index).
 * A failure on any rank aborts the job (cli_dist_finish) with that rank's message; rank 0's
 * output lives under its temporary name until it is complete (cli_coding.h). */
#ifndef LMC_CLI_DIST_CODING_H
#define LMC_CLI_DIST_CODING_H

#include <stdint.h>

#include "cli_coding.h"
#include "lmc/lmc.h"

typedef struct cli_dist_coding_result {
    uint64_t in_bytes, out_bytes, windows, stored_windows;
} cli_dist_coding_result;

/* cli_dist_code_file() : code in_path (a regular file) into `out` (opened by rank 0 only; NULL
 * on the other ranks) with `model` on `device`; window W for compression (ignored when
 * decompressing). progress (rank 0, may be NULL) is updated per block. On rank 0 *res says
 * what was written. @return LMC_OK, or an error with detail (the caller aborts the job). */
lmc_status cli_dist_code_file(int decompress, const char *in_path, cli_output *out, const lmc_exact_model *model,
                              lmc_device *device, uint32_t window, cli_progress *progress,
                              cli_dist_coding_result *res);

#endif /* LMC_CLI_DIST_CODING_H */
