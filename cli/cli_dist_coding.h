/* cli_dist_coding.h : `lmc compress` / `lmc decompress` of one regular file, and the coding rows
 * of `lmc eval`, by every rank of an MPI job (docs/scale-out.md), giving the same .lmc (or
 * original) bytes as one process would.
 * The input's checksum groups (codec/FORMAT.md §3) are cut into blocks of whole, contiguous
 * groups, dealt to the ranks round-robin (block b to rank b mod N); each rank codes its blocks as
 * streams of their own, and rank 0 writes the blocks' frames in block order as they arrive, then
 * the index and trailer of the whole. Memory per rank: one block (the fewest whole groups
 * holding at least 64 windows: 64 windows of 2048 bytes by default, one group of 1024 with
 * W = 64) and, on rank 0, the 4-byte record length of every window (for the index).
 * A failure on any rank is returned on that rank; the caller aborts the job (cli_dist_finish)
 * with its message, and rank 0's output lives under its temporary name until it is complete
 * (cli_coding.h). In a job of one process the same code runs with every block on rank 0. */
#ifndef LMC_CLI_DIST_CODING_H
#define LMC_CLI_DIST_CODING_H

#include <stdint.h>

#include "cli_coding.h"
#include "lmc/lmc.h"

typedef struct cli_dist_coding_result {
    uint64_t in_bytes, out_bytes, windows, stored_windows;
    uint64_t payload_bytes; /* as lmc_codec_stats.payload_bytes, summed over blocks */
    uint64_t model_bytes;   /* as lmc_codec_stats.model_bytes (the encoder's: every window's coded size) */
} cli_dist_coding_result;

/* The input every rank reads its blocks from: a regular file, or bytes every rank holds. */
typedef struct cli_dist_input {
    lmc_read_at_fn read_at;
    void *user;
    uint64_t size;    /* bytes */
    const char *name; /* for messages */
} cli_dist_input;

/* Bytes in memory as an input (every rank holds them: lmc eval's dataset and its stream). */
typedef struct cli_dist_bytes {
    const uint8_t *p;
    size_t n;
} cli_dist_bytes;

/* cli_dist_input_bytes() : an input reading b (borrowed: b and its bytes outlive the input). */
cli_dist_input cli_dist_input_bytes(const cli_dist_bytes *b, const char *name);

/* Progress on rank 0, after each block and at the end (final = 1): input bytes consumed, output
 * bytes written. */
typedef void (*cli_dist_progress_fn)(void *user, uint64_t in_done, uint64_t out_done, int final);

/* cli_dist_code() : code `in` with `model` on `device` (window W for compression, ignored when
 * decompressing); rank 0 writes the output through `write` (NULL on the other ranks), in order.
 * progress (rank 0, may be NULL) is called per block. On rank 0 *res says what was written.
 * @return LMC_OK, or an error with detail (the caller aborts the job). */
lmc_status cli_dist_code(int decompress, const cli_dist_input *in, lmc_write_fn write, void *wuser,
                         const lmc_exact_model *model, lmc_device *device, uint32_t window,
                         cli_dist_progress_fn progress, void *puser, cli_dist_coding_result *res);

/* cli_dist_code_file() : cli_dist_code() of in_path (a regular file) into `out` (opened by rank
 * 0 only; NULL on the other ranks), with a cli_progress (rank 0, may be NULL). */
lmc_status cli_dist_code_file(int decompress, const char *in_path, cli_output *out, const lmc_exact_model *model,
                              lmc_device *device, uint32_t window, cli_progress *progress,
                              cli_dist_coding_result *res);

#endif /* LMC_CLI_DIST_CODING_H */
