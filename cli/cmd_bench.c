/* cmd_bench.c : `lmc bench <name>`, the project's speed benchmarks. Each bench is one row of
 * `benches` (name, run function, summary), so `train` and `coding` can join later. A bench
 * prints a short table, or with --json one JSON object on stdout.
 *
 * `codec`: the coder alone on one thread, as the decoder runs it: every symbol quantises a full
 * row of 256 Q16 logits (lmc_quantize_row / lmc_quantize_interval) and goes through the range
 * coder. Speeds are symbols per second of this thread's CPU time. Rows come from a pool made before timing (random logits, 8 nats spread, so about 1 to
 * 6 bits per symbol), symbols are sampled from each row's own frequencies, and the decoded
 * symbols must equal the encoded ones.
 *
 * `train`: a config (--config, default 200k) at --context T (2048) and --batch B (8), trained by
 * lmc_trainer_step on --device (default pthread) against the same model in PyTorch
 * (bench/torch_train_bench.py, 2 threads, from the same initial weights; the venv's torch 2.x of
 * scripts/torch-venv.sh when present, else /usr/bin/python3, said in a note), each with 1 warm-up
 * step and --steps timed steps, wall clock and process CPU time, on random bytes (speed does not
 * depend on them). PyTorch runs three variants (SDPA eager, SDPA under torch.compile, the
 * attention written out) and the fastest counts. MFU = tokens/s x model FLOPs a token (the
 * formula in --help) / the device's peak: cl/device/peak.cl, 8 independent float16 FMA chains
 * per work-item, 64 work-items, flops / wall seconds. Also the SGEMM rate through lmc_gemm at
 * 1024^3 and at the FFN's (B*T)x4CxC, and the triad bandwidth. --profile adds steps timed per
 * kernel and per CLBlast call (runtime/device/profile.h), each against its roofline. */
/* clock_gettime() is POSIX; the build is strict C11. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gemm.h"
#include "mpi_dist.h"
#include "lmc/train.h"
#include "ops.h"
#include "profile.h"
#include "program.h"

#ifndef LMC_SOURCE_DIR
#error "LMC_SOURCE_DIR must be defined by the build"
#endif

typedef struct bench_options {
    int json;
    uint64_t symbols;
    const char *device;   /* train */
    long steps;           /* train: timed steps (0: default) */
    const char *config;   /* train: the preset (NULL: 200k) */
    int context, batch;   /* train: T and B (0: defaults) */
    int micro_batches;    /* train: --micro-batches (0: 1) */
    int profile;          /* train: --profile */
    int no_pytorch;       /* train: --no-pytorch */
    const char *python;   /* train: --python (NULL: find one) */
    const char *variants; /* train: --variants (NULL: all) */
} bench_options;

typedef int (*bench_fn)(const bench_options *opt);

/* Seconds of CPU time of this thread: a one-thread benchmark that other jobs on a shared machine
 * cannot slow down by taking the core away (wall time is reported next to it). */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of CPU time of the whole process, every thread (PoCL's workers too). */
static double process_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t bench_rng(uint64_t *state) {
    uint64_t x = (*state += UINT64_C(0x9E3779B97F4A7C15));
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* 256 KiB of rows, the size of L2: the decoder quantises each row right after the model made it,
 * so a row is in cache, as here. */
#define CODEC_POOL_ROWS 256

static int bench_codec(const bench_options *opt) {
    if (cli_one_process_only("bench codec", "it times the codec on one thread")) return CLI_EXIT_USAGE;
    const uint64_t n = opt->symbols ? opt->symbols : 8000000;
    int rc = CLI_EXIT_FAILURE;
    int32_t *rows = malloc((size_t)CODEC_POOL_ROWS * LMC_ROW_SIZE * sizeof *rows);
    uint8_t *syms = malloc((size_t)n), *back = malloc((size_t)n);
    size_t cap = lmc_arith_bound((size_t)n);
    uint8_t *buf = malloc(cap);
    if (!rows || !syms || !back || !buf) {
        rc = cli_fail("bench codec", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory for %llu symbols",
                                                   (unsigned long long)n));
        goto done;
    }
    uint64_t state = 1;
    for (size_t i = 0; i < (size_t)CODEC_POOL_ROWS * LMC_ROW_SIZE; i++)
        rows[i] = (int32_t)(bench_rng(&state) % (16u << 16)) - (int32_t)(8u << 16);
    for (uint64_t t = 0; t < n; t++) { /* sample each symbol from its own row */
        uint32_t f[LMC_ROW_SIZE], u = (uint32_t)(bench_rng(&state) & 0xFFFF), c = 0;
        unsigned s = 0;
        lmc_quantize_row(rows + (t % CODEC_POOL_ROWS) * LMC_ROW_SIZE, f);
        while (c + f[s] <= u) c += f[s++];
        syms[t] = (uint8_t)s;
    }

    double w0 = wall_seconds(), t0 = cpu_seconds();
    lmc_arith_encoder enc;
    lmc_arith_encoder_init(&enc, buf, cap);
    for (uint64_t t = 0; t < n; t++) {
        uint32_t cum, freq;
        lmc_quantize_interval(rows + (t % CODEC_POOL_ROWS) * LMC_ROW_SIZE, syms[t], &cum, &freq);
        lmc_arith_encode(&enc, cum, freq);
    }
    size_t len = 0;
    lmc_status status = lmc_arith_encoder_finish(&enc, &len);
    double t1 = cpu_seconds(), w1 = wall_seconds();
    if (status != LMC_OK) {
        rc = cli_fail("bench codec", status);
        goto done;
    }

    lmc_arith_decoder dec;
    lmc_arith_decoder_init(&dec, buf, len);
    for (uint64_t t = 0; t < n; t++) {
        uint32_t cum, freq;
        unsigned s = lmc_quantize_find(rows + (t % CODEC_POOL_ROWS) * LMC_ROW_SIZE,
                                       lmc_arith_decode_target(&dec), &cum, &freq);
        lmc_arith_decode_update(&dec, cum, freq);
        back[t] = (uint8_t)s;
    }
    double t2 = cpu_seconds(), w2 = wall_seconds();
    if (memcmp(syms, back, (size_t)n) != 0) {
        rc = cli_fail("bench codec", lmc_set_error(LMC_ERR_VERIFY_MISMATCH, "decoded symbols differ"));
        goto done;
    }
    double enc_rate = (double)n / (t1 - t0), dec_rate = (double)n / (t2 - t1);
    double bits = 8.0 * (double)len / (double)n;
    if (opt->json) {
        printf("{\"bench\": \"codec\", \"symbols\": %llu, \"threads\": 1, \"encode_seconds\": %.6f, "
               "\"decode_seconds\": %.6f, \"encode_wall_seconds\": %.6f, \"decode_wall_seconds\": %.6f, "
               "\"encode_symbols_per_s\": %.0f, \"decode_symbols_per_s\": %.0f, \"bits_per_symbol\": %.4f}\n",
               (unsigned long long)n, t1 - t0, t2 - t1, w1 - w0, w2 - w1, enc_rate, dec_rate, bits);
    } else {
        printf("codec (1 thread, a full 256-logit row quantised per symbol, %llu symbols, %.3f bits each)\n",
               (unsigned long long)n, bits);
        printf("  encode  %8.2f M symbols/s  (%.3f s CPU, %.3f s wall)\n", enc_rate / 1e6, t1 - t0, w1 - w0);
        printf("  decode  %8.2f M symbols/s  (%.3f s CPU, %.3f s wall)\n", dec_rate / 1e6, t2 - t1, w2 - w1);
    }
    rc = CLI_EXIT_OK;
done:
    free(rows);
    free(syms);
    free(back);
    free(buf);
    return rc;
}

/* GFLOP/s of lmc_gemm C (M,N) = A (M,K) · B (K,N) on the device: best of `reps` after one call. */
static lmc_status gemm_rate(lmc_device *d, size_t M, size_t N, size_t K, int reps, double *gflops) {
    cl_mem a = NULL, b = NULL, c = NULL;
    lmc_status st = lmc_buf_create(d, M * K * 4, NULL, &a);
    if (st == LMC_OK) st = lmc_buf_create(d, K * N * 4, NULL, &b);
    if (st == LMC_OK) st = lmc_buf_create(d, M * N * 4, NULL, &c);
    double best = 1e30;
    for (int r = 0; r <= reps && st == LMC_OK; r++) {
        double t0 = wall_seconds();
        st = lmc_gemm(d, 0, 0, M, N, K, 1.0f, a, 0, K, b, 0, N, 0.0f, c, 0, N);
        if (st == LMC_OK && clFinish(d->queue) != CL_SUCCESS) st = lmc_set_error(LMC_ERR_OPENCL, "clFinish");
        if (r > 0 && wall_seconds() - t0 < best) best = wall_seconds() - t0;
    }
    *gflops = st == LMC_OK ? 2.0 * (double)M * (double)N * (double)K / best / 1e9 : 0.0;
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    if (c) clReleaseMemObject(c);
    return st;
}

/* The device's peak float rate by cl/device/peak.cl (see the header comment): best of 10 short
 * runs after the one that builds it, so that a shared machine's quiet moment is caught. */
static lmc_status peak_rate(lmc_device *d, double *gflops) {
    const size_t global = 64;
    const cl_int iters = 200000;
    cl_mem out = NULL;
    cl_kernel k = NULL;
    lmc_status st = lmc_buf_create(d, global * 4, NULL, &out);
    if (st == LMC_OK) st = lmc_kernel_create(d, "peak", "fma_peak", &k);
    double best = 1e30;
    for (int r = 0; r < 11 && st == LMC_OK; r++) {
        cl_float x = 0.5f;
        cl_int err = clSetKernelArg(k, 0, sizeof out, &out);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof iters, &iters);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof x, &x);
        double t0 = wall_seconds();
        if (err == CL_SUCCESS) err = clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clFinish(d->queue);
        if (err != CL_SUCCESS) st = lmc_set_error(LMC_ERR_OPENCL, "fma_peak: %s", lmc_cl_error_name(err));
        if (r > 0 && wall_seconds() - t0 < best) best = wall_seconds() - t0; /* r = 0 builds it */
    }
    *gflops = st == LMC_OK ? (double)global * iters * 8 * 16 * 2 / best / 1e9 : 0.0;
    if (k) clReleaseKernel(k);
    if (out) clReleaseMemObject(out);
    return st;
}

/* The device's memory bandwidth by cl/device/peak.cl's stream_triad over three 64 MiB arrays
 * (far past any cache): 3 × 64 MiB / wall seconds, best of 10 after one run. */
static lmc_status bandwidth_rate(lmc_device *d, double *gbs) {
    const size_t n4 = (size_t)4 << 20, bytes = n4 * 16; /* float4s per array, bytes per array */
    cl_mem a = NULL, b = NULL, c = NULL;
    cl_kernel k = NULL;
    lmc_status st = lmc_buf_create(d, bytes, NULL, &a);
    if (st == LMC_OK) st = lmc_buf_create(d, bytes, NULL, &b);
    if (st == LMC_OK) st = lmc_buf_create(d, bytes, NULL, &c);
    if (st == LMC_OK) st = lmc_kernel_create(d, "peak", "stream_triad", &k);
    double best = 1e30;
    for (int r = 0; r < 11 && st == LMC_OK; r++) {
        cl_float s = 0.5f;
        cl_int err = clSetKernelArg(k, 0, sizeof a, &a);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof b, &b);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof c, &c);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 3, sizeof s, &s);
        double t0 = wall_seconds();
        if (err == CL_SUCCESS) err = clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &n4, NULL, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clFinish(d->queue);
        if (err != CL_SUCCESS) st = lmc_set_error(LMC_ERR_OPENCL, "stream_triad: %s", lmc_cl_error_name(err));
        if (r > 0 && wall_seconds() - t0 < best) best = wall_seconds() - t0;
    }
    *gbs = st == LMC_OK ? 3.0 * (double)bytes / best / 1e9 : 0.0;
    if (k) clReleaseKernel(k);
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    if (c) clReleaseMemObject(c);
    return st;
}

/* The model FLOPs of one trained token (forward and backward), the count MFU uses: 6 × the
 * matmul parameters (L·12·C² in the layers, 256·C in the output head; embeddings, biases and
 * norms are no matmuls) + the causal attention's 12·L·T·C / 2 (q·k and p·v, forward and
 * backward, half the (T,T) pairs). */
static double model_flops_per_token(const lmc_model_config *c, int T) {
    double C = c->d_model, L = c->n_layers;
    return 6.0 * (L * 12.0 * C * C + 256.0 * C) + 12.0 * L * (double)T * C / 2.0;
}

/* What one profiled op did in the step, from its work-items (`items`, summed over its calls) and
 * the shapes: flops, least bytes moved (each tensor read or written once; cache-resident
 * parameter rows not counted) and exp/tanh calls (attention and softmax: counted apart from the
 * flops). The formulas are the --help's table. GEMMs and fills come with their own counts. */
typedef struct op_cost {
    double flops, bytes, exps;
} op_cost;

typedef struct train_shape {
    double B, T, C, NH, N, V;
} train_shape;

static op_cost kernel_cost(const lmc_profile_op *op, const train_shape *s) {
    double x = op->items, hs = s->C / s->NH, pairs = x * (s->T + 1) / 2; /* (query, key) pairs */
    const char *n = op->label;
    op_cost c = {op->flops, op->bytes, 0};
    if (op->flops > 0 || op->bytes > 0) return c;                           /* sgemm, fill */
    if (!strcmp(n, "embed_fwd")) c = (op_cost){2 * x, 12 * x, 0};           /* x = N·C */
    else if (!strcmp(n, "embed_bwd")) c = (op_cost){2 * x * s->N, 5 * x * s->N, 0}; /* x = C */
    else if (!strcmp(n, "bias_add")) c = (op_cost){x, 8 * x, 0};            /* x = N·OC */
    else if (!strcmp(n, "bias_grad")) c = (op_cost){x * s->N, 4 * x * s->N, 0}; /* x = OC */
    else if (!strcmp(n, "add_inplace")) c = (op_cost){x, 12 * x, 0};
    else if (!strcmp(n, "layernorm_fwd")) c = (op_cost){8 * x * s->C, 8 * x * s->C, 0}; /* x = N */
    else if (!strcmp(n, "layernorm_bwd_dx")) c = (op_cost){13 * x * s->C, 16 * x * s->C, 0};
    else if (!strcmp(n, "layernorm_bwd_params")) c = (op_cost){5 * x * s->N, 8 * x * s->N, 0}; /* x = C */
    else if (!strcmp(n, "gelu_fwd")) c = (op_cost){8 * x, 8 * x, x};
    else if (!strcmp(n, "gelu_bwd")) c = (op_cost){16 * x, 16 * x, x};
    else if (!strcmp(n, "logsoftmax_xent_fwd")) c = (op_cost){4 * x * s->V, 8 * x * s->V, x * s->V}; /* x = N */
    else if (!strcmp(n, "logsoftmax_xent_bwd")) c = (op_cost){2 * x, 8 * x, x};                    /* x = N·V */
    else if (!strcmp(n, "adam_step")) c = (op_cost){14 * x, 28 * x, 0};
    else if (!strcmp(n, "attention_softmax_fwd")) c = (op_cost){4 * x * s->T, 8 * x * s->T, x * s->T};
    else if (!strcmp(n, "attention_softmax_bwd")) c = (op_cost){4 * x * s->T, 12 * x * s->T, 0};
    else if (!strcmp(n, "attention_fused_fwd")) c = (op_cost){4 * hs * pairs, 16 * x * hs, pairs}; /* x = B·NH·T */
    else if (!strcmp(n, "attention_fused_bwd_q")) c = (op_cost){6 * hs * pairs, 28 * x * hs, pairs};
    else if (!strcmp(n, "attention_fused_bwd_kv")) c = (op_cost){8 * hs * pairs, 32 * x * hs, pairs};
    return c;
}

/* The profile of `steps` steps taking `wall` seconds: one row per op, sorted by share. */
typedef struct profile_row {
    const lmc_profile_op *op;
    op_cost cost;
} profile_row;

static int row_by_time(const void *a, const void *b) {
    double x = ((const profile_row *)a)->op->seconds, y = ((const profile_row *)b)->op->seconds;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void print_profile(FILE *out, int json, const lmc_profile_op *ops, size_t n, long steps, double wall,
                          const train_shape *shape, double peak_gflops, double peak_gbs) {
    profile_row *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows) return;
    double dev = 0.0, per = 1.0 / (double)steps;
    for (size_t i = 0; i < n; i++) {
        rows[i].op = &ops[i];
        rows[i].cost = kernel_cost(&ops[i], shape);
        dev += ops[i].seconds;
    }
    qsort(rows, n, sizeof *rows, row_by_time);
    double balance = peak_gbs > 0 ? peak_gflops / peak_gbs : 0; /* flops per byte where the roofline bends */
    if (json)
        fprintf(out, "{\"steps\": %ld, \"step_seconds\": %.6f, \"device_seconds\": %.6f, \"other_share\": %.4f, "
                     "\"ops\": [",
                steps, wall * per, dev * per, wall > dev ? (wall - dev) / wall : 0.0);
    else
        fprintf(out,
                "profile: %ld step(s), %.3f s a step (wall), kernels %.1f %% of it\n"
                "  %-34s %6s %9s %6s %8s %7s %7s %7s\n",
                steps, wall * per, 100.0 * dev / wall, "op (kernel or CLBlast call MxNxK)", "calls", "ms/step",
                "share", "GFLOP/s", "GB/s", "Gexp/s", "%peak");
    for (size_t i = 0; i < n; i++) {
        const lmc_profile_op *op = rows[i].op;
        const op_cost *c = &rows[i].cost;
        double sec = op->seconds > 0 ? op->seconds : 1e-12;
        double gf = c->flops / sec / 1e9, gb = c->bytes / sec / 1e9, ge = c->exps / sec / 1e9;
        int memory = c->flops <= 0 || (c->bytes > 0 && c->flops / c->bytes < balance);
        double frac = memory ? (peak_gbs > 0 ? gb / peak_gbs : 0) : (peak_gflops > 0 ? gf / peak_gflops : 0);
        int known = c->flops > 0 || c->bytes > 0;
        if (json) {
            fprintf(out, "%s{\"op\": ", i ? ", " : "");
            cli_json_string(out, op->label);
            fprintf(out, ", \"calls\": %.2f, \"seconds\": %.6f, \"share\": %.4f", (double)op->calls * per,
                    op->seconds * per, op->seconds / wall);
            if (known)
                fprintf(out,
                        ", \"gflops\": %.3f, \"gbs\": %.3f, \"gexps\": %.3f, \"bound\": \"%s\", "
                        "\"peak_fraction\": %.4f}",
                        gf, gb, ge, memory ? "memory" : "compute", frac);
            else
                fprintf(out, ", \"gflops\": null, \"gbs\": null, \"gexps\": null, \"bound\": null, "
                             "\"peak_fraction\": null}");
        } else {
            char fl[16] = "-", by[16] = "-", ex[16] = "-", pk[16] = "-";
            if (c->flops > 0) snprintf(fl, sizeof fl, "%.2f", gf);
            if (c->bytes > 0) snprintf(by, sizeof by, "%.2f", gb);
            if (c->exps > 0) snprintf(ex, sizeof ex, "%.3f", ge);
            if (known) snprintf(pk, sizeof pk, "%.1f %c", 100.0 * frac, memory ? 'M' : 'F');
            fprintf(out, "  %-34s %6.1f %9.2f %5.1f%% %8s %7s %7s %7s\n", op->label, (double)op->calls * per,
                    1e3 * op->seconds * per, 100.0 * op->seconds / wall, fl, by, ex, pk);
        }
    }
    if (json)
        fprintf(out, "]}");
    else
        fprintf(out,
                "  %-34s %6s %9.2f %5.1f%%\n"
                "  (%%peak: F = of the FMA peak %.1f GFLOP/s, M = of the triad bandwidth %.1f GB/s)\n",
                "other (host, copies, idle device)", "", 1e3 * (wall > dev ? wall - dev : 0) * per,
                wall > dev ? 100.0 * (wall - dev) / wall : 0.0, peak_gflops, peak_gbs);
    free(rows);
}

/* Under mpirun (docs/scale-out.md): what the exchange of micro-batch gradients cost per timed step
 * on this rank (the largest over ranks), and this rank's own tokens/s. */
typedef struct dist_rate {
    double comm_s_per_step, comm_bytes_per_step, rank_tok_s;
} dist_rate;

/* tokens/s of `steps` timed steps of a fresh trainer (p) after one warm-up step; with `profile`,
 * `steps` more steps profiled (profile.h) after the timed ones, so timing never pays for events.
 * Under mpirun the ranks share the micro-batches and tokens/s is summed over ranks (each rank's
 * own micro-batches' tokens over its wall time); CPU time likewise summed over ranks. */
static lmc_status train_rate(lmc_device *d, const lmc_train_params *p, const uint8_t *data, size_t n, long steps,
                             const char *model_out, double *tok_s, double *cpu_tok_s, int profile,
                             lmc_profile_op **ops, size_t *n_ops, double *profile_wall, dist_rate *dr) {
    lmc_trainer *t = NULL;
    lmc_model *m = NULL;
    lmc_status st = lmc_trainer_create(d, p, &t);
    if (st == LMC_OK) st = lmc_trainer_set_exchange(t, cli_dist_train_exchange());
    if (st == LMC_OK && model_out) st = lmc_trainer_model(t, &m); /* the initial weights, for PyTorch */
    if (st == LMC_OK && model_out) st = lmc_model_save(m, model_out);
    if (st == LMC_OK) st = lmc_trainer_step(t, data, n, NULL);
    cli_dist_barrier();
    int first = 0, count = 0, M = p->micro_batches > 1 ? p->micro_batches : 1;
    lmc_train_micro_range(M, cli_dist_rank(), cli_dist_size(), &first, &count);
    double comm0 = cli_dist_comm_seconds(), bytes0 = cli_dist_comm_bytes();
    double t0 = wall_seconds(), c0 = process_cpu_seconds();
    for (long s = 0; s < steps && st == LMC_OK; s++) st = lmc_trainer_step(t, data, n, NULL);
    double wall = wall_seconds() - t0, cpu = process_cpu_seconds() - c0;
    double mine = (double)steps * count * (p->batch / M) * p->window;
    dr->rank_tok_s = mine / wall;
    *tok_s = cli_dist_sum_double(mine / wall);
    *cpu_tok_s = (double)steps * p->batch * p->window / cli_dist_sum_double(cpu);
    double comm = (cli_dist_comm_seconds() - comm0) / (double)steps;
    dr->comm_s_per_step = (double)cli_dist_max_int((int)(comm * 1e6)) / 1e6;
    dr->comm_bytes_per_step = (cli_dist_comm_bytes() - bytes0) / (double)steps;
    if (st == LMC_OK && profile) {
        st = lmc_device_profile_begin(d);
        t0 = wall_seconds();
        for (long s = 0; s < steps && st == LMC_OK; s++) st = lmc_trainer_step(t, data, n, NULL);
        if (st == LMC_OK) st = clFinish(d->queue) == CL_SUCCESS ? LMC_OK : lmc_set_error(LMC_ERR_OPENCL, "clFinish");
        *profile_wall = wall_seconds() - t0;
        lmc_status end = lmc_device_profiling(d) ? lmc_device_profile_end(d, ops, n_ops) : LMC_OK;
        if (st == LMC_OK) st = end;
    }
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    return st;
}

/* ---- the PyTorch peer (bench/torch_train_bench.py) ---- */

/* The interpreter for the PyTorch side: --python; else the venv scripts/torch-venv.sh makes
 * (${LMC_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/lmc/torch-venv}/bin/python) when present;
 * else Debian's /usr/bin/python3 (torch 1.13), saying so in `note`. */
static const char *torch_python(const char *given, char *buf, size_t cap, char *note, size_t note_cap) {
    note[0] = '\0';
    if (given) return given;
    const char *venv = getenv("LMC_TORCH_VENV"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (venv && venv[0])
        snprintf(buf, cap, "%s/bin/python", venv);
    else if (xdg && xdg[0])
        snprintf(buf, cap, "%s/lmc/torch-venv/bin/python", xdg);
    else
        snprintf(buf, cap, "%s/.cache/lmc/torch-venv/bin/python", home && home[0] ? home : "/root");
    if (access(buf, X_OK) == 0) return buf;
    snprintf(note, note_cap, "no torch venv at %s (scripts/torch-venv.sh makes it): Debian's /usr/bin/python3", buf);
    return "/usr/bin/python3";
}

/* Skips one JSON value starting at p (after spaces); returns the first character after it. */
static const char *json_skip(const char *p) {
    while (*p == ' ') p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : p;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; *p; p++) {
            if (*p == '"') {
                p = json_skip(p) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

/* The raw text of the value of top-level key `key` of JSON object `obj` into out (cap bytes);
 * 1 when found. With i >= 0 instead: the i-th key's name into key_out and its value into out. */
static int json_member(const char *obj, const char *key, int i, char *key_out, size_t key_cap, char *out,
                       size_t cap) {
    const char *p = obj;
    while (*p == ' ') p++;
    if (*p != '{') return 0;
    p++;
    for (int k = 0;; k++) {
        while (*p == ' ' || *p == ',') p++;
        if (*p != '"') return 0;
        const char *name = p + 1, *name_end = json_skip(p) - 1;
        p = name_end + 1;
        while (*p == ' ' || *p == ':') p++;
        const char *v = p, *v_end = json_skip(p);
        size_t nlen = (size_t)(name_end - name);
        int hit = i >= 0 ? k == i : (strlen(key) == nlen && strncmp(name, key, nlen) == 0);
        if (hit) {
            size_t vlen = (size_t)(v_end - v);
            if (vlen >= cap) return 0;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            if (key_out) snprintf(key_out, key_cap, "%.*s", (int)nlen, name);
            return 1;
        }
        if (v_end == v) return 0;
        p = v_end;
    }
}

/* The raw text of the i-th item of JSON array `arr` into out; 1 when there is one. */
static int json_item(const char *arr, int i, char *out, size_t cap) {
    const char *p = arr;
    while (*p == ' ') p++;
    if (*p != '[') return 0;
    p++;
    for (int k = 0;; k++) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p || *p == ']') return 0;
        const char *e = json_skip(p);
        if (e == p) return 0;
        if (k == i) {
            if ((size_t)(e - p) >= cap) return 0;
            memcpy(out, p, (size_t)(e - p));
            out[e - p] = '\0';
            return 1;
        }
        p = e;
    }
}

static int json_get(const char *obj, const char *key, char *out, size_t cap) {
    return json_member(obj, key, -1, NULL, 0, out, cap);
}

/* A JSON string's text without its quotes (no escapes in what the script writes for these). */
static void json_unquote(char *s) {
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
    }
}

/* src into dst (cap bytes), cut to fit. */
static void set_text(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

typedef struct torch_result {
    double tok_s;     /* <= 0: none */
    double cpu_tok_s; /* the same variant's tokens per CPU second, <= 0: none */
    char version[64], variant[64], python[512];
    char variants[4096]; /* raw JSON object, or "{}" */
    char notes[4096];    /* raw JSON array of every note, ours first */
} torch_result;

/* Appends a JSON string to the raw array `arr` ("[...]"). */
static void notes_add(char *arr, size_t cap, const char *note) {
    size_t n = strlen(arr);
    if (n < 2 || !note[0]) return;
    char esc[1024];
    size_t k = 0;
    for (const char *c = note; *c && k + 3 < sizeof esc; c++) {
        if (*c == '"' || *c == '\\') esc[k++] = '\\';
        esc[k++] = (*c == '\n' || *c == '\t') ? ' ' : *c;
    }
    esc[k] = '\0';
    snprintf(arr + n - 1, cap - (n - 1), "%s\"%s\"]", n > 2 ? ", " : "", esc);
}

static void run_torch(const bench_options *opt, const char *model_path, int B, int T, long steps,
                      torch_result *r) {
    char note[1024], buf[512], script[4096], cmd[8192], line[16384] = "", got[8192];
    memset(r, 0, sizeof *r);
    strcpy(r->variants, "{}");
    strcpy(r->notes, "[]");
    const char *python = torch_python(opt->python, buf, sizeof buf, note, sizeof note);
    set_text(r->python, sizeof r->python, python);
    notes_add(r->notes, sizeof r->notes, note);
    snprintf(script, sizeof script, "%s/bench/torch_train_bench.py", LMC_SOURCE_DIR);
    snprintf(cmd, sizeof cmd,
             "'%s' '%s' --model '%s' --batch %d --context %d --steps %ld --warmup 1 --threads 2 --variants '%s'",
             python, script, model_path, B, T, steps, opt->variants ? opt->variants : "sdpa,sdpa_compile,written");
    FILE *py = popen(cmd, "r");
    if (!py) {
        snprintf(note, sizeof note, "could not run %.900s", cmd);
        notes_add(r->notes, sizeof r->notes, note);
        return;
    }
    char chunk[16384];
    while (fgets(chunk, sizeof chunk, py))
        if (chunk[0] == '{') set_text(line, sizeof line, chunk); /* the last JSON line */
    int rc = pclose(py);
    if (json_get(line, "torch", got, sizeof got)) {
        json_unquote(got);
        set_text(r->version, sizeof r->version, got);
    }
    if (json_get(line, "variants", got, sizeof got)) set_text(r->variants, sizeof r->variants, got);
    if (json_get(line, "notes", got, sizeof got)) { /* theirs after ours */
        char item[1024];
        for (int i = 0; json_item(got, i, item, sizeof item); i++) {
            json_unquote(item);
            notes_add(r->notes, sizeof r->notes, item);
        }
    }
    if (rc != 0 || !json_get(line, "tokens_per_s", got, sizeof got) || strtod(got, NULL) <= 0) {
        snprintf(note, sizeof note, "the PyTorch side gave no result (exit %d): %.900s", rc, cmd);
        notes_add(r->notes, sizeof r->notes, note);
        return;
    }
    r->tok_s = strtod(got, NULL);
    if (json_get(line, "variant", got, sizeof got)) {
        json_unquote(got);
        set_text(r->variant, sizeof r->variant, got);
        char v[4096];
        if (json_get(r->variants, r->variant, v, sizeof v) && json_get(v, "tokens_per_cpu_s", got, sizeof got))
            r->cpu_tok_s = strtod(got, NULL);
    }
}

static void json_number_or_null(double v, int decimals) {
    if (v > 0)
        printf("%.*f", decimals, v);
    else
        printf("null");
}

static int bench_train(const bench_options *opt) {
    int rc = CLI_EXIT_FAILURE;
    long steps = opt->steps ? opt->steps : 2;
    const char *config = opt->config ? opt->config : "200k";
    lmc_device *d = NULL;
    uint8_t *data = NULL;
    lmc_profile_op *ops = NULL;
    size_t n_ops = 0;
    const size_t n = 1 << 20;
    char model_path[256];
    snprintf(model_path, sizeof model_path, "/tmp/lmc-bench-train-%ld.safetensors", (long)getpid());
    lmc_train_params p = lmc_train_params_default();
    if (lmc_model_config_preset(config, &p.config) != LMC_OK)
        return cli_usage_error("bench", "--config needs 200k, 800k, 3.2m or tiny, not '%s'", config);
    int T = opt->context ? opt->context : (p.config.context < 2048 ? p.config.context : 2048);
    int B = opt->batch ? opt->batch : 8;
    if (T > p.config.context)
        return cli_usage_error("bench", "--context %d is past the %s config's %d", T, config, p.config.context);
    if (opt->python && access(opt->python, X_OK) != 0)
        return cli_usage_error("bench", "--python '%s' is not an executable", opt->python);
    char dev_buf[256];
    const char *sel = cli_dist_device(opt->device, dev_buf, sizeof dev_buf);
    lmc_status st = lmc_device_open(sel ? sel : "pthread", &d);
    if (st != LMC_OK) {
        rc = cli_fail("bench train", st);
        goto done;
    }
    if (d->info.kind != LMC_DEVICE_KIND_OPENCL) {
        rc = cli_usage_error("bench", "train measures an OpenCL device, not %s", d->info.selector);
        goto done;
    }
    data = malloc(n);
    if (!data) {
        rc = cli_fail("bench train", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "data"));
        goto done;
    }
    uint64_t seed = 1;
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)bench_rng(&seed);
    p.window = T;
    p.batch = B;
    p.steps = 1000;
    p.warmup = 10;
    p.grad_clip = 0.0f; /* PyTorch's side does not clip either */
    p.micro_batches = opt->micro_batches ? opt->micro_batches : 1;
    if (B % p.micro_batches != 0) {
        rc = cli_usage_error("bench", "--micro-batches %d must divide the batch %d", p.micro_batches, B);
        goto done;
    }
    const int lead = cli_dist_rank() == 0, ranks = cli_dist_size();
    dist_rate dr;
    memset(&dr, 0, sizeof dr);
    const lmc_model_config *c = &p.config;
    double tok_s = 0, cpu_tok_s = 0, gemm = 0, gemm_model = 0, peak = 0, peak_bw = 0, prof_wall = 0;
    size_t gm = (size_t)B * (size_t)T, gn = 4 * (size_t)c->d_model, gk = (size_t)c->d_model; /* the FFN's w1 */
    if (!opt->json && lead)
        fprintf(stderr, "lmc bench train: %ld + 1 steps of %s, B %d, T %d on %s ...\n", steps, config, B, T,
                d->info.name);
    st = train_rate(d, &p, data, n, steps, lead ? model_path : NULL, &tok_s, &cpu_tok_s, opt->profile, &ops, &n_ops,
                    &prof_wall, &dr);
    if (st == LMC_OK) st = gemm_rate(d, 1024, 1024, 1024, 3, &gemm);
    if (st == LMC_OK) st = gemm_rate(d, gm, gn, gk, 3, &gemm_model);
    if (st == LMC_OK) st = peak_rate(d, &peak);
    if (st == LMC_OK) st = bandwidth_rate(d, &peak_bw);
    if (st != LMC_OK) {
        rc = cli_fail("bench train", st);
        goto done;
    }
    torch_result tr;
    memset(&tr, 0, sizeof tr);
    strcpy(tr.variants, "{}");
    strcpy(tr.notes, "[]");
    if (!lead) { /* rank 0 runs the PyTorch side and prints */
        rc = CLI_EXIT_OK;
        goto done;
    }
    if (opt->no_pytorch) {
        notes_add(tr.notes, sizeof tr.notes, "--no-pytorch: the PyTorch side was not run");
    } else {
        if (!opt->json) fprintf(stderr, "lmc bench train: PyTorch, the same model and steps ...\n");
        run_torch(opt, model_path, B, T, steps, &tr);
    }
    double mfpt = model_flops_per_token(c, T), peak_flops = peak * 1e9;
    double mfu = tok_s * mfpt / peak_flops, torch_mfu = tr.tok_s > 0 ? tr.tok_s * mfpt / peak_flops : 0;
    train_shape shape = {B, T, c->d_model, c->n_heads, (double)B * T, LMC_VOCAB};
    if (opt->json) {
        printf("{\"tokens_per_s\": %.1f, \"pytorch_tokens_per_s\": ", tok_s);
        json_number_or_null(tr.tok_s, 1);
        printf(", \"speedup\": ");
        json_number_or_null(tr.tok_s > 0 ? tok_s / tr.tok_s : 0, 3);
        printf(", \"tokens_per_cpu_s\": %.1f, \"pytorch_tokens_per_cpu_s\": ", cpu_tok_s);
        json_number_or_null(tr.cpu_tok_s, 1);
        printf(", \"speedup_cpu\": ");
        json_number_or_null(tr.cpu_tok_s > 0 ? cpu_tok_s / tr.cpu_tok_s : 0, 3);
        printf(", \"pytorch_version\": ");
        if (tr.version[0]) cli_json_string(stdout, tr.version);
        else printf("null");
        printf(", \"pytorch_variant\": ");
        if (tr.variant[0]) cli_json_string(stdout, tr.variant);
        else printf("null");
        printf(", \"pytorch_python\": ");
        if (opt->no_pytorch) printf("null");
        else cli_json_string(stdout, tr.python);
        printf(", \"pytorch_variants\": %s, \"pytorch_notes\": %s", tr.variants, tr.notes);
        printf(", \"model_flops_per_token\": %.0f, \"mfu\": %.6g, \"pytorch_mfu\": ", mfpt, mfu);
        json_number_or_null(torch_mfu, 5);
        /* significant digits, not decimals: a sanitizer build under load times the tiny GEMM at
         * well under 0.01 GFLOP/s, which "%.2f" printed as 0.00 */
        printf(", \"gemm_gflops\": %.6g, \"gemm_model_gflops\": %.6g, \"gemm_model_shape\": \"%zux%zux%zu\", "
               "\"peak_gflops\": %.6g, \"peak_gbs\": %.6g, \"steps\": %ld, \"batch\": %d, \"context\": %d, "
               "\"config\": \"%s\", \"d_model\": %d, \"n_layers\": %d, \"n_heads\": %d, \"device\": ",
               gemm, gemm_model, gm, gn, gk, peak, peak_bw, steps, B, T, config, c->d_model, c->n_layers,
               c->n_heads);
        cli_json_string(stdout, d->info.name);
        printf(", \"gemm_tuned\": %s", lmc_gemm_tuned(d) ? "true" : "false");
        printf(", \"ranks\": %d, \"micro_batches\": %d, \"rank0_tokens_per_s\": %.1f, \"comm_seconds_per_step\": %.6f, "
               "\"comm_bytes_per_step\": %.0f",
               ranks, p.micro_batches, dr.rank_tok_s, dr.comm_s_per_step, dr.comm_bytes_per_step);
        if (opt->profile) {
            printf(", \"profile\": ");
            print_profile(stdout, 1, ops, n_ops, steps, prof_wall, &shape, peak, peak_bw);
        }
        printf("}\n");
    } else {
        printf("train %s (C %d, L %d, NH %d), B %d, T %d on %s, %ld timed steps (wall clock)\n", config, c->d_model,
               c->n_layers, c->n_heads, B, T, d->info.name, steps);
        printf("  lmc      %10.1f tokens/s   MFU %5.2f %%   %10.1f tokens/CPU-s\n", tok_s, 100.0 * mfu,
               cpu_tok_s);
        if (ranks > 1)
            printf("  mpi      %d ranks, %d micro-batches: tokens/s summed over ranks (rank 0 %.1f); exchange "
                   "%.4f s and %.0f bytes per step (rank 0)\n",
                   ranks, p.micro_batches, dr.rank_tok_s, dr.comm_s_per_step, dr.comm_bytes_per_step);
        if (tr.tok_s > 0) {
            printf("  PyTorch  %10.1f tokens/s   MFU %5.2f %%   %10.1f tokens/CPU-s  (torch %s, %s, 2 threads)\n",
                   tr.tok_s, 100.0 * torch_mfu, tr.cpu_tok_s, tr.version, tr.variant);
            printf("  speedup  %10.2f x (wall), %.2f x (CPU time)\n", tok_s / tr.tok_s,
                   tr.cpu_tok_s > 0 ? cpu_tok_s / tr.cpu_tok_s : 0.0);
        } else {
            printf("  PyTorch  no result\n");
        }
        char name[64], val[4096], tps[64];
        for (int i = 0; json_member(tr.variants, NULL, i, name, sizeof name, val, sizeof val); i++)
            if (json_get(val, "tokens_per_s", tps, sizeof tps))
                printf("    %-20s %10.1f tokens/s\n", name, strtod(tps, NULL));
        for (int i = 0; json_item(tr.notes, i, val, sizeof val); i++) {
            json_unquote(val);
            printf("    note: %s\n", val);
        }
        if (!opt->no_pytorch) printf("    (PyTorch run by %s)\n", tr.python);
        printf("  model    %.3f MFLOP/token (6 x %.0f matmul params + 6*L*T*C attention); peak %.1f GFLOP/s\n",
               mfpt / 1e6, (double)c->n_layers * 12.0 * c->d_model * c->d_model + 256.0 * c->d_model, peak);
        printf("  SGEMM 1024^3 %.1f GFLOP/s, %zux%zux%zu %.1f GFLOP/s (CLBlast, %s parameters)\n", gemm, gm, gn, gk,
               gemm_model, lmc_gemm_tuned(d) ? "lmc's" : "CLBlast's");
        printf("  peak (FMA loop, cl/device/peak.cl) %.1f GFLOP/s, memory (triad) %.1f GB/s\n", peak, peak_bw);
        if (opt->profile) print_profile(stdout, 0, ops, n_ops, steps, prof_wall, &shape, peak, peak_bw);
    }
    rc = CLI_EXIT_OK;
done:
    remove(model_path);
    free(ops);
    free(data);
    lmc_device_destroy(d);
    return rc;
}

typedef struct bench_entry {
    const char *name;
    bench_fn run;
    const char *summary;
} bench_entry;

static const bench_entry benches[] = {
    {"codec", bench_codec, "quantiser + range coder, symbols/s each way (one thread)"},
    {"train", bench_train, "training tokens/s and MFU on a device against PyTorch; --profile: per kernel"},
};
static const size_t n_benches = sizeof benches / sizeof benches[0];

static void print_bench_help(void) {
    printf("Usage: lmc bench <name> [options]\n\n"
           "Benchmarks:\n");
    for (size_t i = 0; i < n_benches; i++) printf("  %-10s %s\n", benches[i].name, benches[i].summary);
    printf("  %-10s %s\n", "coding", "lmc compress/decompress bytes/s against PyTorch's forward (lmc bench coding --help)");
    printf("\nOptions:\n"
           "  --json          one JSON object on stdout\n"
           "  --symbols N     codec: symbols to code (default 8000000)\n"
           "  --device SEL    train: the OpenCL device (default pthread)\n"
           "  --config NAME   train: 200k, 800k or 3.2m (default 200k; tiny, for tests)\n"
           "  --context T     train: window length, 1 to the config's context (default 2048)\n"
           "  --batch B       train: windows a step, 1 to 64 (default 8)\n"
           "  --steps N       train: timed steps on each side after 1 warm-up step (default 2)\n"
           "  --profile       train: N more steps with per-kernel device timing (below)\n"
           "  --micro-batches M  train: micro-batches a step (default 1); under 'mpirun -np N'\n"
           "                  the ranks share them: tokens/s is summed over ranks, and\n"
           "                  comm_seconds_per_step / comm_bytes_per_step say what the gradient\n"
           "                  exchange cost (docs/scale-out.md)\n"
           "  --no-pytorch    train: skip the PyTorch side (its keys are null)\n"
           "  --python PATH   train: the interpreter for the PyTorch side (default: the venv of\n"
           "                  scripts/torch-venv.sh, ${LMC_TORCH_VENV:-${XDG_CACHE_HOME:-~/.cache}/lmc/\n"
           "                  torch-venv}/bin/python, if present, else /usr/bin/python3, said in a note)\n"
           "  --variants LIST train: PyTorch variants to time, of sdpa, sdpa_compile, written\n"
           "                  (default all; the fastest is pytorch_tokens_per_s)\n"
           "  -h, --help      this help\n"
           "\n"
           "train: lmc_trainer_step on random bytes (speed does not depend on them), wall clock,\n"
           "against the same model from the same initial weights in PyTorch with 2 threads and Adam\n"
           "(bench/torch_train_bench.py): sdpa = F.scaled_dot_product_attention(is_causal=True)\n"
           "eager; sdpa_compile = the same under torch.compile, timed after its compile warm-up (a\n"
           "failure is a note); written = scores, mask, softmax written out (whole batch when its\n"
           "(T,T) matrices fit 4 GiB, and one window at a time). Also SGEMM at 1024^3 and at the\n"
           "FFN's (B*T)x4Cx C, the FMA peak (cl/device/peak.cl) and the triad bandwidth.\n"
           "\n"
           "  model_flops_per_token = 6 * (L*12*C^2 + 256*C)  [6 x the matmul parameters]\n"
           "                        + 12*L*T*C / 2           [causal attention, fwd + bwd]\n"
           "  mfu = tokens_per_s * model_flops_per_token / (peak_gflops * 1e9)\n"
           "\n"
           "  tokens_per_cpu_s = the same steps over the process's CPU seconds (all threads): steadier\n"
           "  than wall clock on a shared machine, where other jobs take the cores away.\n"
           "\n"
           "  --json keys: tokens_per_s, pytorch_tokens_per_s, speedup, tokens_per_cpu_s,\n"
           "  pytorch_tokens_per_cpu_s, speedup_cpu, pytorch_version,\n"
           "  pytorch_variant, pytorch_python, pytorch_variants {name: {tokens_per_s, ...}},\n"
           "  pytorch_notes [...], model_flops_per_token, mfu, pytorch_mfu, gemm_gflops (1024^3),\n"
           "  gemm_model_gflops, gemm_model_shape, peak_gflops, peak_gbs, steps, batch, context,\n"
           "  config, d_model, n_layers, n_heads, device, gemm_tuned, ranks, micro_batches,\n"
           "  rank0_tokens_per_s, comm_seconds_per_step, comm_bytes_per_step; with --profile, profile\n"
           "  {steps, step_seconds, device_seconds, other_share, ops [{op, calls, seconds, share,\n"
           "  gflops, gbs, gexps, bound, peak_fraction}]} (calls and seconds a step).\n"
           "  (codec: encode_symbols_per_s, decode_symbols_per_s, bits_per_symbol, seconds)\n"
           "\n"
           "--profile: each kernel's and each CLBlast call's device time (OpenCL events; a CLBlast\n"
           "call from a marker before it, so its helper kernels count), share of the step's wall\n"
           "time, GFLOP/s, GB/s (least traffic: each tensor once) and Gexp/s (exp and tanh calls,\n"
           "not in the flops), %%peak of the FMA peak (F) or of the triad bandwidth (M), whichever\n"
           "bounds it (flops/byte against peak_gflops/peak_gbs). 'other' is the step's wall time\n"
           "outside kernels: host work, buffer copies, an idle device. Per op, with N = B*T,\n"
           "hs = C/NH and P = B*NH*T*(T+1)/2 causal (query, key) pairs:\n"
           "  sgemm MxNxK            2*M*N*K flops; 4*(M*K + K*N + M*N) bytes (+4*M*N if beta != 0)\n"
           "  attention_fused_fwd    4*hs*P flops (q.k, p.v), P exps; 16*N*C bytes\n"
           "  attention_fused_bwd_q  6*hs*P flops (q.k, do.v, ds.k), P exps; 28*N*C bytes\n"
           "  attention_fused_bwd_kv 8*hs*P flops (q.k, do.v, ds.q, p.do), P exps; 32*N*C bytes\n"
           "  logsoftmax_xent_fwd    4*N*256 flops, N*256 exps; 8*N*256 bytes\n"
           "  logsoftmax_xent_bwd    2 flops, 1 exp, 8 bytes an element of (N,256)\n"
           "  layernorm_fwd          8*C flops, 8*C bytes a row;  layernorm_bwd_dx 13*C, 16*C a row\n"
           "  layernorm_bwd_params   5*N flops, 8*N bytes a column\n"
           "  gelu_fwd / gelu_bwd    8 / 16 flops, 1 tanh, 8 / 16 bytes an element\n"
           "  embed_fwd 2 flops, 12 bytes an element;  embed_bwd 2*N flops, 5*N bytes a column\n"
           "  bias_add 1 flop, 8 bytes;  add_inplace 1 flop, 12 bytes (an element)\n"
           "  bias_grad N flops, 4*N bytes a column;  adam_step 14 flops, 28 bytes a parameter\n"
           "  fill (zero) its bytes\n"
           "The kernels' flops are what they execute (the fused backward recomputes the scores), so\n"
           "they add up to more than model_flops_per_token.\n");
}

int cli_cmd_bench(int argc, char **argv) {
    enum {
        OPT_JSON = 1000,
        OPT_SYMBOLS,
        OPT_DEVICE,
        OPT_STEPS,
        OPT_CONFIG,
        OPT_CONTEXT,
        OPT_BATCH,
        OPT_PROFILE,
        OPT_NO_PYTORCH,
        OPT_PYTHON,
        OPT_VARIANTS,
        OPT_MICRO
    };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"device", required_argument, NULL, OPT_DEVICE},
                                            {"steps", required_argument, NULL, OPT_STEPS},
                                            {"symbols", required_argument, NULL, OPT_SYMBOLS},
                                            {"config", required_argument, NULL, OPT_CONFIG},
                                            {"context", required_argument, NULL, OPT_CONTEXT},
                                            {"batch", required_argument, NULL, OPT_BATCH},
                                            {"profile", no_argument, NULL, OPT_PROFILE},
                                            {"no-pytorch", no_argument, NULL, OPT_NO_PYTORCH},
                                            {"python", required_argument, NULL, OPT_PYTHON},
                                            {"variants", required_argument, NULL, OPT_VARIANTS},
                                            {"micro-batches", required_argument, NULL, OPT_MICRO},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    bench_options opt;
    memset(&opt, 0, sizeof opt);
    for (int i = 1; i < argc; i++) /* `coding` has its own options: cli/cmd_bench_coding.c */
        if (strcmp(argv[i], "coding") == 0) return cli_bench_coding(argc, argv);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: opt.json = 1; break;
        case OPT_SYMBOLS: {
            char *end = NULL;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!end || *end || v == 0 || v > (1ull << 32))
                return cli_usage_error("bench", "--symbols needs a number from 1 to 2^32, not '%s'", optarg);
            opt.symbols = v;
            break;
        }
        case OPT_DEVICE: opt.device = optarg; break;
        case OPT_STEPS: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (!end || *end || v < 1 || v > 1000)
                return cli_usage_error("bench", "--steps needs a number from 1 to 1000, not '%s'", optarg);
            opt.steps = v;
            break;
        }
        case OPT_CONFIG: {
            lmc_model_config cfg;
            if (lmc_model_config_preset(optarg, &cfg) != LMC_OK)
                return cli_usage_error("bench", "--config needs 200k, 800k, 3.2m or tiny, not '%s'", optarg);
            opt.config = optarg;
            break;
        }
        case OPT_CONTEXT:
        case OPT_BATCH: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10), max = c == OPT_BATCH ? 64 : 1 << 16;
            if (!end || *end || v < 1 || v > max)
                return cli_usage_error("bench", "%s needs a number from 1 to %ld, not '%s'",
                                       c == OPT_BATCH ? "--batch" : "--context", max, optarg);
            *(c == OPT_BATCH ? &opt.batch : &opt.context) = (int)v;
            break;
        }
        case OPT_PROFILE: opt.profile = 1; break;
        case OPT_MICRO: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (!end || *end || v < 1 || v > 64)
                return cli_usage_error("bench", "--micro-batches needs a number from 1 to 64, not '%s'", optarg);
            opt.micro_batches = (int)v;
            break;
        }
        case OPT_NO_PYTORCH: opt.no_pytorch = 1; break;
        case OPT_PYTHON: opt.python = optarg; break;
        case OPT_VARIANTS: {
            const char *known[] = {"sdpa", "sdpa_compile", "written"};
            const char *q = optarg;
            if (!*q || strlen(q) > 200 || strspn(q, "abcdefghijklmnopqrstuvwxyz_,") != strlen(q))
                return cli_usage_error("bench", "--variants needs a list of sdpa, sdpa_compile, written, not '%s'",
                                       optarg);
            while (*q) {
                size_t len = strcspn(q, ","), ok = 0;
                for (size_t k = 0; k < 3; k++) ok |= strlen(known[k]) == len && strncmp(q, known[k], len) == 0;
                if (!ok)
                    return cli_usage_error("bench", "--variants: '%.*s' is none of sdpa, sdpa_compile, written",
                                           (int)len, q);
                q += len + (q[len] == ',');
            }
            opt.variants = optarg;
            break;
        }
        case 'h': print_bench_help(); return CLI_EXIT_OK;
        case ':': return cli_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("bench", "name a benchmark (e.g. 'lmc bench codec')");
    if (optind + 1 < argc) return cli_usage_error("bench", "unexpected argument '%s'", argv[optind + 1]);
    for (size_t i = 0; i < n_benches; i++)
        if (strcmp(argv[optind], benches[i].name) == 0) return benches[i].run(&opt);
    return cli_usage_error("bench", "unknown benchmark '%s'", argv[optind]);
}
