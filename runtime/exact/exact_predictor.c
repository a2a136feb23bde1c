/* exact_predictor.c : the codec's predictor (lmc_predictor) over a coding model, on cpu-ref (the
 * plain-C oracle: cl/exact/exact.cl compiled as C, position by position) or on an OpenCL device (the
 * batched kernels exb_* of cl/exact/exact.cl, layer by layer over many rows at once). An
 * lmc-exact-2 model builds the program with LMC_EXACT_FORMAT2 (int16 operands: short caches, the
 * weights also in row pairs for exd2_linear(), the weight table as int16).
 *
 * The scheduler (DESIGN.md §4): encoding gives each position of each window of a call one row
 * (a short last window gets only its length's rows) and runs the layers over chunks of at most
 * enc_rows rows (whole windows), so device memory is bounded whatever the batch; decoding
 * advances every unfinished window of the call by one position per decode_next() (one row each)
 * against a K/V cache of max_windows windows kept on the device, one exb_decode launch per step
 * (a work-group per row, every layer). max_windows = 0: LMC_EXACT_BATCH, else a calibration at
 * first use on an OpenCL device (choose_tuning(): decode steps timed at candidate batches and
 * work-group sizes, encoding chunks at candidate sizes), cached per device and model shape beside
 * the program cache; cpu-ref and simulators take auto_windows(). With profiling on, launches are
 * timed on a profiling queue of the predictor's own (lmc_exact_predictor_get_profile()).
 *
 * Key invariant: every row is the same integer function of (coding model, window bytes before
 * the position) on both paths and every device, whatever the batch, the chunking or the
 * work-group size: cl/exact/exact.cl's batched kernels apply ex_position()'s operations in its order
 * for each value, with exact (wrap-around 64-bit) sums. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getpid */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "device_internal.h"
#include "exact_internal.h"
#include "lmc/sha256.h"
#include "program.h"

/* Rows per encoding chunk by default (at least one whole window): about 3.3 KB of device memory
 * per row for the 200k model (activations 9C ints, the row 256 ints) plus the chunk's K/V. The
 * calibration keeps it unless another chunk is clearly faster (calibrate()). */
#define EX_ENC_ROWS 8192
/* On CPU devices: one window of 2048, so a chunk's activations (about 3.3 KB a row) stay in the
 * caches; LMC_EXACT_CHUNK_ROWS overrides either and the calibration's choice. */
#define EX_ENC_ROWS_CPU 2048
/* K/V cache bytes the automatic batch size may take, and at most this share of the device. */
#define EX_AUTO_KV_BUDGET ((uint64_t)128 << 20)
#define EX_PAD 16
/* entries of the exp table the device blob carries (cl/exact/exact.cl, EX_LAY_EXP_TAB) */
#define EX_EXP_TAB 65536
/* exb_attention's work-items at most (each loops over blocks of 4 rows of one head), each with 4
 * score rows of scratch */
#define EX_ATT_ITEMS 1024
#define EX_AUTO_MAX_WINDOWS 64
#define EX_AUTO_MIN_WINDOWS 2 /* on CPUs: whatever the cache, some batching of the launches */ /* the codec's driver takes at most 64 windows a call */ /* ints past the end of buffers read with vload8 */

/* Launch roles, for the profile (lmc_exact_predictor_get_profile). */
enum { EXR_EMBED, EXR_QKV, EXR_ATTENTION, EXR_WO_LN1, EXR_W1_GELU, EXR_W2_LN2, EXR_OUT, EXR_DECODE, EXR_COUNT };
static const char *const ex_role_names[EXR_COUNT] = {"embed",  "qkv", "attention", "wo_ln1",
                                                     "w1_gelu", "w2_ln2", "out",      "decode"};

typedef struct ex_prof_pending {
    cl_event ev;
    int role, dir;
} ex_prof_pending;

typedef struct ex_pred {
    lmc_predictor pred;
    const lmc_exact_model *m;
    lmc_device *dev;
    int is_cl;
    size_t max_windows, local_size;
    size_t attention_local;         /* exb_attention's work-group size when local_size is 0 */
    size_t kv_per_window, sc_per_window; /* ints (cpu-ref) */
    /* cpu-ref state */
    int32_t *kv, *sc;
    /* decode state */
    size_t n_dec, t_dec;
    int32_t *lens;
    /* OpenCL */
    cl_program program;
    cl_kernel k_embed, k_linear, k_qkv, k_attention, k_linear_ln, k_decode;
    size_t decode_local;            /* exb_decode's work-group size (one row per group) */
    size_t decode_local_max;        /* ... at most: CL_KERNEL_WORK_GROUP_SIZE of exb_decode */
    size_t enc_rows;                /* rows per encoding chunk (EX_ENC_ROWS(_CPU) or calibrated) */
    cl_mem d_drt, d_dsc;            /* exb_decode's rows (max_windows, 4) and scratch (max_windows, dsc_per_row) */
    size_t dsc_per_row;
    cl_int *h_drt;
    cl_int *h_dwin;                 /* the windows of d_drt's rows as last written, dwin_n of them */
    size_t dwin_n;
    cl_mem d_blob, d_lay;
    cl_mem d_w16;                   /* the I16 tensors as int16 at their blob offsets (the kernels' weights) */
    cl_mem d_kt, d_vt;              /* decode K/V caches (max_windows, L, C, T) + pad; lmc-exact-2: short,
                                       (max_windows, L, NH, 2 ceil(hs / 2), T) (exd2_kv_index()) */
    size_t dec_ws;                  /* elements of one window's decode cache (every layer) */
    cl_mem d_w2;                    /* lmc-exact-2: the I16 tensors with rows in pairs (exd2_linear()) */
    cl_mem d_xop;                   /* lmc-exact-2: (rows, C) operands of the last embedding or LayerNorm output */
    cl_mem d_ekt, d_evt;            /* encode K/V of one layer (chunk windows, C, W) + pad */
    size_t ekv_cap;                 /* ints in d_ekt */
    cl_mem d_in, d_rt, d_h, d_q, d_att, d_tmp, d_a, d_ff, d_out, d_sc;
    size_t rows_cap, sc_cap;        /* rows the row buffers hold; ints in d_sc */
    uint8_t *h_in;                  /* (rows_cap) */
    cl_int *h_rt;                   /* (rows_cap, 2) */
    int32_t *h_out;                 /* (max_windows, 256) decode rows before scattering */
    cl_command_queue queue;         /* the device's queue, or own_queue while profiling */
    cl_command_queue own_queue;     /* a profiling queue of this predictor's own */
    const char *batch_source;
    /* profile: per direction and role; events waiting to be read at the next synchronisation */
    int profiling, dir;             /* dir: 0 encoding, 1 decoding (the call in progress) */
    lmc_exact_profile_row prof[2][EXR_COUNT];
    uint64_t prof_positions[2];
    ex_prof_pending *pend;
    size_t pend_n, pend_cap;
} ex_pred;

lmc_exact_predictor_params lmc_exact_predictor_params_default(void) {
    lmc_exact_predictor_params p = {0, 0, NULL};
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
    *mem = NULL;
    *mem = clCreateBuffer(p->dev->context, flags | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes ? bytes : 4, host, &err);
    LMC_CL_CHECK(err);
    return LMC_OK;
}

/* Positions per channel of a decoding K/V cache holding n: its layout is in blocks of 8
 * positions (exb_kv_index() in cl/exact/exact.cl). */
static size_t kv_positions(size_t n) { return (n + 7) & ~(size_t)7; }

/* Row buffers for `rows` rows and attention scratch for rows with up to TS keys. */
static lmc_status cl_reserve(ex_pred *p, size_t rows, size_t TS) {
    const size_t C = (size_t)p->m->config.d_model, NH = (size_t)p->m->config.n_heads;
    if (rows > p->rows_cap) {
        uint8_t *in = realloc(p->h_in, rows);
        if (in) p->h_in = in;
        cl_int *rt = realloc(p->h_rt, rows * 2 * sizeof *rt);
        if (rt) p->h_rt = rt;
        if (!in || !rt) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "row tables of %zu rows", rows);
        LMC_TRY(cl_alloc(p, &p->d_in, rows, CL_MEM_READ_ONLY, NULL));
        LMC_TRY(cl_alloc(p, &p->d_rt, rows * 2 * sizeof(cl_int), CL_MEM_READ_ONLY, NULL));
        cl_mem *act[] = {&p->d_h, &p->d_q, &p->d_att, &p->d_tmp, &p->d_a, &p->d_xop};
        for (size_t i = 0; i < sizeof act / sizeof act[0]; i++) LMC_TRY(cl_alloc(p, act[i], (rows * C + EX_PAD) * 4, CL_MEM_READ_WRITE, NULL));
        LMC_TRY(cl_alloc(p, &p->d_ff, (rows * 4 * C + EX_PAD) * 4, CL_MEM_READ_WRITE, NULL));
        LMC_TRY(cl_alloc(p, &p->d_out, rows * 256 * 4, CL_MEM_READ_WRITE, NULL));
        p->rows_cap = rows;
    }
    size_t items = (rows + 3) / 4 * NH, G = items < EX_ATT_ITEMS ? items : EX_ATT_ITEMS;
    size_t sc = (G + 64) * 4 * (TS + 8) + EX_PAD; /* + 64: the global size is rounded up to a work-group */
    if (sc > p->sc_cap) {
        LMC_TRY(cl_alloc(p, &p->d_sc, sc * 4, CL_MEM_READ_WRITE, NULL));
        p->sc_cap = sc;
    }
    return LMC_OK;
}

static lmc_status arg(cl_kernel k, cl_uint i, size_t size, const void *v) {
    LMC_CL_CHECK(clSetKernelArg(k, i, size, v));
    return LMC_OK;
}
#define ARG_MEM(k, i, m) LMC_TRY(arg(k, i, sizeof(cl_mem), &(m)))
#define ARG_INT(k, i, v)                              \
    do {                                              \
        cl_int v_ = (cl_int)(v);                      \
        LMC_TRY(arg(k, i, sizeof v_, &v_));           \
    } while (0)

/* Read the device times of the launches enqueued so far (after a synchronisation point). */
static void prof_drain(ex_pred *p) {
    for (size_t i = 0; i < p->pend_n; i++) {
        cl_ulong t0 = 0, t1 = 0;
        if (clGetEventProfilingInfo(p->pend[i].ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(p->pend[i].ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) == CL_SUCCESS && t1 > t0)
            p->prof[p->pend[i].dir][p->pend[i].role].seconds += 1e-9 * (double)(t1 - t0);
        clReleaseEvent(p->pend[i].ev);
    }
    p->pend_n = 0;
}

/* local: the work-group size (0: the driver's choice); the global size is rounded up to it. role, ops
 * and bytes: for the profile. */
static lmc_status launch(ex_pred *p, cl_kernel k, cl_uint dims, const size_t *global_in, size_t local0, int role, double ops,
                         double bytes) {
    size_t global[3] = {global_in[0], dims > 1 ? global_in[1] : 1, dims > 2 ? global_in[2] : 1}, local[3] = {local0, 1, 1};
    if (local0) global[0] = (global[0] + local0 - 1) / local0 * local0;
    cl_event ev = NULL;
    if (p->profiling && p->pend_n == p->pend_cap) {
        size_t cap = p->pend_cap ? 2 * p->pend_cap : 256;
        ex_prof_pending *np = realloc(p->pend, cap * sizeof *np);
        if (!np) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "profile events");
        p->pend = np;
        p->pend_cap = cap;
    }
    LMC_CL_CHECK(clEnqueueNDRangeKernel(p->queue, k, dims, NULL, global, local0 ? local : NULL, 0, NULL, p->profiling ? &ev : NULL));
    if (p->profiling) {
        lmc_exact_profile_row *r = &p->prof[p->dir][role];
        r->launches++;
        r->ops += ops;
        r->bytes += bytes;
        p->pend[p->pend_n].ev = ev;
        p->pend[p->pend_n].role = role;
        p->pend[p->pend_n].dir = p->dir;
        p->pend_n++;
    }
    return LMC_OK;
}

/* The encoding linears' weights: lmc-exact-1 reads them as they are laid out (d_w16), lmc-exact-2 with
 * the rows in pairs (d_w2), one vpmaddwd per pair of inputs. */
static cl_mem *enc_weights(ex_pred *p) { return p->d_w2 ? &p->d_w2 : &p->d_w16; }

/* y (M, N) = linear(x) of M rows through the tensor triple at lay slot li (bias slot bi, -1: none). */
static lmc_status run_linear(ex_pred *p, size_t M, int incr, int li, int bi, int K, int N, cl_mem x, int gelu,
                             cl_long lim, cl_mem y, int role) {
    cl_kernel k = p->k_linear;
    ARG_MEM(k, 0, p->d_blob);
    ARG_MEM(k, 1, p->d_lay);
    ARG_INT(k, 2, li);
    ARG_INT(k, 3, bi);
    ARG_INT(k, 4, K);
    ARG_INT(k, 5, N);
    ARG_MEM(k, 6, x);
    ARG_INT(k, 7, M);
    ARG_MEM(k, 8, p->d_rt);
    ARG_INT(k, 9, incr);
    ARG_INT(k, 10, gelu);
    LMC_TRY(arg(k, 11, sizeof lim, &lim));
    ARG_MEM(k, 12, y);
    ARG_MEM(k, 13, *enc_weights(p));
    size_t global[2] = {((size_t)N + 15) / 16, (M + 3) / 4}; /* 16 columns, 4 rows per work-item */
    return launch(p, k, 2, global, p->local_size, role, 2.0 * (double)M * K * N, 4.0 * ((double)K * N + (double)M * (K + N)));
}

/* y = LayerNorm(linear(x) + res) (tmp: the sum before the norm), one row per work-item. */
static lmc_status run_linear_ln(ex_pred *p, size_t M, int incr, int li, int bi, int K, cl_mem x, cl_mem res, int gs,
                                int bs, cl_mem y, int role) {
    cl_kernel k = p->k_linear_ln;
    ARG_MEM(k, 0, p->d_blob);
    ARG_MEM(k, 1, p->d_lay);
    ARG_INT(k, 2, li);
    ARG_INT(k, 3, bi);
    ARG_INT(k, 4, K);
    ARG_MEM(k, 5, x);
    ARG_MEM(k, 6, res);
    ARG_INT(k, 7, gs);
    ARG_INT(k, 8, bs);
    ARG_INT(k, 9, M);
    ARG_MEM(k, 10, p->d_rt);
    ARG_INT(k, 11, incr);
    ARG_MEM(k, 12, p->d_tmp);
    ARG_MEM(k, 13, y);
    ARG_MEM(k, 14, *enc_weights(p));
    ARG_MEM(k, 15, p->d_xop);
    const double C = p->m->config.d_model;
    return launch(p, k, 1, &M, p->local_size, role, 2.0 * (double)M * K * C, 4.0 * ((double)K * C + (double)M * (K + 3 * C)));
}

/* The forward pass of M rows (inputs in d_in, (window, position) in d_rt) into d_out (M, 256):
 * per layer 4 launches (Q/K/V, attention, Wo + LN1, W1 + GELU) + 1 (W2 + LN2). K/V of layer l
 * go to kt/vt at l * lstride + w * ws (+ channel * TS + position). */
static lmc_status cl_forward(ex_pred *p, size_t M, int incr, cl_mem kt, cl_mem vt, size_t lstride, size_t ws,
                             size_t TS) {
    const lmc_model_config *c = &p->m->config;
    const int C = c->d_model, NH = c->n_heads;
    double keys = 0; /* sum over the rows of the keys they attend to, for the profile */
    if (p->profiling) {
        for (size_t r = 0; r < M; r++) keys += (double)p->h_rt[2 * r + 1] + 1;
        p->prof_positions[p->dir] += M;
    }
    const cl_long act = EX_ACT_LIM, logit = EX_LOGIT_LIM;
    cl_kernel k = p->k_embed;
    ARG_MEM(k, 0, p->d_blob);
    ARG_MEM(k, 1, p->d_lay);
    ARG_MEM(k, 2, p->d_in);
    ARG_MEM(k, 3, p->d_rt);
    ARG_INT(k, 4, M);
    ARG_MEM(k, 5, p->d_h);
    ARG_MEM(k, 6, p->d_xop);
    LMC_TRY(launch(p, k, 1, &M, p->local_size, EXR_EMBED, 0, 12.0 * (double)M * C));
    /* lmc-exact-2: the linear layers after an embedding or a LayerNorm read its operands (d_xop) */
    const cl_mem xin = p->m->format == 2 ? p->d_xop : p->d_h;
    size_t items = (M + 3) / 4 * (size_t)NH, G = items < EX_ATT_ITEMS ? items : EX_ATT_ITEMS;
    /* attention items take time in proportion to their position: groups small enough that
     * every core gets some (at least 8 groups when there are 8 items or more), at most 32 */
    size_t alocal = p->local_size;
    if (!alocal) { /* a power of two: few work-group sizes, so few kernel specialisations in the driver */
        alocal = p->attention_local;
        while (alocal > 1 && G / 8 < alocal) alocal /= 2;
    }
    for (int l = 0; l < c->n_layers; l++) {
        const int ly = EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        const size_t base = (size_t)l * lstride;
        k = p->k_qkv;
        ARG_MEM(k, 0, p->d_blob);
        ARG_MEM(k, 1, p->d_lay);
        ARG_INT(k, 2, ly + EX_WQ);
        ARG_MEM(k, 3, xin);
        ARG_INT(k, 4, M);
        ARG_MEM(k, 5, p->d_rt);
        ARG_INT(k, 6, incr);
        ARG_MEM(k, 7, p->d_q);
        ARG_MEM(k, 8, kt);
        ARG_MEM(k, 9, vt);
        ARG_INT(k, 10, base);
        ARG_INT(k, 11, ws);
        ARG_INT(k, 12, TS);
        ARG_MEM(k, 13, *enc_weights(p));
        size_t g3[3] = {((size_t)C + 15) / 16, (M + 3) / 4, 3};
        LMC_TRY(launch(p, k, 3, g3, p->local_size, EXR_QKV, 6.0 * (double)M * C * C, 4.0 * (3.0 * C * C + 4.0 * M * C)));
        k = p->k_attention;
        ARG_MEM(k, 0, p->d_blob);
        ARG_MEM(k, 1, p->d_lay);
        ARG_MEM(k, 2, p->d_q);
        ARG_INT(k, 3, M);
        ARG_MEM(k, 4, p->d_rt);
        ARG_INT(k, 5, incr);
        ARG_MEM(k, 6, kt);
        ARG_MEM(k, 7, vt);
        ARG_INT(k, 8, base);
        ARG_INT(k, 9, ws);
        ARG_INT(k, 10, TS);
        ARG_MEM(k, 11, p->d_sc);
        ARG_MEM(k, 12, p->d_att);
        LMC_TRY(launch(p, k, 1, &G, alocal, EXR_ATTENTION, 4.0 * keys * C, 4.0 * (2.0 * keys * C + 2.0 * M * C)));
        /* a = LN1(Wo att + h); ff = gelu(W1 a + b1); h = LN2(W2 ff + b2 + a) */
        LMC_TRY(run_linear_ln(p, M, incr, ly + EX_WO, -1, C, p->d_att, p->d_h, ly + EX_LN1_G, ly + EX_LN1_B, p->d_a,
                              EXR_WO_LN1));
        LMC_TRY(run_linear(p, M, incr, ly + EX_W1, ly + EX_B1, C, 4 * C, p->m->format == 2 ? p->d_xop : p->d_a, 1, act, p->d_ff,
                           EXR_W1_GELU));
        LMC_TRY(run_linear_ln(p, M, incr, ly + EX_W2, ly + EX_B2, 4 * C, p->d_ff, p->d_a, ly + EX_LN2_G, ly + EX_LN2_B, p->d_h,
                              EXR_W2_LN2));
    }
    return run_linear(p, M, incr, EX_LAY_OUT_W, EX_LAY_OUT_B, C, 256, xin, 0, logit, p->d_out, EXR_OUT);
}

/* Buffers for encoding chunks of `chunk` windows of W: the chunk's K/V of one layer, its rows. */
static lmc_status cl_reserve_encode(ex_pred *p, size_t chunk, size_t W) {
    size_t ekv = chunk * (size_t)p->m->config.d_model * W + EX_PAD;
    if (ekv > p->ekv_cap) {
        LMC_TRY(cl_alloc(p, &p->d_ekt, ekv * 4, CL_MEM_READ_WRITE, NULL));
        LMC_TRY(cl_alloc(p, &p->d_evt, ekv * 4, CL_MEM_READ_WRITE, NULL));
        p->ekv_cap = ekv;
    }
    return cl_reserve(p, chunk * W, W);
}

/* Whole windows on the device, in chunks of at most enc_rows rows (at least one window). */
static lmc_status cl_encode(ex_pred *p, size_t n, const uint8_t *const *windows, const size_t *lens, size_t W,
                            int32_t *rows) {
    const size_t C = (size_t)p->m->config.d_model;
    size_t chunk = p->enc_rows / W ? p->enc_rows / W : 1;
    if (chunk > n) chunk = n;
    LMC_TRY(cl_reserve_encode(p, chunk, W));
    for (size_t w0 = 0; w0 < n; w0 += chunk) {
        size_t nc = n - w0 < chunk ? n - w0 : chunk, M = 0;
        for (size_t w = 0; w < nc; w++)
            for (size_t t = 0; t < lens[w0 + w]; t++, M++) {
                p->h_in[M] = t ? windows[w0 + w][t - 1] : 0;
                p->h_rt[2 * M] = (cl_int)w;
                p->h_rt[2 * M + 1] = (cl_int)t;
            }
        if (M == 0) continue;
        LMC_CL_CHECK(clEnqueueWriteBuffer(p->queue, p->d_in, CL_FALSE, 0, M, p->h_in, 0, NULL, NULL));
        LMC_CL_CHECK(clEnqueueWriteBuffer(p->queue, p->d_rt, CL_FALSE, 0, M * 2 * sizeof(cl_int), p->h_rt, 0, NULL, NULL));
        LMC_TRY(cl_forward(p, M, 0, p->d_ekt, p->d_evt, 0, C * W, W));
        size_t off = 0;
        for (size_t w = w0; w < w0 + nc; w++) {
            if (lens[w])
                LMC_CL_CHECK(clEnqueueReadBuffer(p->queue, p->d_out, CL_FALSE, off * 256 * 4, lens[w] * 256 * 4,
                                                 rows + w * W * 256, 0, NULL, NULL));
            off += lens[w];
        }
        /* the host buffers are rewritten by the next chunk: wait for the transfers */
        LMC_CL_CHECK(clFinish(p->queue));
        if (p->profiling) prof_drain(p);
    }
    for (size_t w = 0; w < n; w++) memset(rows + (w * W + lens[w]) * 256, 0, (W - lens[w]) * 256 * sizeof *rows);
    return LMC_OK;
}

/* One position of every unfinished decode window: one row each, against the K/V cache. */
static lmc_status cl_decode_step(ex_pred *p, size_t t, const uint8_t *prev, int32_t *rows) {
    const lmc_model_config *c = &p->m->config;
    const size_t C = (size_t)c->d_model, T8 = kv_positions((size_t)c->context), L = (size_t)c->n_layers;
    size_t M = 0;
    for (size_t w = 0; w < p->n_dec; w++) {
        if (t >= (size_t)p->lens[w]) continue;
        cl_int *d = p->h_drt + 4 * M++;
        d[0] = (cl_int)w;
        d[1] = (cl_int)t;
        d[2] = t ? prev[w] : 0;
        d[3] = 0;
    }
    memset(rows, 0, p->n_dec * 256 * sizeof *rows);
    if (M == 0) return LMC_OK;
    /* one launch (exb_decode: the whole forward pass, a work-group per row) and one read; the
     * position and the first 64 rows' bytes are arguments, so the rows' table is written only
     * when the set of unfinished windows changes (or for rows past 64, every step) */
    int same = M == p->dwin_n && M <= 64;
    for (size_t r = 0; r < M && same; r++) same = p->h_dwin[r] == p->h_drt[4 * r];
    if (!same) {
        LMC_CL_CHECK(clEnqueueWriteBuffer(p->queue, p->d_drt, CL_FALSE, 0, M * 4 * sizeof(cl_int), p->h_drt, 0, NULL, NULL));
        for (size_t r = 0; r < M; r++) p->h_dwin[r] = p->h_drt[4 * r];
        p->dwin_n = M;
    }
    cl_uint pb[16] = {0};
    for (size_t r = 0; r < M && r < 64; r++) pb[r >> 2] |= (cl_uint)p->h_drt[4 * r + 2] << (8 * (r & 3));
    cl_kernel k = p->k_decode;
    ARG_MEM(k, 0, p->d_blob);
    ARG_MEM(k, 1, p->d_lay);
    ARG_MEM(k, 2, p->d_drt);
    ARG_INT(k, 3, M);
    ARG_INT(k, 4, t);
    LMC_TRY(arg(k, 5, sizeof pb, pb));
    ARG_MEM(k, 6, p->d_kt);
    ARG_MEM(k, 7, p->d_vt);
    ARG_INT(k, 8, p->dec_ws);
    ARG_INT(k, 9, T8);
    ARG_MEM(k, 10, p->d_dsc);
    ARG_INT(k, 11, p->dsc_per_row);
    ARG_MEM(k, 12, p->d_out);
    ARG_MEM(k, 13, p->d_w16);
    if (p->d_w2) ARG_MEM(k, 14, p->d_w2);
    else ARG_MEM(k, 14, p->d_w16); /* lmc-exact-1's kernel does not read it */
    size_t global = M * p->decode_local;
    const double Cd = (double)C, Ld = (double)L, keys = (double)M * (double)(t + 1);
    if (p->profiling) p->prof_positions[1] += M;
    LMC_TRY(launch(p, k, 1, &global, p->decode_local, EXR_DECODE,
                   2.0 * M * (Ld * 12 * Cd * Cd + 256 * Cd) + 4.0 * Ld * Cd * keys,
                   4.0 * (Ld * (12 * Cd * Cd + 2 * Cd * keys) + 256 * Cd + (double)M * 256)));
    LMC_CL_CHECK(clEnqueueReadBuffer(p->queue, p->d_out, CL_TRUE, 0, M * 256 * 4, p->h_out, 0, NULL, NULL));
    if (p->profiling) prof_drain(p);
    for (size_t r = 0; r < M; r++) memcpy(rows + (size_t)p->h_drt[4 * r] * 256, p->h_out + r * 256, 256 * sizeof *rows);
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
    p->dir = 0;
    return cl_encode(p, n, windows, lens, W, rows);
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
    p->dir = 1;
    return cl_decode_step(p, t, prev, rows);
}

static const lmc_predictor_vtable ex_vtable = {ex_encode_rows, ex_decode_begin, ex_decode_next};

void lmc_exact_predictor_destroy(lmc_predictor *pred) {
    if (!pred) return;
    ex_pred *p = (ex_pred *)pred;
    cl_mem *mems[] = {&p->d_blob, &p->d_w16, &p->d_w2, &p->d_lay, &p->d_kt,  &p->d_vt, &p->d_ekt, &p->d_evt, &p->d_in,  &p->d_rt,  &p->d_h,
                      &p->d_q,    &p->d_att, &p->d_tmp, &p->d_a,  &p->d_xop, &p->d_ff,  &p->d_out, &p->d_sc, &p->d_drt, &p->d_dsc};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (*mems[i]) clReleaseMemObject(*mems[i]);
    cl_kernel ks[] = {p->k_embed, p->k_linear, p->k_qkv, p->k_attention, p->k_linear_ln, p->k_decode};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (ks[i]) clReleaseKernel(ks[i]);
    free(p->h_drt);
    free(p->h_dwin);
    free(p->kv);
    free(p->sc);
    free(p->lens);
    free(p->h_in);
    free(p->h_rt);
    free(p->h_out);
    if (p->own_queue) {
        clFinish(p->own_queue);
        prof_drain(p);
        clReleaseCommandQueue(p->own_queue);
    }
    free(p->pend);
    free(p);
}

const char *lmc_exact_predictor_batch_source(const lmc_predictor *pred) {
    return pred ? ((const ex_pred *)pred)->batch_source : "";
}

void lmc_exact_predictor_sizes(const lmc_predictor *pred, size_t *decode_work_group, size_t *chunk_rows) {
    const ex_pred *p = (const ex_pred *)pred;
    *decode_work_group = p && p->is_cl ? p->decode_local : 0;
    *chunk_rows = p && p->is_cl ? p->enc_rows : 0;
}

lmc_status lmc_exact_predictor_set_profiling(lmc_predictor *pred, int on) {
    LMC_RETURN_IF(!pred, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_predictor_set_profiling: NULL predictor");
    ex_pred *p = (ex_pred *)pred;
    LMC_RETURN_IF(!p->is_cl, LMC_ERR_UNSUPPORTED, "profiling needs an OpenCL device, not %s", p->dev->info.selector);
    LMC_CL_CHECK(clFinish(p->queue));
    prof_drain(p);
    if (on && !p->own_queue) {
        cl_int err = CL_SUCCESS;
        p->own_queue = clCreateCommandQueue(p->dev->context, p->dev->id, CL_QUEUE_PROFILING_ENABLE, &err);
        LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "profiling command queue on %s: %s", p->dev->info.selector,
                      lmc_cl_error_name(err));
    }
    if (on) {
        memset(p->prof, 0, sizeof p->prof);
        memset(p->prof_positions, 0, sizeof p->prof_positions);
    }
    p->profiling = on != 0;
    p->queue = on ? p->own_queue : p->dev->queue;
    return LMC_OK;
}

lmc_status lmc_exact_predictor_get_profile(const lmc_predictor *pred, lmc_exact_profile *out) {
    LMC_RETURN_IF(!pred || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_predictor_get_profile: NULL argument");
    const ex_pred *p = (const ex_pred *)pred;
    memset(out, 0, sizeof *out);
    for (int d = 0; d < 2; d++) {
        out->positions[d] = p->prof_positions[d];
        for (int r = 0; r < EXR_COUNT; r++)
            if (p->prof[d][r].launches) {
                out->rows[out->n] = p->prof[d][r];
                out->rows[out->n].kernel = ex_role_names[r];
                out->rows[out->n].decode = d;
                out->n++;
            }
    }
    return LMC_OK;
}

/* max_windows = 0: the batch from the device's memory. Decoding reads every window's whole K/V
 * cache at every step, so on a CPU it runs at the speed of memory unless the batch's caches stay
 * in the device's global memory cache: half of CL_DEVICE_GLOBAL_MEM_CACHE_SIZE there (4 windows
 * of the 200k model with 32 MiB; measured on a 2-core EPYC: 8.7k bytes/s decoding with 4 windows,
 * 5.3k with 16), at least EX_AUTO_MIN_WINDOWS. Elsewhere (GPUs, cpu-ref) EX_AUTO_KV_BUDGET of
 * K/V, at most a quarter of the device's memory or one allocation. 1 .. EX_AUTO_MAX_WINDOWS. */
static size_t auto_windows(const lmc_device *device, size_t kv_bytes_per_window) {
    uint64_t budget = EX_AUTO_KV_BUDGET, floor = 1;
    if (device->info.kind == LMC_DEVICE_KIND_OPENCL) {
        if (device->info.global_mem_bytes && device->info.global_mem_bytes / 4 < budget) budget = device->info.global_mem_bytes / 4;
        if (device->info.max_alloc_bytes && device->info.max_alloc_bytes < budget) budget = device->info.max_alloc_bytes;
        cl_device_type type = 0;
        cl_ulong cache = 0;
        if (clGetDeviceInfo(device->id, CL_DEVICE_TYPE, sizeof type, &type, NULL) == CL_SUCCESS && (type & CL_DEVICE_TYPE_CPU) &&
            clGetDeviceInfo(device->id, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, sizeof cache, &cache, NULL) == CL_SUCCESS &&
            cache > 0 && cache / 2 < budget) {
            budget = cache / 2;
            floor = EX_AUTO_MIN_WINDOWS;
        }
    }
    uint64_t n = budget / (kv_bytes_per_window ? kv_bytes_per_window : 1);
    if (n < floor) n = floor;
    return n < 1 ? 1 : n > EX_AUTO_MAX_WINDOWS ? EX_AUTO_MAX_WINDOWS : (size_t)n;
}

/* ---- the automatic choices: calibration at first use, cached per device and model shape ---- */

#define EX_CALIB_VERSION "lmc-exact-batch-5"
#define EX_CALIB_STEPS 3        /* decode steps per timed block at least, after one untimed step */
#define EX_CALIB_BLOCK_S 0.02   /* ... and seconds per timed block at least: one step of a small batch */
                                /* takes a fraction of a millisecond, less than a scheduler's tick */
#define EX_CALIB_SWEEPS 3       /* timed blocks per candidate, one per sweep over the candidates */
#define EX_CALIB_MAX 8          /* candidates per choice at most */
#define EX_CALIB_CHUNK_MARGIN 1.10 /* an encoding chunk other than the default: this much faster */
#define EX_CALIB_WG_MARGIN 1.10    /* a decoding work-group other than the default: this much faster */

/* What a calibration chooses (0: the device's default, for the two sizes). */
typedef struct ex_tuning {
    size_t batch;        /* max_windows */
    size_t decode_local; /* exb_decode's work-group size */
    size_t enc_rows;     /* rows per encoding chunk */
} ex_tuning;

static double ex_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The calibration's cache file: the SHA-256 of (version, platform, device, driver, model shape,
 * kernel source, the largest candidate) names it, in the program cache's folder; 0: no cache. */
static int calib_path(const lmc_device *device, const lmc_model_config *c, int format, size_t bmax, char *path, size_t cap) {
    char dir[4096], num[128];
    lmc_program_cache_dir(dir, sizeof dir);
    if (dir[0] == '\0') return 0;
    char *src = NULL;
    if (lmc_program_source("exact", &src) != LMC_OK) return 0;
    lmc_sha256_ctx ctx;
    lmc_sha256_init(&ctx);
    const char *parts[] = {EX_CALIB_VERSION, device->info.platform, device->info.name, device->info.driver_version, src};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) lmc_sha256_update(&ctx, parts[i], strlen(parts[i]) + 1);
    free(src);
    snprintf(num, sizeof num, "C=%d L=%d NH=%d T=%d bmax=%zu F=%d", c->d_model, c->n_layers, c->n_heads, c->context, bmax,
             format);
    lmc_sha256_update(&ctx, num, strlen(num) + 1);
    uint8_t digest[32];
    char hex[65];
    lmc_sha256_final(&ctx, digest);
    lmc_sha256_hex(digest, hex);
    int n = snprintf(path, cap, "%s/exact-batch-%s.txt", dir, hex);
    return n > 0 && (size_t)n < cap;
}

/* 1: *t read back ("VERSION batch decode_local enc_rows" on the first line). */
static int calib_load(const char *path, ex_tuning *t) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char tag[64] = "";
    unsigned long b = 0, dl = 0, er = 0;
    int ok = fscanf(f, "%63s %lu %lu %lu", tag, &b, &dl, &er) == 4 && strcmp(tag, EX_CALIB_VERSION) == 0 && b >= 1 &&
             b <= EX_AUTO_MAX_WINDOWS && dl >= 1 && dl <= 4096 && er >= 1 && er <= (1ul << 20);
    fclose(f);
    if (ok) {
        t->batch = (size_t)b;
        t->decode_local = (size_t)dl;
        t->enc_rows = (size_t)er;
    }
    return ok;
}

/* Written to a temporary name and renamed, like the program cache; failure only loses the cache. */
static void calib_store(const char *path, const ex_tuning *t, const char *detail) {
    char dir[4096], tmp[4500];
    lmc_program_cache_dir(dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    int ok = fprintf(f, "%s %zu %zu %zu\n%s\n", EX_CALIB_VERSION, t->batch, t->decode_local, t->enc_rows, detail) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

/* Decode rows per second of p at batch b over one block of steps of b rows at the middle of the
 * context (the K/V caches' contents do not change the time, their size does): after one untimed
 * step, steps until the block has lasted EX_CALIB_BLOCK_S and counts EX_CALIB_STEPS at least, so
 * the rate is a sustained one (caches, worker threads' wake-ups) and no single step sets it. */
static lmc_status calib_decode_rate(ex_pred *p, size_t b, int32_t *rows, uint8_t *prev, double *rate) {
    const size_t T = (size_t)p->m->config.context;
    p->n_dec = b;
    for (size_t w = 0; w < b; w++) p->lens[w] = (int32_t)T;
    LMC_TRY(cl_decode_step(p, T / 2, prev, rows));
    double t0 = ex_now(), dt = 0;
    int steps = 0;
    while (steps < EX_CALIB_STEPS || dt < EX_CALIB_BLOCK_S) {
        LMC_TRY(cl_decode_step(p, T / 2, prev, rows));
        steps++;
        dt = ex_now() - t0;
    }
    p->n_dec = 0;
    *rate = (double)b * steps / dt;
    return LMC_OK;
}

/* The index of the choice among n candidates of rates rate[]: the default (index def) unless
 * another is faster by more than the margin (against noise: a loaded moment must not move the
 * choice from a size known to be sound), then the fastest. */
static size_t calib_pick(const double *rate, size_t n, size_t def, double margin) {
    size_t best = def;
    for (size_t i = 0; i < n; i++)
        if (rate[i] > rate[best]) best = i;
    return rate[best] > margin * rate[def] ? best : def;
}

/* Encoded rows per second of p with chunks of nw windows, over one chunk of nw whole windows. */
static lmc_status calib_encode_rate(ex_pred *p, size_t nw, const uint8_t **wins, const size_t *lens, int32_t *rows, double *rate) {
    const size_t W = (size_t)p->m->config.context;
    p->enc_rows = nw * W;
    double t0 = ex_now();
    LMC_TRY(cl_encode(p, nw, wins, lens, W, rows));
    *rate = (double)(nw * W) / (ex_now() - t0);
    return LMC_OK;
}

/* Appends "label: c0=r0 c1=r1 .." to detail. */
static void calib_detail(char *detail, size_t cap, const char *label, const size_t *cand, const double *rate, size_t n) {
    size_t used = strlen(detail);
    if (used + 1 < cap) used += (size_t)snprintf(detail + used, cap - used, "%s%s:", used ? "; " : "", label);
    for (size_t i = 0; i < n && used + 32 < cap; i++) used += (size_t)snprintf(detail + used, cap - used, " %zu=%.0f", cand[i], rate[i]);
}

/* Candidates lo, lo * f, lo * f^2, .. up to hi, with def among them (inserted in order); the
 * index of def in *idef. */
static size_t calib_candidates(size_t lo, size_t hi, size_t f, size_t def, size_t *cand, size_t *idef) {
    size_t n = 0;
    for (size_t v = lo; v <= hi && n < EX_CALIB_MAX - 1; v *= f) {
        if (def < v && (n == 0 || cand[n - 1] < def)) cand[n++] = def;
        cand[n++] = v;
    }
    if (n == 0 || cand[n - 1] < def) cand[n++] = def;
    for (size_t i = 0; i < n; i++)
        if (cand[i] == def) *idef = i;
    return n;
}

/* Rows of pseudo-text (printable bytes of a fixed LCG) for timing encoding: attention's cost
 * depends on how many blocks of keys have weights, so the bytes are not all alike. */
static void calib_text(uint8_t *b, size_t n) {
    uint32_t x = 12345u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(' ' + (x >> 16) % 95u);
    }
}

/* rate[i] (zeroed first): the best of EX_CALIB_SWEEPS interleaved decode blocks (against drift)
 * of candidate i, at batch batches[i] (NULL: `batch` for all) and work-group locals[i] (NULL:
 * p's for all). */
static lmc_status calib_decode_sweeps(ex_pred *p, const size_t *batches, size_t batch, const size_t *locals, size_t n,
                                      int32_t *rows, uint8_t *prev, double *rate) {
    for (size_t i = 0; i < n; i++) rate[i] = 0;
    for (int sweep = 0; sweep < EX_CALIB_SWEEPS; sweep++)
        for (size_t i = 0; i < n; i++) {
            double r = 0;
            if (locals) p->decode_local = locals[i];
            LMC_TRY(calib_decode_rate(p, batches ? batches[i] : batch, rows, prev, &r));
            if (r > rate[i]) rate[i] = r;
        }
    return LMC_OK;
}

/* t->batch: the smallest batch within 3% of the best decoding rate among b0, 2 b0, ..
 * p->max_windows (b0: the power of two at or above the compute units). */
static lmc_status calib_batch(ex_pred *p, int32_t *rows, uint8_t *prev, ex_tuning *t, char *detail, size_t cap) {
    /* from the compute units up: fewer windows than units leave units idle by construction (a
     * window's row is one work-group), whatever a loaded machine's timings say */
    cl_uint units = 1;
    if (clGetDeviceInfo(p->dev->id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL) != CL_SUCCESS || units < 1) units = 1;
    size_t b0 = 1, bs[EX_CALIB_MAX], nb = 0;
    while (b0 < units && b0 * 2 <= p->max_windows) b0 *= 2;
    for (size_t b = b0; b <= p->max_windows && nb < EX_CALIB_MAX; b *= 2) bs[nb++] = b;
    double rate[EX_CALIB_MAX], top = 0;
    LMC_TRY(calib_decode_sweeps(p, bs, 0, NULL, nb, rows, prev, rate));
    for (size_t i = 0; i < nb; i++)
        if (rate[i] > top) top = rate[i];
    t->batch = b0;
    for (size_t i = 0; i < nb; i++)
        if (rate[i] >= 0.97 * top) {
            t->batch = bs[i];
            break;
        }
    calib_detail(detail, cap, "decode rows/s by batch", bs, rate, nb);
    return LMC_OK;
}

/* t->decode_local: exb_decode's work-group size at batch t->batch (left in p). */
static lmc_status calib_work_group(ex_pred *p, int32_t *rows, uint8_t *prev, ex_tuning *t, char *detail, size_t cap) {
    size_t ls[EX_CALIB_MAX], ldef = 0;
    const size_t lmax = p->decode_local_max < 256 ? p->decode_local_max : 256;
    const size_t nl = calib_candidates(1, lmax, 4, p->decode_local, ls, &ldef);
    double rate[EX_CALIB_MAX];
    LMC_TRY(calib_decode_sweeps(p, NULL, t->batch, ls, nl, rows, prev, rate));
    t->decode_local = p->decode_local = ls[calib_pick(rate, nl, ldef, EX_CALIB_WG_MARGIN)];
    calib_detail(detail, cap, "decode rows/s by work-group", ls, rate, nl);
    return LMC_OK;
}

/* t->enc_rows: encoding's chunk, in whole windows of the context (p->enc_rows is left as it was). */
static lmc_status calib_chunk(ex_pred *p, ex_tuning *t, char *detail, size_t cap) {
    const size_t W = (size_t)p->m->config.context, rdef = p->enc_rows, wraw = rdef / W ? rdef / W : 1;
    /* a call codes at most max_windows windows, so a chunk holds at most that many */
    const size_t wmax = 2 * wraw < p->max_windows ? 2 * wraw : p->max_windows;
    const size_t wdef = wraw < wmax ? wraw : wmax; /* the default's windows in effect */
    size_t ws[EX_CALIB_MAX], wi = 0;
    const size_t nw = calib_candidates(1, wmax, 2, wdef, ws, &wi);
    double rate[EX_CALIB_MAX] = {0}, best = 0;
    uint8_t *text = malloc(wmax * W);
    int32_t *rows = malloc(wmax * W * 256 * sizeof *rows);
    const uint8_t **wins = malloc(wmax * sizeof *wins);
    size_t *lens = malloc(wmax * sizeof *lens), ntimed = 0;
    lmc_status st = text && rows && wins && lens ? LMC_OK : lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "calibration");
    if (st == LMC_OK) {
        calib_text(text, wmax * W);
        for (size_t w = 0; w < wmax; w++) {
            wins[w] = text + w * W;
            lens[w] = W;
        }
        /* untimed, a whole window: the first launches (a short one left the first timing 10-20% low) */
        p->enc_rows = W;
        st = cl_encode(p, 1, wins, lens, W, rows);
        if (st == LMC_OK) st = cl_reserve_encode(p, wmax, W); /* no allocation inside a timing */
    }
    for (size_t i = 0; i < nw && st == LMC_OK; i++) {
        for (int k = 0; k < 2 && st == LMC_OK; k++) { /* the best of two: a new chunk's first launches can compile */
            double r = 0;
            st = calib_encode_rate(p, ws[i], wins, lens, rows, &r);
            if (r > rate[i]) rate[i] = r;
        }
        ntimed = i + 1;
        if (rate[i] > best) best = rate[i];
        if (i > wi && rate[i] < 0.9 * best) break; /* past the default and falling off */
    }
    p->enc_rows = rdef;
    if (st == LMC_OK) {
        const size_t pick = calib_pick(rate, ntimed, wi, EX_CALIB_CHUNK_MARGIN);
        t->enc_rows = pick == wi ? rdef : ws[pick] * W; /* the default itself: it may not be whole windows */
        for (size_t i = 0; i < ntimed; i++) ws[i] *= W;
        calib_detail(detail, cap, "encode rows/s by chunk rows", ws, rate, ntimed);
    }
    free(text);
    free(rows);
    free(wins);
    free(lens);
    return st;
}

/* The three choices, each from what the device does (calib_batch(), calib_work_group(),
 * calib_chunk()):
 * - the batch with the best decoding rate among b0, 2 b0, .. p->max_windows, EX_CALIB_SWEEPS
 *   interleaved sweeps, each candidate's best block, the smallest within 3% of the best (decoding
 *   is the slower direction and the one the batch moves: encoding runs in chunks of enc_rows rows
 *   whatever the batch);
 * - exb_decode's work-group size at that batch, among 1, 4, 16, .. (at most the kernel's maximum
 *   and 256) and the device's default (1 on CPUs, 64 elsewhere), three interleaved sweeps: the
 *   default unless another decodes more than 10% faster (on a CPU the blocks' rates vary by about
 *   that much, and a CPU runs a group's work-items in turn: 1 is sound by construction);
 * - encoding's chunk, in whole windows of the context (1, 2, 4, .. up to twice the default's rows
 *   and the largest batch: a CPU's chunk takes tenths of a second), each the best of two timings
 *   of one chunk (the first launches of a new chunk's shapes can compile: PoCL specialises its
 *   work-group functions at first use, which made single timings of the tiny model 1000x slow),
 *   after an untimed window; the sweep ends past the default at the first candidate 10% slower
 *   than the best: the default unless another encodes more than 10% faster (on a 2-core EPYC with
 *   PoCL the rate hardly depends on the chunk, 512 to 8192 rows of 200k, and single timings'
 *   noise reached 20%).
 * None of them changes a row: every row is the same function of the window's bytes whatever the
 * batch, the work-group or the chunk (ExactBatched tests). */
static lmc_status calibrate(ex_pred *p, ex_tuning *t, char *detail, size_t cap) {
    int32_t *rows = malloc(p->max_windows * 256 * sizeof *rows);
    uint8_t *prev = calloc(p->max_windows, 1);
    lmc_status st = rows && prev ? LMC_OK : lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "calibration");
    detail[0] = '\0';
    if (st == LMC_OK) st = calib_batch(p, rows, prev, t, detail, cap);
    if (st == LMC_OK) st = calib_work_group(p, rows, prev, t, detail, cap);
    if (st == LMC_OK) st = calib_chunk(p, t, detail, cap);
    free(rows);
    free(prev);
    return st;
}

/* The largest candidate batch: the K/V caches within EX_AUTO_KV_BUDGET, a quarter of the device's
 * memory and one allocation; 1 .. EX_AUTO_MAX_WINDOWS. */
static size_t calib_max_windows(const lmc_device *device, size_t kv_bytes_per_window) {
    uint64_t budget = EX_AUTO_KV_BUDGET;
    if (device->info.global_mem_bytes && device->info.global_mem_bytes / 4 < budget) budget = device->info.global_mem_bytes / 4;
    if (device->info.max_alloc_bytes && device->info.max_alloc_bytes < budget) budget = device->info.max_alloc_bytes;
    uint64_t n = budget / (kv_bytes_per_window ? kv_bytes_per_window : 1);
    return n < 1 ? 1 : n > EX_AUTO_MAX_WINDOWS ? EX_AUTO_MAX_WINDOWS : (size_t)n;
}

/* For params->max_windows = 0: LMC_EXACT_BATCH (the sizes then the device's defaults), else on an
 * OpenCL device other than a simulator the cached calibration or a new one (stored), else
 * auto_windows() and the defaults. */
static lmc_status choose_tuning(const lmc_exact_model *m, lmc_device *device, const lmc_exact_predictor_params *pp,
                                size_t kv_bytes, ex_tuning *out, const char **source) {
    memset(out, 0, sizeof *out);
    const char *env = getenv("LMC_EXACT_BATCH");
    if (env && env[0]) {
        char *end = NULL;
        unsigned long v = strtoul(env, &end, 10);
        LMC_RETURN_IF(!end || *end || v < 1 || v > EX_AUTO_MAX_WINDOWS, LMC_ERR_INVALID_ARGUMENT,
                      "LMC_EXACT_BATCH=%s: a number of windows from 1 to %d", env, EX_AUTO_MAX_WINDOWS);
        out->batch = (size_t)v;
        *source = "env";
        return LMC_OK;
    }
    if (device->info.kind != LMC_DEVICE_KIND_OPENCL || device->info.is_simulator) {
        out->batch = auto_windows(device, kv_bytes);
        *source = "default";
        return LMC_OK;
    }
    const size_t bmax = calib_max_windows(device, kv_bytes);
    char path[4400];
    int cached = calib_path(device, &m->config, m->format, bmax, path, sizeof path);
    if (cached && calib_load(path, out)) {
        *source = "cached";
        return LMC_OK;
    }
    lmc_exact_predictor_params cp = *pp;
    cp.max_windows = bmax;
    lmc_predictor *probe = NULL;
    LMC_TRY(lmc_exact_predictor_create(m, device, &cp, &probe));
    char detail[1024];
    lmc_status st = calibrate((ex_pred *)probe, out, detail, sizeof detail);
    lmc_exact_predictor_destroy(probe);
    LMC_TRY(st);
    lmc_log(LMC_LOG_DEBUG, "exact predictor on %s: batch %zu, decode work-group %zu, chunk %zu rows (%s)", device->info.name,
            out->batch, out->decode_local, out->enc_rows, detail);
    if (cached) calib_store(path, out, detail);
    *source = "calibrated";
    return LMC_OK;
}

lmc_status lmc_exact_predictor_create(const lmc_exact_model *m, lmc_device *device, const lmc_exact_predictor_params *params,
                                      lmc_predictor **out) {
    LMC_RETURN_IF(!m || !device || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_predictor_create: NULL argument");
    *out = NULL;
    lmc_exact_predictor_params pp = params ? *params : lmc_exact_predictor_params_default();
    const lmc_model_config *c = &m->config;
    const size_t kv_per_window = 2 * (size_t)c->n_layers * (size_t)c->context * (size_t)c->d_model;
    const char *source = "params";
    ex_tuning tuned = {0, 0, 0};
    if (pp.max_windows == 0) {
        LMC_TRY(choose_tuning(m, device, &pp, kv_per_window * (m->format == 2 ? 2 : 4), &tuned, &source));
        pp.max_windows = tuned.batch;
    }
    ex_pred *p = calloc(1, sizeof *p);
    if (!p) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
    lmc_status st = LMC_OK;
    p->m = m;
    p->dev = device;
    p->is_cl = device->info.kind == LMC_DEVICE_KIND_OPENCL;
    p->queue = p->is_cl ? device->queue : NULL;
    p->max_windows = pp.max_windows;
    p->batch_source = source;
    p->local_size = pp.local_size;
    p->kv_per_window = kv_per_window;
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
    /* the kernels take cache offsets (L * C * T, T rounded up to the layout's 8) and blob offsets as int */
    const size_t T8 = kv_positions((size_t)c->context), hs = (size_t)(c->d_model / c->n_heads);
    const size_t kv_cl_per_window = (size_t)c->n_layers * (m->format == 2 ? (size_t)c->n_heads * 2 * ((hs + 1) / 2) : (size_t)c->d_model) * T8;
    const size_t kv_elem = m->format == 2 ? 2 : 4; /* bytes */
    p->dec_ws = kv_cl_per_window;
    if (kv_cl_per_window > (size_t)INT32_MAX || m->blob_n > (size_t)INT32_MAX - EX_EXP_TAB - 4 * EX_PAD) {
        st = lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "coding model too large for the OpenCL path (L*C*T = %zu)", kv_cl_per_window);
        goto fail;
    }
    { /* lmc-exact-2's kernels are the same source built for that format (EXB_QS) */
        const char *extra = pp.kernel_preamble ? pp.kernel_preamble : "";
        char *pre = malloc(strlen(extra) + 64);
        if (!pre) {
            st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
            goto fail;
        }
        snprintf(pre, strlen(extra) + 64, "%s%s", m->format == 2 ? "#define LMC_EXACT_FORMAT2 1\n" : "", extra);
        st = lmc_program_get(device, "exact", pre[0] ? pre : NULL, &p->program);
        free(pre);
        if (st != LMC_OK) goto fail;
    }
    const char *names[] = {"exb_embed", "exb_linear", "exb_qkv", "exb_attention", "exb_linear_ln", "exb_decode"};
    cl_kernel *ks[] = {&p->k_embed, &p->k_linear, &p->k_qkv, &p->k_attention, &p->k_linear_ln, &p->k_decode};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        cl_int err = CL_SUCCESS;
        *ks[i] = clCreateKernel(p->program, names[i], &err);
        if (err != CL_SUCCESS) {
            st = lmc_set_error(LMC_ERR_OPENCL, "clCreateKernel(%s): %s", names[i], lmc_cl_error_name(err));
            goto fail;
        }
    }
    /* Attention items take time in proportion to their position: work-groups of up to 32 of
     * them (rather than the driver's choice, often one group for a whole decoding step) let
     * every core take a share. */
    size_t kwg = 0;
    if (clGetKernelWorkGroupInfo(p->k_attention, device->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg, NULL) != CL_SUCCESS)
        kwg = 1;
    p->attention_local = 32;
    while (p->attention_local > 1 && p->attention_local > kwg) p->attention_local /= 2;
    /* exb_decode: a work-group per row; on a CPU a group runs on one core and its work-items in
     * turn, so one work-item a group; elsewhere a group of 64 shares the columns and heads. */
    size_t dwg = 0;
    cl_device_type type = 0;
    if (clGetKernelWorkGroupInfo(p->k_decode, device->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof dwg, &dwg, NULL) != CL_SUCCESS ||
        dwg < 1)
        dwg = 1;
    if (clGetDeviceInfo(device->id, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS) type = CL_DEVICE_TYPE_CPU;
    p->decode_local_max = dwg;
    p->decode_local = pp.local_size ? pp.local_size : (type & CL_DEVICE_TYPE_CPU) ? 1 : dwg < 64 ? dwg : 64;
    if (!pp.local_size && tuned.decode_local >= 1 && tuned.decode_local <= dwg) p->decode_local = tuned.decode_local;
    p->enc_rows = tuned.enc_rows ? tuned.enc_rows : (type & CL_DEVICE_TYPE_CPU) ? EX_ENC_ROWS_CPU : EX_ENC_ROWS;
    const char *rows_env = getenv("LMC_EXACT_CHUNK_ROWS");
    if (rows_env && rows_env[0]) {
        char *end = NULL;
        unsigned long v = strtoul(rows_env, &end, 10);
        if (end && !*end && v >= 1 && v <= (1ul << 20)) p->enc_rows = (size_t)v;
    }
    p->dsc_per_row = 9 * (size_t)c->d_model + (size_t)c->n_heads * (T8 + 8) + EX_PAD;
    /* The blob is padded: exb_linear reads 8 columns at a time, past the last one of a tensor.
     * After it, the table of ex_exp(-a) for a < 2^16 (EX_EXP_TAB), by ex_attn_weight() itself (the format's weights), so the
     * kernels' one lookup gives the oracle's value; the device's layout names its offset. */
    size_t kvn = (pp.max_windows * kv_cl_per_window + 2 * EX_PAD) & ~(size_t)1; /* even: filled 4 bytes at a time */
    const size_t etab = (m->blob_n + EX_PAD + 16) / 16 * 16, dblob_n = etab + EX_EXP_TAB + EX_PAD;
    p->h_out = malloc(pp.max_windows * 256 * sizeof *p->h_out);
    p->h_drt = malloc(pp.max_windows * 4 * sizeof *p->h_drt);
    p->h_dwin = malloc(pp.max_windows * sizeof *p->h_dwin);
    int32_t *blob = calloc(dblob_n, sizeof *blob), *lay = malloc((size_t)m->lay_n * sizeof *lay);
    if (!p->h_out || !p->h_drt || !p->h_dwin || !blob || !lay) {
        free(blob);
        free(lay);
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
        goto fail;
    }
    memcpy(blob, m->blob, m->blob_n * sizeof *blob);
    int32_t a0 = 0; /* from a0 on every entry is 0: blocks of such lanes skip their lookups and V */
    /* lmc-exact-2's weights (at most 32767) as int16, two to an int: entry a at short a (little-endian
     * halves, as the device reads them) */
    for (ex_i64 a = 0; a < EX_EXP_TAB; a++) {
        const int32_t w = (int32_t)ex_attn_weight(m->blob, m->lay[EX_LAY_EXP_HI], m->lay[EX_LAY_EXP_LO], -a, m->format == 2 ? EX2_IN_SHIFT : 0, 0);
        if (m->format == 2) {
            uint32_t *cell = (uint32_t *)&blob[etab + (size_t)(a >> 1)];
            *cell |= (uint32_t)(uint16_t)w << (16 * (a & 1));
        } else {
            blob[etab + (size_t)a] = w;
        }
        if (w != 0) a0 = (int32_t)a + 1;
    }
    blob[etab - 1] = a0;
    memcpy(lay, m->lay, (size_t)m->lay_n * sizeof *lay);
    lay[EX_LAY_EXP_TAB] = (int32_t)etab;
    st = cl_alloc(p, &p->d_blob, dblob_n * 4, CL_MEM_READ_ONLY, blob);
    free(blob);
    /* the linear kernels read the weights (the I16 tensors, in [-32767, 32767] by the format) from an
     * int16 copy at the same offsets, padded as the blob is; everything else there is 0. */
    int16_t *w16 = st == LMC_OK ? calloc(m->blob_n + EX_PAD, sizeof *w16) : NULL;
    if (st == LMC_OK && !w16) st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
    for (size_t i = 0; w16 && i < m->nt; i++)
        if (m->t[i].is_i16)
            for (size_t k = 0; k < m->t[i].size; k++) w16[m->t[i].offset + k] = (int16_t)m->blob[m->t[i].offset + k];
    if (st == LMC_OK) st = cl_alloc(p, &p->d_w16, (m->blob_n + EX_PAD) * sizeof *w16, CL_MEM_READ_ONLY, w16);
    /* lmc-exact-2's decoding row multiplies operand pairs: the same weights, rows i and i + 1 (i
     * even) interleaved, element (i, j) of a (K, N) tensor at offset + (i >> 1) * 2N + 2j + (i & 1) */
    if (st == LMC_OK && m->format == 2) {
        int16_t *w2 = calloc(m->blob_n + EX_PAD, sizeof *w2);
        if (!w2) st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "predictor");
        for (size_t i = 0; w2 && i < m->nt; i++) {
            const ex_tensor *t = &m->t[i];
            if (!t->is_i16 || t->ndim != 2 || t->slot < 0 || t->slot == EX_LAY_POS) continue;
            const size_t K = t->shape[0], N = t->shape[1];
            for (size_t r = 0; r < K; r++)
                for (size_t j = 0; j < N; j++)
                    w2[t->offset + (r >> 1) * 2 * N + 2 * j + (r & 1)] = w16[t->offset + r * N + j];
        }
        if (st == LMC_OK) st = cl_alloc(p, &p->d_w2, (m->blob_n + EX_PAD) * sizeof *w2, CL_MEM_READ_ONLY, w2);
        free(w2);
    }
    free(w16);
    if (st == LMC_OK) st = cl_alloc(p, &p->d_lay, (size_t)m->lay_n * 4, CL_MEM_READ_ONLY, lay);
    free(lay);
    if (st != LMC_OK ||
        (st = cl_alloc(p, &p->d_kt, kvn * kv_elem, CL_MEM_READ_WRITE, NULL)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_vt, kvn * kv_elem, CL_MEM_READ_WRITE, NULL)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_drt, pp.max_windows * 4 * sizeof(cl_int), CL_MEM_READ_ONLY, NULL)) != LMC_OK ||
        (st = cl_alloc(p, &p->d_dsc, (pp.max_windows * p->dsc_per_row + EX_PAD) * 4, CL_MEM_READ_WRITE, NULL)) != LMC_OK ||
        (st = cl_reserve(p, pp.max_windows, T8)) != LMC_OK)
        goto fail;
    { /* the caches' pages are touched now, not inside the first timed steps */
        cl_int zero = 0, err = clEnqueueFillBuffer(p->queue, p->d_kt, &zero, sizeof zero, 0, kvn * kv_elem, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clEnqueueFillBuffer(p->queue, p->d_vt, &zero, sizeof zero, 0, kvn * kv_elem, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clFinish(p->queue);
        if (err != CL_SUCCESS) {
            st = lmc_set_error(LMC_ERR_OPENCL, "K/V caches on %s: %s", device->info.selector, lmc_cl_error_name(err));
            goto fail;
        }
    }
    *out = &p->pred;
    return LMC_OK;
fail:
    lmc_exact_predictor_destroy(&p->pred);
    return st;
}
