/* train.c : the trainer (include/lmc/train.h) over two engines: the plain-C reference (cpu-ref)
 * and the OpenCL device model (model_cl.c). Both run the same step: sample windows with the
 * trainer's own generator, forward, backward, clip, Adam; and the same checkpoint format.
 * Invariant: all state that changes during a run (weights, Adam m and v, step, generator) is in
 * the checkpoint, bit for bit, so resuming is exact on the same device.
 *
 * Micro-batches (lmc_train_params.micro_batches = M > 1, or another process sharing the run): the
 * B windows are M micro-batches of B/M; each micro-batch's gradient is computed on its own by
 * the same device model (B/M windows, d loss scaled by 1/(B·T), the whole batch's mean), so it has
 * the same bits whichever process computes it; the M gradients are summed in the fixed tree of
 * lmc_train_tree_sum over micro-batch index and the loss sums in micro-batch order. M = 1 on one
 * process keeps the gradient on the device (the same arithmetic, without the round trip).
 *
 * Checkpoint format (all integers little-endian):
 *   "LMCCKPT\0" | u32 version = 2 | params: i32 d_model n_layers n_heads context, u64 seed,
 *   i32 batch window, i64 steps, f32 lr, i64 warmup, i32 schedule, f32 grad_clip beta1 beta2 eps,
 *   i32 micro_batches (version 2 only; version 1 means 1) |
 *   i64 step | u64 rng[4] | u64 n_params | f32 weights[n] | f32 m[n] | f32 v[n] |
 *   u32 CRC-32 (IEEE) of every byte before it. A checkpoint holds no process count: a run resumes
 *   on any number of processes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "lmc/train.h"
#include "model_cl.h"
#include "model_internal.h"
#include "ref_model.h"
#include "rng.h"

#define CKPT_MAGIC "LMCCKPT"
#define CKPT_VERSION 2u

struct lmc_trainer {
    lmc_device *dev;
    int on_cl;
    lmc_train_params p;
    lmc_model *model; /* weights; on an OpenCL device only refreshed when asked for */
    size_t n;
    float *grads, *m, *v; /* cpu-ref: the live vectors; OpenCL: transfer buffers */
    lmc_ref_acts *acts, *eval_acts;
    lmc_cl_model *cl, *cl_eval;
    lmc_rng rng;
    long step;
    uint8_t *batch; /* (B,T) */
    int M, Bm;      /* micro-batches and their windows */
    lmc_train_exchange ex;
    float *parts;       /* (count, n): this process's micro-batch gradients */
    double *loss_sums;  /* (M) */
};

lmc_train_params lmc_train_params_default(void) {
    lmc_train_params p;
    memset(&p, 0, sizeof p);
    lmc_model_config_preset("200k", &p.config);
    p.seed = 1;
    p.batch = 16;
    p.window = 256;
    p.steps = 1000;
    p.lr = 1e-3f;
    p.warmup = 100;
    p.schedule = LMC_SCHEDULE_COSINE;
    p.grad_clip = 1.0f;
    p.beta1 = 0.9f;
    p.beta2 = 0.999f;
    p.eps = 1e-8f;
    p.micro_batches = 1;
    return p;
}

lmc_status lmc_train_params_check(const lmc_train_params *p) {
    LMC_RETURN_IF(!p, LMC_ERR_INVALID_ARGUMENT, "no training parameters");
    LMC_TRY(lmc_model_config_check(&p->config));
    LMC_RETURN_IF(p->batch < 1 || p->batch > 65536, LMC_ERR_INVALID_ARGUMENT, "batch %d: must be 1..65536", p->batch);
    LMC_RETURN_IF(p->window < 1 || p->window > p->config.context, LMC_ERR_INVALID_ARGUMENT,
                  "window (context) %d: must be 1..%d", p->window, p->config.context);
    LMC_RETURN_IF(p->steps < 1, LMC_ERR_INVALID_ARGUMENT, "steps %ld: must be at least 1", p->steps);
    LMC_RETURN_IF(!(p->lr > 0.0f) || !isfinite(p->lr), LMC_ERR_INVALID_ARGUMENT, "learning rate must be positive");
    LMC_RETURN_IF(p->warmup < 0, LMC_ERR_INVALID_ARGUMENT, "warmup %ld: must be >= 0", p->warmup);
    LMC_RETURN_IF(p->schedule != LMC_SCHEDULE_COSINE && p->schedule != LMC_SCHEDULE_CONSTANT,
                  LMC_ERR_INVALID_ARGUMENT, "unknown schedule %d", (int)p->schedule);
    LMC_RETURN_IF(!(p->grad_clip >= 0.0f), LMC_ERR_INVALID_ARGUMENT, "grad_clip must be >= 0");
    LMC_RETURN_IF(!(p->beta1 >= 0 && p->beta1 < 1 && p->beta2 >= 0 && p->beta2 < 1 && p->eps > 0),
                  LMC_ERR_INVALID_ARGUMENT, "Adam betas must be in [0,1), eps > 0");
    LMC_RETURN_IF(p->micro_batches < 0 || p->micro_batches > p->batch ||
                      (p->micro_batches > 1 && p->batch % p->micro_batches != 0),
                  LMC_ERR_INVALID_ARGUMENT, "micro-batches %d: must divide the batch %d", p->micro_batches, p->batch);
    return LMC_OK;
}

float lmc_train_lr(const lmc_train_params *p, long s) {
    if (p->warmup > 0 && s <= p->warmup) return p->lr * (float)s / (float)p->warmup;
    if (p->schedule == LMC_SCHEDULE_CONSTANT || p->steps <= p->warmup) return p->lr;
    double frac = (double)(s - p->warmup) / (double)(p->steps - p->warmup);
    if (frac > 1.0) frac = 1.0;
    double cosine = 0.5 * (1.0 + cos(3.141592653589793 * frac));
    return (float)(p->lr * (0.1 + 0.9 * cosine));
}

void lmc_trainer_destroy(lmc_trainer *t) {
    if (!t) return;
    lmc_model_destroy(t->model);
    free(t->grads);
    free(t->m);
    free(t->v);
    lmc_ref_acts_destroy(t->acts);
    lmc_ref_acts_destroy(t->eval_acts);
    lmc_cl_model_destroy(t->cl);
    lmc_cl_model_destroy(t->cl_eval);
    free(t->batch);
    free(t->parts);
    free(t->loss_sums);
    free(t);
}

/* A trainer around `model` (taken over) with zero moments at step 0. */
static lmc_status trainer_new(lmc_device *device, const lmc_train_params *p, lmc_model *model, lmc_trainer **out) {
    *out = NULL;
    lmc_status st = LMC_OK;
    lmc_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        lmc_model_destroy(model);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "trainer");
    }
    t->dev = device;
    t->on_cl = lmc_device_get_info(device)->kind == LMC_DEVICE_KIND_OPENCL;
    t->p = *p;
    t->M = p->micro_batches > 1 ? p->micro_batches : 1;
    t->p.micro_batches = t->M;
    t->Bm = p->batch / t->M;
    t->ex.rank = 0;
    t->ex.size = 1;
    t->model = model;
    t->n = lmc_model_config_num_params(&p->config);
    t->grads = calloc(t->n, sizeof(float));
    t->m = calloc(t->n, sizeof(float));
    t->v = calloc(t->n, sizeof(float));
    t->batch = malloc((size_t)p->batch * (size_t)p->window);
    t->loss_sums = calloc((size_t)t->M, sizeof(double));
    if (!t->grads || !t->m || !t->v || !t->batch || !t->loss_sums) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "trainer state for %zu parameters", t->n);
        goto fail;
    }
    lmc_rng_seed(&t->rng, p->seed ^ 0x7261696e5eedull); /* a stream apart from the init's */
    if (t->on_cl) {
        if ((st = lmc_cl_model_create(device, &p->config, t->Bm, p->window, &t->cl)) != LMC_OK) goto fail;
        if ((st = lmc_cl_model_write(t->cl, LMC_CL_PARAMS, model->params)) != LMC_OK) goto fail;
    } else {
        if ((st = lmc_ref_acts_create(&p->config, t->Bm, p->window, &t->acts)) != LMC_OK) goto fail;
    }
    *out = t;
    return LMC_OK;
fail:
    lmc_trainer_destroy(t);
    return st;
}

lmc_status lmc_trainer_create(lmc_device *device, const lmc_train_params *p, lmc_trainer **out) {
    LMC_RETURN_IF(!device || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_create: NULL argument");
    *out = NULL;
    LMC_TRY(lmc_train_params_check(p));
    lmc_model_params mp = lmc_model_params_default();
    mp.config = p->config;
    mp.seed = p->seed;
    lmc_model *model = NULL;
    LMC_TRY(lmc_model_create(&mp, &model));
    return trainer_new(device, p, model, out);
}

lmc_status lmc_trainer_create_from(lmc_device *device, const lmc_train_params *p, const lmc_model *init,
                                   lmc_trainer **out) {
    LMC_RETURN_IF(!device || !out || !init, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_create_from: NULL argument");
    *out = NULL;
    LMC_TRY(lmc_train_params_check(p));
    const lmc_model_config *ic = lmc_model_get_config(init);
    LMC_RETURN_IF(ic->d_model != p->config.d_model || ic->n_layers != p->config.n_layers ||
                      ic->n_heads != p->config.n_heads,
                  LMC_ERR_INVALID_ARGUMENT,
                  "the initial model has d_model %d, %d layers, %d heads; this run wants %d, %d, %d", ic->d_model,
                  ic->n_layers, ic->n_heads, p->config.d_model, p->config.n_layers, p->config.n_heads);
    lmc_model_params mp = lmc_model_params_default();
    mp.config = p->config;
    mp.seed = p->seed;
    lmc_model *model = NULL;
    LMC_TRY(lmc_model_create(&mp, &model));
    memcpy(lmc_model_params_data(model), lmc_model_params_cdata(init),
           lmc_model_config_num_params(&p->config) * sizeof(float));
    return trainer_new(device, p, model, out);
}

long lmc_trainer_steps_done(const lmc_trainer *t) { return t->step; }
const lmc_train_params *lmc_trainer_params(const lmc_trainer *t) { return &t->p; }

/* The starts of one batch's windows, drawn from `rng`: uniform over the multiples of `align` at
 * which a whole window of T fits in n bytes. align 1 is every offset 0..n-T, one
 * lmc_rng_below(n - T + 1) per window: the draw every run made before alignment existed, so a
 * plain run's windows (and its model bytes) are unchanged. */
static void draw_starts(lmc_rng *rng, size_t n, size_t T, size_t align, int batch, size_t *starts) {
    for (int b = 0; b < batch; b++)
        starts[b] = align * (size_t)lmc_rng_below(rng, (uint64_t)((n - T) / align + 1));
}

static lmc_status check_windows(const lmc_trainer *t, size_t n, size_t align, const char *what) {
    size_t T = (size_t)t->p.window;
    LMC_RETURN_IF(align == 0, LMC_ERR_INVALID_ARGUMENT, "%s: alignment 0 (1 means any offset)", what);
    LMC_RETURN_IF(n < T, LMC_ERR_INVALID_ARGUMENT, "training data of %zu bytes is shorter than one window (%zu)", n, T);
    return LMC_OK;
}

lmc_status lmc_trainer_peek_windows(const lmc_trainer *t, size_t n, size_t align, size_t *starts) {
    LMC_RETURN_IF(!t || !starts, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_peek_windows: NULL argument");
    LMC_TRY(check_windows(t, n, align, "lmc_trainer_peek_windows"));
    lmc_rng copy = t->rng; /* the trainer's own state is left as it is */
    draw_starts(&copy, n, (size_t)t->p.window, align, t->p.batch, starts);
    return LMC_OK;
}

void lmc_train_micro_range(int micro_batches, int rank, int size, int *first, int *count) {
    long M = micro_batches > 1 ? micro_batches : 1;
    long lo = M * rank / size, hi = M * (rank + 1) / size;
    *first = (int)lo;
    *count = (int)(hi - lo);
}

void lmc_train_tree_sum(float *rows, int count, size_t n) {
    for (size_t stride = 1; stride < (size_t)count; stride *= 2)
        for (size_t i = 0; i + stride < (size_t)count; i += 2 * stride) {
            float *a = rows + i * n;
            const float *b = rows + (i + stride) * n;
            for (size_t j = 0; j < n; j++) a[j] += b[j];
        }
}

lmc_status lmc_trainer_set_exchange(lmc_trainer *t, const lmc_train_exchange *x) {
    LMC_RETURN_IF(!t, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_set_exchange: NULL trainer");
    free(t->parts); /* sized for this process's share, which the exchange sets */
    t->parts = NULL;
    if (!x) {
        memset(&t->ex, 0, sizeof t->ex);
        t->ex.size = 1;
        return LMC_OK;
    }
    LMC_RETURN_IF(x->size < 1 || x->rank < 0 || x->rank >= x->size || (x->size > 1 && !x->reduce),
                  LMC_ERR_INVALID_ARGUMENT, "exchange: rank %d of %d%s", x->rank, x->size,
                  x->reduce ? "" : " without a reduce function");
    t->ex = *x;
    return LMC_OK;
}

/* The gradients of this process's micro-batches of the batch in t->batch, combined with the other
 * processes' into t->grads (host); *loss_sum the whole batch's Σ -log p. */
static lmc_status micro_batch_grads(lmc_trainer *t, double *loss_sum) {
    const lmc_train_params *p = &t->p;
    size_t T = (size_t)p->window, n = t->n;
    int first = 0, count = 0;
    lmc_train_micro_range(t->M, t->ex.rank, t->ex.size, &first, &count);
    if (!t->parts && count > 0) {
        t->parts = malloc((size_t)count * n * sizeof(float));
        LMC_RETURN_IF(!t->parts, LMC_ERR_OUT_OF_MEMORY, "%d micro-batch gradients of %zu parameters", count, n);
    }
    float dloss = 1.0f / (float)(p->batch * p->window); /* the whole batch's mean, as M = 1 */
    for (int k = 0; k < count; k++) {
        const uint8_t *tok = t->batch + (size_t)(first + k) * (size_t)t->Bm * T;
        float *g = t->parts + (size_t)k * n;
        if (t->on_cl) {
            LMC_TRY(lmc_cl_model_forward_sum(t->cl, tok, &t->loss_sums[k]));
            LMC_TRY(lmc_cl_model_backward_scaled(t->cl, dloss));
            LMC_TRY(lmc_cl_model_read(t->cl, LMC_CL_GRADS, g));
        } else {
            lmc_ref_forward(&p->config, t->model->params, tok, t->acts, NULL);
            t->loss_sums[k] = lmc_ref_loss_sum(t->acts);
            lmc_ref_backward_scaled(&p->config, t->model->params, tok, t->acts, g, dloss);
        }
    }
    if (t->ex.size > 1)
        return t->ex.reduce(t->ex.ctx, t->M, first, count, n, t->parts, t->loss_sums, t->grads, loss_sum);
    lmc_train_tree_sum(t->parts, count, n);
    memcpy(t->grads, t->parts, n * sizeof(float));
    double sum = 0.0;
    for (int m = 0; m < t->M; m++) sum += t->loss_sums[m];
    *loss_sum = sum;
    return LMC_OK;
}

static void clip_host(float *g, size_t n, float clip) {
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (norm > clip) {
        float scale = (float)(clip / norm);
        for (size_t i = 0; i < n; i++) g[i] *= scale;
    }
}

lmc_status lmc_trainer_step(lmc_trainer *t, const uint8_t *data, size_t n, float *loss) {
    return lmc_trainer_step_aligned(t, data, n, 1, loss);
}

lmc_status lmc_trainer_step_aligned(lmc_trainer *t, const uint8_t *data, size_t n, size_t align,
                                    float *loss) {
    LMC_RETURN_IF(!t || !data, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_step: NULL argument");
    const lmc_train_params *p = &t->p;
    size_t T = (size_t)p->window;
    LMC_TRY(check_windows(t, n, align, "lmc_trainer_step"));
    for (int b = 0; b < p->batch; b++) {
        size_t start = 0;
        draw_starts(&t->rng, n, T, align, 1, &start);
        memcpy(t->batch + (size_t)b * T, data + start, T);
    }
    long s = t->step + 1;
    float lr = lmc_train_lr(p, s), l = 0.0f;
    if (t->M > 1 || t->ex.size > 1) {
        double sum = 0.0;
        LMC_TRY(micro_batch_grads(t, &sum));
        l = (float)(sum / (p->batch * p->window));
        if (p->grad_clip > 0.0f) clip_host(t->grads, t->n, p->grad_clip);
        if (t->on_cl) {
            LMC_TRY(lmc_cl_model_write(t->cl, LMC_CL_GRADS, t->grads));
            LMC_TRY(lmc_cl_model_adam(t->cl, lr, p->beta1, p->beta2, p->eps, s));
        } else {
            lmc_ref_adam(t->model->params, t->grads, t->m, t->v, t->n, lr, p->beta1, p->beta2, p->eps, s);
        }
    } else if (t->on_cl) {
        LMC_TRY(lmc_cl_model_forward(t->cl, t->batch, &l));
        LMC_TRY(lmc_cl_model_backward(t->cl));
        if (p->grad_clip > 0.0f) {
            /* the global norm needs every gradient: read them, and write back only when clipping */
            LMC_TRY(lmc_cl_model_read(t->cl, LMC_CL_GRADS, t->grads));
            double ss = 0.0;
            for (size_t i = 0; i < t->n; i++) ss += (double)t->grads[i] * t->grads[i];
            double norm = sqrt(ss);
            if (norm > p->grad_clip) {
                float scale = (float)(p->grad_clip / norm);
                for (size_t i = 0; i < t->n; i++) t->grads[i] *= scale;
                LMC_TRY(lmc_cl_model_write(t->cl, LMC_CL_GRADS, t->grads));
            }
        }
        LMC_TRY(lmc_cl_model_adam(t->cl, lr, p->beta1, p->beta2, p->eps, s));
    } else {
        lmc_ref_forward(&p->config, t->model->params, t->batch, t->acts, &l);
        lmc_ref_backward(&p->config, t->model->params, t->batch, t->acts, t->grads);
        if (p->grad_clip > 0.0f) {
            double ss = 0.0;
            for (size_t i = 0; i < t->n; i++) ss += (double)t->grads[i] * t->grads[i];
            double norm = sqrt(ss);
            if (norm > p->grad_clip) {
                float scale = (float)(p->grad_clip / norm);
                for (size_t i = 0; i < t->n; i++) t->grads[i] *= scale;
            }
        }
        lmc_ref_adam(t->model->params, t->grads, t->m, t->v, t->n, lr, p->beta1, p->beta2, p->eps, s);
    }
    LMC_RETURN_IF(!isfinite(l), LMC_ERR_INVALID_ARGUMENT, "training diverged at step %ld (loss %f); lower --lr", s,
                  (double)l);
    t->step = s;
    if (loss) *loss = l;
    return LMC_OK;
}

/* Bring the host copy of the weights (and on request the moments) up to date. */
static lmc_status sync_host(lmc_trainer *t, int with_moments) {
    if (!t->on_cl) return LMC_OK;
    LMC_TRY(lmc_cl_model_read(t->cl, LMC_CL_PARAMS, t->model->params));
    if (with_moments) {
        LMC_TRY(lmc_cl_model_read(t->cl, LMC_CL_ADAM_M, t->m));
        LMC_TRY(lmc_cl_model_read(t->cl, LMC_CL_ADAM_V, t->v));
    }
    return LMC_OK;
}

lmc_status lmc_trainer_eval(lmc_trainer *t, const uint8_t *data, size_t n, int max_windows, double *bits_per_byte) {
    return lmc_trainer_eval_aligned(t, data, n, 1, max_windows, bits_per_byte);
}

lmc_status lmc_trainer_eval_aligned(lmc_trainer *t, const uint8_t *data, size_t n, size_t align,
                                    int max_windows, double *bits_per_byte) {
    LMC_RETURN_IF(!t || !data || !bits_per_byte, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_eval: NULL argument");
    LMC_RETURN_IF(align == 0, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_eval: alignment 0 (1 means any offset)");
    size_t T = (size_t)t->p.window;
    /* The data holds `slots` non-overlapping windows, slot j starting at j * stride (stride the
     * first multiple of align that is >= T: T itself for align 1). With more slots than
     * max_windows, window w takes slot w * slots / windows: spread evenly over the whole data, so
     * that a folder of several kinds of text is not judged by its first file alone. */
    size_t stride = (T + align - 1) / align * align;
    size_t slots = n < T ? 0 : (n - T) / stride + 1, windows = slots;
    if (max_windows > 0 && windows > (size_t)max_windows) windows = (size_t)max_windows;
    LMC_RETURN_IF(windows == 0, LMC_ERR_INVALID_ARGUMENT, "evaluation data of %zu bytes is shorter than one window (%zu)",
                  n, T);
    if (t->on_cl) {
        if (!t->cl_eval) LMC_TRY(lmc_cl_model_create(t->dev, &t->p.config, 1, (int)T, &t->cl_eval));
        LMC_TRY(sync_host(t, 0));
        LMC_TRY(lmc_cl_model_write(t->cl_eval, LMC_CL_PARAMS, t->model->params));
    } else if (!t->eval_acts) {
        LMC_TRY(lmc_ref_acts_create(&t->p.config, 1, (int)T, &t->eval_acts));
    }
    double nats = 0.0;
    for (size_t w = 0; w < windows; w++) {
        const uint8_t *window = data + w * slots / windows * stride;
        float l = 0.0f;
        if (t->on_cl)
            LMC_TRY(lmc_cl_model_forward(t->cl_eval, window, &l));
        else
            lmc_ref_forward(&t->p.config, t->model->params, window, t->eval_acts, &l);
        nats += (double)l;
    }
    *bits_per_byte = nats / (double)windows / log(2.0);
    return LMC_OK;
}

lmc_status lmc_trainer_model(lmc_trainer *t, lmc_model **out) {
    LMC_RETURN_IF(!t || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_model: NULL argument");
    *out = NULL;
    LMC_TRY(sync_host(t, 0));
    lmc_model *m = NULL;
    LMC_TRY(lmc_model_alloc(&t->p.config, &m));
    memcpy(m->params, t->model->params, t->n * sizeof(float));
    *out = m;
    return LMC_OK;
}

/* ---- checkpoints ---- */

static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

typedef struct wbuf {
    uint8_t *p;
    size_t n;
} wbuf;

static void put_u32(wbuf *b, uint32_t v) {
    for (int k = 0; k < 4; k++) b->p[b->n++] = (uint8_t)(v >> (8 * k));
}
static void put_u64(wbuf *b, uint64_t v) {
    for (int k = 0; k < 8; k++) b->p[b->n++] = (uint8_t)(v >> (8 * k));
}
static void put_f32(wbuf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

typedef struct rbuf {
    const uint8_t *p;
    size_t n, i;
} rbuf;

static uint32_t get_u32(rbuf *b) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)b->p[b->i++] << (8 * k);
    return v;
}
static uint64_t get_u64(rbuf *b) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)b->p[b->i++] << (8 * k);
    return v;
}
static float get_f32(rbuf *b) {
    uint32_t u = get_u32(b);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* version 1's fixed bytes; version 2 adds micro_batches (4) */
#define CKPT_FIXED_V1 (8 + 4 + 4 * 4 + 8 + 2 * 4 + 8 + 4 + 8 + 4 + 4 * 4 + 8 + 4 * 8 + 8)
#define CKPT_FIXED (CKPT_FIXED_V1 + 4)

lmc_status lmc_trainer_checkpoint(lmc_trainer *t, const char *path) {
    LMC_RETURN_IF(!t || !path, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_checkpoint: NULL argument");
    LMC_TRY(sync_host(t, 1));
    size_t size = CKPT_FIXED + 3 * t->n * 4 + 4;
    wbuf b = {malloc(size), 0};
    if (!b.p) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "checkpoint of %zu bytes", size);
    const lmc_train_params *p = &t->p;
    memcpy(b.p, CKPT_MAGIC, 8); /* with its NUL */
    b.n = 8;
    put_u32(&b, CKPT_VERSION);
    put_u32(&b, (uint32_t)p->config.d_model);
    put_u32(&b, (uint32_t)p->config.n_layers);
    put_u32(&b, (uint32_t)p->config.n_heads);
    put_u32(&b, (uint32_t)p->config.context);
    put_u64(&b, p->seed);
    put_u32(&b, (uint32_t)p->batch);
    put_u32(&b, (uint32_t)p->window);
    put_u64(&b, (uint64_t)p->steps);
    put_f32(&b, p->lr);
    put_u64(&b, (uint64_t)p->warmup);
    put_u32(&b, (uint32_t)p->schedule);
    put_f32(&b, p->grad_clip);
    put_f32(&b, p->beta1);
    put_f32(&b, p->beta2);
    put_f32(&b, p->eps);
    put_u32(&b, (uint32_t)p->micro_batches);
    put_u64(&b, (uint64_t)t->step);
    for (int k = 0; k < 4; k++) put_u64(&b, t->rng.s[k]);
    put_u64(&b, (uint64_t)t->n);
    const float *vecs[3] = {t->model->params, t->m, t->v};
    for (int w = 0; w < 3; w++)
        for (size_t i = 0; i < t->n; i++) put_f32(&b, vecs[w][i]);
    put_u32(&b, crc32_ieee(b.p, b.n));
    lmc_status st = b.n == size ? lmc_file_write_atomic(path, b.p, b.n)
                                : lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "checkpoint size mismatch (bug)");
    free(b.p);
    return st;
}

lmc_status lmc_trainer_resume(lmc_device *device, const char *path, lmc_trainer **out) {
    LMC_RETURN_IF(!device || !path || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_trainer_resume: NULL argument");
    *out = NULL;
    uint8_t *data = NULL;
    size_t size = 0;
    LMC_TRY(lmc_file_read_all(path, &data, &size));
    lmc_status st = LMC_OK;
    lmc_model *model = NULL;
    lmc_trainer *t = NULL;
    rbuf b = {data, size, 0};
    if (size < 8 || memcmp(data, CKPT_MAGIC, 8) != 0) {
        st = lmc_set_error(LMC_ERR_FORMAT, "%s is not an lmc checkpoint", path);
        goto fail;
    }
    if (size < CKPT_FIXED_V1 + 4) {
        st = lmc_set_error(LMC_ERR_TRUNCATED, "checkpoint %s: %zu bytes, truncated", path, size);
        goto fail;
    }
    b.i = 8;
    uint32_t version = get_u32(&b);
    if (version < 1 || version > CKPT_VERSION) {
        st = lmc_set_error(LMC_ERR_VERSION, "checkpoint %s: version %u, this build reads 1..%u", path, version,
                           CKPT_VERSION);
        goto fail;
    }
    lmc_train_params p;
    memset(&p, 0, sizeof p);
    p.config.d_model = (int)get_u32(&b);
    p.config.n_layers = (int)get_u32(&b);
    p.config.n_heads = (int)get_u32(&b);
    p.config.context = (int)get_u32(&b);
    p.seed = get_u64(&b);
    p.batch = (int)get_u32(&b);
    p.window = (int)get_u32(&b);
    p.steps = (long)get_u64(&b);
    p.lr = get_f32(&b);
    p.warmup = (long)get_u64(&b);
    p.schedule = (lmc_schedule)get_u32(&b);
    p.grad_clip = get_f32(&b);
    p.beta1 = get_f32(&b);
    p.beta2 = get_f32(&b);
    p.eps = get_f32(&b);
    p.micro_batches = version >= 2 ? (int)get_u32(&b) : 1;
    size_t fixed = version >= 2 ? CKPT_FIXED : CKPT_FIXED_V1;
    long step = (long)get_u64(&b);
    lmc_rng rng;
    for (int k = 0; k < 4; k++) rng.s[k] = get_u64(&b);
    uint64_t n = get_u64(&b);
    if (lmc_train_params_check(&p) != LMC_OK || n != lmc_model_config_num_params(&p.config) || step < 0) {
        st = lmc_set_error(LMC_ERR_CORRUPT, "checkpoint %s: inconsistent header", path);
        goto fail;
    }
    if (size != fixed + 3 * n * 4 + 4) {
        st = lmc_set_error(size < fixed + 3 * n * 4 + 4 ? LMC_ERR_TRUNCATED : LMC_ERR_CORRUPT,
                           "checkpoint %s: %zu bytes, expected %llu", path, size,
                           (unsigned long long)(fixed + 3 * n * 4 + 4));
        goto fail;
    }
    uint32_t crc_stored = (uint32_t)data[size - 4] | (uint32_t)data[size - 3] << 8 | (uint32_t)data[size - 2] << 16 |
                          (uint32_t)data[size - 1] << 24;
    if (crc32_ieee(data, size - 4) != crc_stored) {
        st = lmc_set_error(LMC_ERR_CHECKSUM, "checkpoint %s: CRC mismatch", path);
        goto fail;
    }
    if ((st = lmc_model_alloc(&p.config, &model)) != LMC_OK) goto fail;
    for (size_t i = 0; i < n; i++) model->params[i] = get_f32(&b);
    if ((st = trainer_new(device, &p, model, &t)) != LMC_OK) {
        model = NULL; /* trainer_new took it */
        goto fail;
    }
    model = NULL;
    for (size_t i = 0; i < n; i++) t->m[i] = get_f32(&b);
    for (size_t i = 0; i < n; i++) t->v[i] = get_f32(&b);
    t->step = step;
    t->rng = rng;
    if (t->on_cl) {
        if ((st = lmc_cl_model_write(t->cl, LMC_CL_ADAM_M, t->m)) != LMC_OK) goto fail;
        if ((st = lmc_cl_model_write(t->cl, LMC_CL_ADAM_V, t->v)) != LMC_OK) goto fail;
    }
    free(data);
    *out = t;
    return LMC_OK;
fail:
    lmc_model_destroy(model);
    lmc_trainer_destroy(t);
    free(data);
    return st;
}
