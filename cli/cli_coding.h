/* cli_coding.h : what `lmc compress`, `lmc decompress` and `lmc verify` share: the reader that
 * peeks at a .lmc header, the coding model a stream names, the codec predictor, progress on a
 * terminal, and the atomic output file.
 * Key invariant: an output file only ever appears under its final name complete and synced;
 * until then it lives under a temporary name in the same folder, removed on any error and by
 * the handler of SIGINT, SIGTERM and SIGHUP (which then dies of the same signal). */
#ifndef LMC_CLI_CODING_H
#define LMC_CLI_CODING_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lmc/lmc.h"

/* Windows per device call of the exact predictor. runtime/exact/exact_predictor.c will take 0 as
 * "choose from the device's memory"; switch this to 0 when it does. */
#define CLI_PREDICTOR_MAX_WINDOWS 0

#define CLI_LMC_HEADER_BYTES 60 /* codec/FORMAT.md §2 */

/* A read callback over a FILE * that first hands out the bytes peeked at, and counts. */
typedef struct cli_reader {
    FILE *in;
    uint8_t head[CLI_LMC_HEADER_BYTES];
    size_t head_len, head_pos;
    uint64_t consumed; /* bytes handed to the codec so far */
    int error_no;      /* errno of a failed read, 0 if none */
} cli_reader;

/* cli_reader_init() : wrap `in`; with peek, read the first header's worth of bytes now. */
void cli_reader_init(cli_reader *r, FILE *in, int peek);

/* cli_reader_read() : an lmc_read_fn over a cli_reader. */
lmc_status cli_reader_read(void *user, void *data, size_t cap, size_t *got);

/* cli_reader_model_id() : 1 and the model id when the peeked bytes start a .lmc header. */
int cli_reader_model_id(const cli_reader *r, uint8_t id[LMC_MODEL_ID_SIZE]);

/* cli_open_decode_model() : the model to decode a stream with: `model_name` when given, else
 * the built-in whose id the peeked header names (the default model when the input is not a
 * .lmc stream, so that the decoder names what is wrong with it). */
lmc_status cli_open_decode_model(const char *model_name, const cli_reader *r, lmc_exact_model **out);

/* cli_model_mismatch() : replace the codec's LMC_ERR_MODEL_MISMATCH detail by one that says
 * which model the stream needs and that -m must name it. @return LMC_ERR_MODEL_MISMATCH. */
lmc_status cli_model_mismatch(const cli_reader *r, const lmc_exact_model *m, const char *model_name);

/* cli_predictor_create() : the exact predictor of `m` on `device` with the CLI's batch size. */
lmc_status cli_predictor_create(const lmc_exact_model *m, lmc_device *device, lmc_predictor **out);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* "1.2 MiB", "512 B": binary units for people. */
void cli_format_bytes(double bytes, char *out, size_t cap);

/* One progress line on stderr, redrawn at most 4 times a second, cleared at the end. */
typedef struct cli_progress {
    int enabled;
    const char *label;
    uint64_t total; /* 0 when unknown */
    double t0, last;
    int drawn;
} cli_progress;

void cli_progress_start(cli_progress *p, int enabled, const char *label, uint64_t total);
/* cli_progress_update() : `done` input bytes of `total` consumed, `produced` output bytes;
 * final: draw now (the last state, then cli_progress_clear()). */
void cli_progress_update(cli_progress *p, uint64_t done, uint64_t produced, int final);
void cli_progress_clear(cli_progress *p);

/* The output of one file: stdout, a device file written in place (/dev/null), or a regular
 * file written under a temporary name and renamed on commit. */
typedef struct cli_output {
    FILE *f;
    const char *path; /* the final name; NULL for stdout */
    int is_stdout, in_place, force;
    uint64_t written;
} cli_output;

/* cli_signals_install() : the handler that removes the temporary file on SIGINT, SIGTERM and
 * SIGHUP and re-raises the signal (signals ignored at start stay ignored). */
void cli_signals_install(void);

/* cli_output_check() : refuse early (before any work) an output that exists without `force`,
 * a folder, or the input itself (`in_path`, may be NULL). */
lmc_status cli_output_check(const char *path, int force, const char *in_path);

/* cli_output_open() : start the output `path` (NULL: stdout) with permission bits `mode`. */
lmc_status cli_output_open(cli_output *o, const char *path, int force, mode_t mode);

/* cli_output_write() : an lmc_write_fn over a cli_output. */
lmc_status cli_output_write(void *user, const void *data, size_t n);

/* cli_output_commit() : flush, fsync and give the file its final name (without force, never
 * over a file that appeared meanwhile). On failure the temporary file is gone. */
lmc_status cli_output_commit(cli_output *o);

/* cli_output_abort() : close and remove the temporary file (nothing for stdout). */
void cli_output_abort(cli_output *o);

#endif /* LMC_CLI_CODING_H */
