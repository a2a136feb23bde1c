/* exact_predictor.c : the codec's predictor (lmc_predictor) over a coding model, on cpu-ref (the
 * plain-C oracle: cl/exact.cl compiled as C) or on an OpenCL device (the same file as a kernel,
 * one work-item per window).
 *
 * Key invariant: encode_rows() and decode_next() run the same per-position function in the same
 * order with the same KV cache contents, and every operation is an integer one, so rows do not
 * depend on the device, the batch size, the work-group size or the path. */
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "exact_internal.h"
#include "program.h"

typedef struct ex_pred {
    lmc_predictor pred;
    const lmc_exact_model *m;
    lmc_device *dev;
    int is_cl;
    size_t max_windows, local_size;
    size_t kv_per_window, sc_per_window; /* ints */
    /* cpu-ref state */
    int32_t *kv, *sc;
    /* decode state */
    size_t n_dec, t_dec;
    int32_t *lens;
    /* OpenCL */
    cl_program program;
    cl_kernel kernel;
    cl_mem d_blob, d_lay, d_kv, d_sc, d_in, d_lens, d_rows;
    size_t in_cap, rows_cap; /* bytes */
    uint8_t *h_in;
} ex_pred;

lmc_exact_predictor_params lmc_exact_predictor_params_default(void) {
    lmc_exact_predictor_params p = {16, 0, NULL};
    return p;
}

/* ---- cpu-ref ---- */

lmc_status lmc_exact_rows_ref(const lmc_exact_model *m, const uint8_t *bytes, size_t len, int32_t *rows) {
    LMC_RETURN_IF(!m || (!bytes && len) || (!rows && len), LMC_ERR_INVALID_ARGUMENT, "lmc_exact_rows_ref: NULL argument");
    const lmc_model_config *c = &m->config;
    LMC_RETURN_IF(len > (size_t)c->context, LMC_ERR_INVALID_ARGUMENT, "window of %zu bytes is longer than the model's context %d",
                  len, c->context);
    size_t kvn = 2 * (size_t)c->n_layers * (size_t)c->context * (size_t)c->d_model;
    int32_t *kv = calloc(kvn, sizeof *kv), *sc = calloc(9 * (size_t)c->d_model + (size_t)c->context, sizeof *sc);
    if (!kv || !sc) {
        free(kv);
        free(sc);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "exact rows");
    }
    for (size_t t = 0; t < len; t++)
        ex_position(m->blob, m->lay, kv, sc, (int)t, t ? bytes[t - 1] : 0, 0, rows + t * 256);
    free(kv);
    free(sc);
    return LMC_OK;
}

/* ---- OpenCL ---- */

static lmc_status cl_alloc(ex_pred *p, cl_mem *mem, size_t bytes, cl_mem_flags flags, void *host) {
    cl_int err = CL_SUCCESS;
    if (*mem) clReleaseMemObject(*mem);
    *mem = clCreateBuffer(p->dev->context, flags | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes ? bytes : 4, host, &err);
    LMC_CL_CHECK(err);
    return LMC_OK;
}

/* Runs positions t0..t1-1 of n windows (inputs already in d_in with stride in_stride, lens in
 * d_lens) and reads the (n, t1-t0, 256) rows into rows. */
static lmc_status cl_run(ex_pred *p, size_t n, int in_stride, int t0, int t1, int32_t *rows) {
    size_t need = n * (size_t)(t1 - t0) * 256 * sizeof(int32_t);
    if (need > p->rows_cap) {
        LMC_TRY(cl_alloc(p, &p->d_rows, need, CL_MEM_WRITE_ONLY, NULL));
        p->rows_cap = need;
    }
    cl_int ni = (cl_int)n, a0 = t0, a1 = t1, st = in_stride;
    cl_kernel k = p->kernel;
    LMC_CL_CHECK(clSetKernelArg(k, 0, sizeof(cl_mem), &p->d_blob));
    LMC_CL_CHECK(clSetKernelArg(k, 1, sizeof(cl_mem), &p->d_lay));
    LMC_CL_CHECK(clSetKernelArg(k, 2, sizeof(cl_mem), &p->d_kv));
    LMC_CL_CHECK(clSetKernelArg(k, 3, sizeof(cl_mem), &p->d_sc));
    LMC_CL_CHECK(clSetKernelArg(k, 4, sizeof(cl_mem), &p->d_in));
    LMC_CL_CHECK(clSetKernelArg(k, 5, sizeof(cl_int), &st));
    LMC_CL_CHECK(clSetKernelArg(k, 6, sizeof(cl_mem), &p->d_lens));
    LMC_CL_CHECK(clSetKernelArg(k, 7, sizeof(cl_int), &ni));
    LMC_CL_CHECK(clSetKernelArg(k, 8, sizeof(cl_int), &a0));
    LMC_CL_CHECK(clSetKernelArg(k, 9, sizeof(cl_int), &a1));
    LMC_CL_CHECK(clSetKernelArg(k, 10, sizeof(cl_mem), &p->d_rows));
    size_t local = p->local_size, global = n;
    if (local) global = (n + local - 1) / local * local; /* extra work-items return at once */
    LMC_CL_CHECK(clEnqueueNDRangeKernel(p->dev->queue, k, 1, NULL, &global, local ? &local : NULL, 0, NULL, NULL));
    LMC_CL_CHECK(clEnqueueReadBuffer(p->dev->queue, p->d_rows, CL_TRUE, 0, need, rows, 0, NULL, NULL));
    return LMC_OK;
}

static lmc_status cl_inputs(ex_pred *p, size_t bytes, const int32_t *lens, size_t n) {
    LMC_CL_CHECK(clEnqueueWriteBuffer(p->dev->queue, p->d_in, CL_FALSE, 0, bytes, p->h_in, 0, NULL, NULL));
    LMC_CL_CHECK(clEnqueueWriteBuffer(p->dev->queue, p->d_lens, CL_TRUE, 0, n * sizeof(int32_t), lens, 0, NULL, NULL));
    return LMC_OK;
}

/* ---- the vtable ---- */

static lmc_status check_window(const ex_pred *p, size_t len) {
    LMC_RETURN_IF(len > (size_t)p->m->config.context, LMC_ERR_INVALID_ARGUMENT,
                  "window of %zu bytes is longer than the coding model's context %d", len, p->m->config.context);
    return LMC_OK;
}

static lmc_status ex_encode_rows(void *ctx, size_t n, const uint8_t *const *windows, const size_t *lens, size_t W, int32_t *rows) {
    ex_pred *p = ctx;
    LMC_RETURN_IF(n > p->max_windows, LMC_ERR_INVALID_ARGUMENT, "%zu windows, at most %zu per call", n, p->max_windows);
    LMC_TRY(check_window(p, W));
    if (n == 0) return LMC_OK;
    for (size_t w = 0; w < n; w++) LMC_RETURN_IF(lens[w] > W, LMC_ERR_INVALID_ARGUMENT, "window longer than the window size");
    if (!p->is_cl) {
        for (size_t w = 0; w < n; w++) {
            memset(p->kv, 0, p->kv_per_window * sizeof *p->kv);
            for (size_t t = 0; t < lens[w]; t++)
                ex_position(p->m->blob, p->m->lay, p->kv, p->sc, (int)t, t ? windows[w][t - 1] : 0, 0, rows + (w * W + t) * 256);
            memset(rows + (w * W + lens[w]) * 256, 0, (W - lens[w]) * 256 * sizeof *rows);
        }
        return LMC_OK;
    }
    for (size_t w = 0; w < n; w++) p->lens[w] = (int32_t)lens[w];
    if (n * W > p->in_cap) {
        uint8_t *q = realloc(p->h_in, n * W);
        if (!q) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "window inputs");
        p->h_in = q;
        LMC_TRY(cl_alloc(p, &p->d_in, n * W, CL_MEM_READ_ONLY, NULL));
        p->in_cap = n * W;
    }
    for (size_t w = 0; w < n; w++) {
        uint8_t *dst = p->h_in + w * W;
        memset(dst, 0, W);
        if (lens[w] > 1) memcpy(dst + 1, windows[w], lens[w] - 1);
    }
    LMC_TRY(cl_inputs(p, n * W, p->lens, n));
    return cl_run(p, n, (int)W, 0, (int)W, rows);
}

static lmc_status ex_decode_begin(void *ctx, size_t n, const size_t *lens) {
    ex_pred *p = ctx;
    LMC_RETURN_IF(n > p->max_windows, LMC_ERR_INVALID_ARGUMENT, "%zu windows, at most %zu per call", n, p->max_windows);
    for (size_t w = 0; w < n; w++) {
        LMC_TRY(check_window(p, lens[w]));
        p->lens[w] = (int32_t)lens[w];
    }
    p->n_dec = n;
    p->t_dec = 0;
    if (!p->is_cl) return LMC_OK;
    if (p->in_cap < p->max_windows) {
        uint8_t *q = realloc(p->h_in, p->max_windows);
        if (!q) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "window inputs");
        p->h_in = q;
        LMC_TRY(cl_alloc(p, &p->d_in, p->max_windows, CL_MEM_READ_ONLY, NULL));
        p->in_cap = p->max_windows;
    }
    LMC_CL_CHECK(clEnqueueWriteBuffer(p->dev->queue, p->d_lens, CL_TRUE, 0, (n ? n : 1) * sizeof(int32_t), p->lens, 0, NULL, NULL));
    return LMC_OK;
}

static lmc_status ex_decode_next(void *ctx, const uint8_t *prev, int32_t *rows) {
    ex_pred *p = ctx;
    size_t t = p->t_dec++;
    LMC_RETURN_IF(t >= (size_t)p->m->config.context, LMC_ERR_INVALID_ARGUMENT, "decode past the model's context");
    if (!p->is_cl) {
        for (size_t w = 0; w < p->n_dec; w++) {
            int32_t *row = rows + w * 256;
            if (t >= (size_t)p->lens[w]) {
                memset(row, 0, 256 * sizeof *row);
                continue;
            }
            int32_t *kv = p->kv + w * p->kv_per_window;
            if (t == 0) memset(kv, 0, p->kv_per_window * sizeof *kv);
            ex_position(p->m->blob, p->m->lay, kv, p->sc, (int)t, t ? prev[w] : 0, 0, row);
        }
        return LMC_OK;
    }
    if (p->n_dec == 0) return LMC_OK;
    for (size_t w = 0; w < p->n_dec; w++) p->h_in[w] = t ? prev[w] : 0;
    LMC_CL_CHECK(clEnqueueWriteBuffer(p->dev->queue, p->d_in, CL_TRUE, 0, p->n_dec ? p->n_dec : 1, p->h_in, 0, NULL, NULL));
    return cl_run(p, p->n_dec, 1, (int)t, (int)t + 1, rows);
}

static const lmc_predictor_vtable ex_vtable = {ex_encode_rows, ex_decode_begin, ex_decode_next};

void lmc_exact_predictor_destroy(lmc_predictor *pred) {
    if (!pred) return;
    ex_pred *p = (ex_pred *)pred;
    cl_mem *mems[] = {&p->d_blob, &p->d_lay, &p->d_kv, &p->d_sc, &p->d_in, &p->d_lens, &p->d_rows};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (*mems[i]) clReleaseMemObject(*mems[i]);
    if (p->kernel) clReleaseKernel(p->kernel);
    free(p->kv);
    free(p->sc);
    free(p->lens);
    free(p->h_in);
    free(p);
}

lmc_status lmc_exact_predictor_create(const lmc_exact_model *m, lmc_device *device, const lmc_exact_predictor_params *params,
                                      lmc_predictor **out) {
    LMC_RETURN_IF(!m || !device || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_predictor_create: NULL argument");
    *out = NULL;
    lmc_exact_predictor_params pp = params ? *params : lmc_exact_predictor_params_default();
    if (pp.max_windows == 0) pp.max_windows = 16;
    ex_pred *p = calloc(1, sizeof *p);
    if (!p) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
    lmc_status st = LMC_OK;
    const lmc_model_config *c = &m->config;
    p->m = m;
    p->dev = device;
    p->is_cl = device->info.kind == LMC_DEVICE_KIND_OPENCL;
    p->max_windows = pp.max_windows;
    p->local_size = pp.local_size;
    p->kv_per_window = 2 * (size_t)c->n_layers * (size_t)c->context * (size_t)c->d_model;
    p->sc_per_window = 9 * (size_t)c->d_model + (size_t)c->context;
    p->pred.vtable = &ex_vtable;
    p->pred.ctx = p;
    p->pred.max_windows = pp.max_windows;
    memcpy(p->pred.model_id, m->id, LMC_MODEL_ID_SIZE);
    p->lens = calloc(pp.max_windows, sizeof *p->lens);
    if (!p->lens) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
        goto fail;
    }
    if (!p->is_cl) {
        p->kv = malloc(pp.max_windows * p->kv_per_window * sizeof *p->kv);
        p->sc = malloc(p->sc_per_window * sizeof *p->sc);
        if (!p->kv || !p->sc) {
            st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "KV cache of %zu windows", pp.max_windows);
            goto fail;
        }
        *out = &p->pred;
        return LMC_OK;
    }
    if ((st = lmc_program_get(device, "exact", pp.kernel_preamble, &p->program)) != LMC_OK) goto fail;
    cl_int err = CL_SUCCESS;
    p->kernel = clCreateKernel(p->program, "exact_run", &err);
    if (err != CL_SUCCESS) {
        st = lmc_set_error(LMC_ERR_OPENCL, "clCreateKernel(exact_run): %s", lmc_cl_error_name(err));
        goto fail;
    }
    if ((st = cl_alloc(p, &p->d_blob, m->blob_n * 4, CL_MEM_READ_ONLY, m->blob)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_lay, (size_t)m->lay_n * 4, CL_MEM_READ_ONLY, m->lay)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_kv, pp.max_windows * p->kv_per_window * 4, CL_MEM_READ_WRITE, NULL)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_sc, pp.max_windows * p->sc_per_window * 4, CL_MEM_READ_WRITE, NULL)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_lens, pp.max_windows * 4, CL_MEM_READ_ONLY, NULL)) != LMC_OK)
        goto fail;
    *out = &p->pred;
    return LMC_OK;
fail:
    lmc_exact_predictor_destroy(&p->pred);
    return st;
}
