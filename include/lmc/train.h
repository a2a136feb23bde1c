/* train.h : training a model (DESIGN.md §2) on any device, cpu-ref included, with exact resume.
 *
 * A trainer owns the weights, Adam's moments, the step counter and its own random generator
 * (which picks the training windows). One step = B random windows of T bytes of the training
 * data (targets; the input is them shifted right with BOS 0), forward, backward, optional global
 * gradient-norm clipping, Adam at the scheduled learning rate.
 * Determinism: the same (params, data, device) gives the same loss at every step and the same
 * weights; a checkpoint holds everything that evolves (weights, moments, step, generator), so a
 * run resumed from it matches the uninterrupted run exactly. */
#ifndef LMC_TRAIN_H
#define LMC_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/device.h"
#include "lmc/model.h"
#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lmc_schedule {
    LMC_SCHEDULE_COSINE = 0,  /* linear warmup, then cosine decay to 10% of lr at the last step */
    LMC_SCHEDULE_CONSTANT = 1 /* linear warmup, then lr */
} lmc_schedule;

typedef struct lmc_train_params {
    lmc_model_config config; /* the model; config.context is the longest window */
    uint64_t seed;           /* initialisation and window sampling */
    int batch;               /* B windows per step */
    int window;              /* T bytes per window, 1..config.context */
    long steps;              /* total steps of the run (the schedule's length) */
    float lr;                /* peak learning rate */
    long warmup;             /* steps of linear warmup */
    lmc_schedule schedule;
    float grad_clip; /* clip the global gradient norm to this; 0 = off */
    float beta1, beta2, eps;
    /* M micro-batches of batch/M windows each (M divides batch; 0 counts as 1). The gradient is
     * the sum of the M micro-batches' gradients in a fixed tree over micro-batch index
     * (lmc_train_tree_sum), so a run is a function of M, never of how many processes share the
     * micro-batches (lmc_trainer_set_exchange). M = 1 is the whole batch at once. */
    int micro_batches;
} lmc_train_params;

/* Defaults: 200k preset, seed 1, B 16, T 256, 1000 steps, lr 1e-3, warmup 100, cosine, clip 1,
 * Adam 0.9/0.999/1e-8, 1 micro-batch. */
lmc_train_params lmc_train_params_default(void);

/* lmc_train_params_check() : LMC_OK or LMC_ERR_INVALID_ARGUMENT naming the bad field. */
lmc_status lmc_train_params_check(const lmc_train_params *p);

/* lmc_train_lr() : the learning rate of step s (1-based) under p's schedule. */
float lmc_train_lr(const lmc_train_params *p, long s);

typedef struct lmc_trainer lmc_trainer;

/* lmc_trainer_create() : a trainer on `device` (borrowed: it must outlive the trainer), starting
 * from a model initialised from p->seed. @return LMC_OK with *out (lmc_trainer_destroy()). */
lmc_status lmc_trainer_create(lmc_device *device, const lmc_train_params *p, lmc_trainer **out);

/* lmc_trainer_resume() : a trainer continuing the run saved in checkpoint `path`; its params are
 * the checkpoint's. @return LMC_OK; LMC_ERR_IO / NOT_FOUND; LMC_ERR_CORRUPT (bad CRC or sizes),
 * LMC_ERR_FORMAT (not a checkpoint), LMC_ERR_VERSION. */
lmc_status lmc_trainer_resume(lmc_device *device, const char *path, lmc_trainer **out);

/* lmc_trainer_create_from() : the same, starting from the weights of `init` (borrowed) instead of
 * a fresh initialisation: fine-tuning, or continuing a model with a new run's settings (another
 * window, batch or schedule) with fresh Adam moments. init's d_model, layers and heads must equal
 * p->config's (its context may differ: positions are sinusoidal, not learned).
 * @return LMC_OK; LMC_ERR_INVALID_ARGUMENT naming the mismatch. */
lmc_status lmc_trainer_create_from(lmc_device *device, const lmc_train_params *p, const lmc_model *init,
                                   lmc_trainer **out);

void lmc_trainer_destroy(lmc_trainer *t); /* accepts NULL */

/* lmc_trainer_step() : one step on windows drawn from data[0..n) (n >= window).
 * *loss (may be NULL): the mean cross-entropy in nats of this batch, before the update. */
lmc_status lmc_trainer_step(lmc_trainer *t, const uint8_t *data, size_t n, float *loss);

/* lmc_trainer_step_aligned() : the same with every window starting at a multiple of `align`
 * (uniform over those at which a whole window fits): 2048 keeps the windows of chunked image and
 * audio streams on their chunk boundaries, so the model trains on what `lmc eval` codes. align 1
 * is lmc_trainer_step itself, draw for draw. LMC_ERR_INVALID_ARGUMENT for align 0. */
lmc_status lmc_trainer_step_aligned(lmc_trainer *t, const uint8_t *data, size_t n, size_t align, float *loss);

/* lmc_trainer_peek_windows() : the starts (batch of them, into starts[]) of the windows that the
 * next lmc_trainer_step_aligned(t, data, n, align) will take, computed from a copy of the
 * generator: the trainer is not changed. For tests and logs that show where a run samples. */
lmc_status lmc_trainer_peek_windows(const lmc_trainer *t, size_t n, size_t align, size_t *starts);

/* lmc_trainer_eval() : mean bits per byte over windows of T bytes of data[0..n), forward only:
 * all its non-overlapping windows from the start (a last partial one skipped) when there are at
 * most max_windows of them (or max_windows <= 0), else max_windows of them spread evenly
 * (window w is the (w * slots / max_windows)-th of the `slots` non-overlapping ones).
 * LMC_ERR_INVALID_ARGUMENT when data holds less than one window. */
lmc_status lmc_trainer_eval(lmc_trainer *t, const uint8_t *data, size_t n, int max_windows, double *bits_per_byte);

/* lmc_trainer_eval_aligned() : the same with the non-overlapping windows at multiples of S, S the
 * first multiple of `align` >= T: with align 2048 each window is the first T bytes of its own chunk. align 1 is
 * lmc_trainer_eval. LMC_ERR_INVALID_ARGUMENT for align 0 or less than one window of data. */
lmc_status lmc_trainer_eval_aligned(lmc_trainer *t, const uint8_t *data, size_t n, size_t align,
                                    int max_windows, double *bits_per_byte);
/* ---- data-parallel steps (docs/scale-out.md) ----
 * Several processes (MPI ranks) train one run: every process holds the whole trainer and draws
 * the same windows; process r of `size` computes the gradients of the contiguous micro-batches
 * lmc_train_micro_range(M, r, size) only, and an exchange combines every micro-batch's gradient
 * into the same sum on every process, which then clips and steps Adam identically. */

/* lmc_train_micro_range() : the micro-batches [*first, *first + *count) of process `rank` among
 * `size`: contiguous, in rank order, counts differing by at most one (some may be 0 when M < size). */
void lmc_train_micro_range(int micro_batches, int rank, int size, int *first, int *count);

/* lmc_train_tree_sum() : rows (count, n), row-major, summed element by element in the fixed
 * pairwise tree over row index (stride 1, 2, 4, ...: rows[i] += rows[i + stride] for i a multiple
 * of 2·stride), in place; the sum is left in row 0. The float result is a function of the rows
 * alone, whatever process or slice of n computes it. count 0 leaves nothing to read. */
void lmc_train_tree_sum(float *rows, int count, size_t n);

/* lmc_train_exchange : how one process's micro-batch gradients meet the others'. reduce() gets
 * this process's `count` partial gradients (count, n) of micro-batches [first, first + count)
 * and their loss sums (Σ -log p in double); it must leave in grad (n floats) the
 * lmc_train_tree_sum over all M micro-batches' gradients, and in *loss_sum the sum of the M loss
 * sums in micro-batch order, the same bits on every process. It may overwrite parts. */
typedef struct lmc_train_exchange {
    int rank, size;
    lmc_status (*reduce)(void *ctx, int micro_batches, int first, int count, size_t n, float *parts,
                         const double *loss_sums, float *grad, double *loss_sum);
    void *ctx;
} lmc_train_exchange;

/* lmc_trainer_set_exchange() : share the run's micro-batches with other processes through x
 * (copied; NULL: this process alone, the default). */
lmc_status lmc_trainer_set_exchange(lmc_trainer *t, const lmc_train_exchange *x);

/* lmc_trainer_steps_done() : steps taken since the run began (resumed steps included). */
long lmc_trainer_steps_done(const lmc_trainer *t);
const lmc_train_params *lmc_trainer_params(const lmc_trainer *t);

/* lmc_trainer_model() : a copy of the current weights. Caller owns *out (lmc_model_destroy()). */
lmc_status lmc_trainer_model(lmc_trainer *t, lmc_model **out);

/* lmc_trainer_checkpoint() : write params, weights, Adam moments, step and generator state to
 * `path`, atomically (temporary + fsync + rename), deterministically, with a CRC-32. */
lmc_status lmc_trainer_checkpoint(lmc_trainer *t, const char *path);

/* lmc_model_code_length() : the ideal code length in bits of `n_chunks` chunks of `chunk_len`
 * bytes (consecutive in `bytes`, each coded on its own from BOS; chunk_len <= the model's
 * context) under the float model: each byte's row of log-probabilities rounded to Q16, through
 * the codec's quantiser lmc_quantize_row, costs -log2(freq[byte] / 2^16). The forward runs on
 * `device` (NULL or cpu-ref: the reference). Nothing is written. Into *bits. */
lmc_status lmc_model_code_length(const lmc_model *model, lmc_device *device, const uint8_t *bytes,
                                 size_t n_chunks, size_t chunk_len, double *bits);

#ifdef __cplusplus
}
#endif
#endif /* LMC_TRAIN_H */
