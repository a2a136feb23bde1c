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
 * `train`: the 200k config at context 2048, batch 8, trained by lmc_trainer_step on --device
 * (default pthread) against the same model in PyTorch (bench/torch_train_bench.py, run by
 * /usr/bin/python3 in this process's run, 2 threads, from the same initial weights), each with
 * 1 warm-up step (program builds, allocation) and --steps timed steps, wall clock, on random
 * bytes (speed does not depend on them). Also the device's SGEMM rate through lmc_gemm at 1024^3
 * and at the model's largest product (16384x256x64), and its peak: cl/device/peak.cl, 8 independent
 * float16 FMA chains per work-item, 64 work-items, flops / wall seconds. */
/* clock_gettime() is POSIX; the build is strict C11. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "gemm.h"
#include "lmc/train.h"
#include "ops.h"
#include "program.h"

#ifndef LMC_SOURCE_DIR
#error "LMC_SOURCE_DIR must be defined by the build"
#endif

typedef struct bench_options {
    int json;
    uint64_t symbols;
    const char *device; /* train */
    long steps;         /* train: timed steps (0: default) */
} bench_options;

typedef int (*bench_fn)(const bench_options *opt);

/* Seconds of CPU time of this thread: a one-thread benchmark that other jobs on a shared machine
 * cannot slow down by taking the core away (wall time is reported next to it). */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

/* The device's peak float rate by cl/device/peak.cl (see the header comment): best of 3. */
static lmc_status peak_rate(lmc_device *d, double *gflops) {
    const size_t global = 64;
    const cl_int iters = 200000;
    cl_mem out = NULL;
    cl_kernel k = NULL;
    lmc_status st = lmc_buf_create(d, global * 4, NULL, &out);
    if (st == LMC_OK) st = lmc_kernel_create(d, "peak", "fma_peak", &k);
    double best = 1e30;
    for (int r = 0; r < 4 && st == LMC_OK; r++) {
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

/* tokens/s of `steps` timed steps of a fresh trainer (p) after one warm-up step */
static lmc_status train_rate(lmc_device *d, const lmc_train_params *p, const uint8_t *data, size_t n, long steps,
                             const char *model_out, double *tok_s) {
    lmc_trainer *t = NULL;
    lmc_model *m = NULL;
    lmc_status st = lmc_trainer_create(d, p, &t);
    if (st == LMC_OK && model_out) st = lmc_trainer_model(t, &m); /* the initial weights, for PyTorch */
    if (st == LMC_OK && model_out) st = lmc_model_save(m, model_out);
    if (st == LMC_OK) st = lmc_trainer_step(t, data, n, NULL);
    double t0 = wall_seconds();
    for (long s = 0; s < steps && st == LMC_OK; s++) st = lmc_trainer_step(t, data, n, NULL);
    *tok_s = (double)steps * p->batch * p->window / (wall_seconds() - t0);
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    return st;
}

static int bench_train(const bench_options *opt) {
    int rc = CLI_EXIT_FAILURE;
    long steps = opt->steps ? opt->steps : 2;
    lmc_device *d = NULL;
    uint8_t *data = NULL;
    const size_t n = 1 << 20;
    char model_path[256], cmd[1024];
    snprintf(model_path, sizeof model_path, "/tmp/lmc-bench-train-%ld.safetensors", (long)getpid());
    lmc_status st = lmc_device_open(opt->device ? opt->device : "pthread", &d);
    if (st != LMC_OK) { rc = cli_fail("bench train", st); goto done; }
    if (d->info.kind != LMC_DEVICE_KIND_OPENCL) {
        rc = cli_usage_error("bench", "train measures an OpenCL device, not %s", d->info.selector);
        goto done;
    }
    data = malloc(n);
    if (!data) { rc = cli_fail("bench train", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "data")); goto done; }
    uint64_t seed = 1;
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)bench_rng(&seed);
    lmc_train_params p = lmc_train_params_default();
    st = lmc_model_config_preset("200k", &p.config);
    if (st != LMC_OK) { rc = cli_fail("bench train", st); goto done; }
    p.window = p.config.context; /* 2048 */
    p.batch = 8;
    p.steps = 1000;
    p.warmup = 10;
    p.grad_clip = 0.0f; /* PyTorch's side does not clip either */
    double tok_s = 0, gemm = 0, gemm_model = 0, peak = 0, torch_tok_s = -1;
    if (!opt->json) fprintf(stderr, "lmc bench train: %ld + 1 steps of 200k, B 8, T 2048 on %s ...\n", steps, d->info.name);
    st = train_rate(d, &p, data, n, steps, model_path, &tok_s);
    if (st == LMC_OK) st = gemm_rate(d, 1024, 1024, 1024, 3, &gemm);
    if (st == LMC_OK) st = gemm_rate(d, 16384, 256, 64, 3, &gemm_model);
    if (st == LMC_OK) st = peak_rate(d, &peak);
    if (st != LMC_OK) { rc = cli_fail("bench train", st); goto done; }
    char script[4096], note[4096];
    snprintf(script, sizeof script, "%s/bench/torch_train_bench.py", LMC_SOURCE_DIR);
    snprintf(cmd, sizeof cmd, "--model '%s' --batch 8 --context 2048 --steps %ld --warmup 1 --threads 2", model_path, steps);
    if (!opt->json) fprintf(stderr, "lmc bench train: PyTorch, the same model and steps ...\n");
    if (cli_python_json(script, cmd, "tokens_per_s", &torch_tok_s, note, sizeof note) != 0 || torch_tok_s <= 0) {
        fprintf(stderr, "lmc bench train: %s\n", note);
        goto done;
    }
    if (opt->json) {
        printf("{\"tokens_per_s\": %.1f, \"pytorch_tokens_per_s\": %.1f, \"speedup\": %.3f, \"gemm_gflops\": %.2f, "
               "\"gemm_model_gflops\": %.2f, \"peak_gflops\": %.2f, \"steps\": %ld, \"batch\": 8, \"context\": 2048, "
               "\"config\": \"200k\", \"device\": ",
               tok_s, torch_tok_s, tok_s / torch_tok_s, gemm, gemm_model, peak, steps);
        cli_json_string(stdout, d->info.name);
        printf(", \"gemm_tuned\": %s}\n", lmc_gemm_tuned(d) ? "true" : "false");
    } else {
        printf("train 200k, B 8, T 2048 on %s, %ld timed steps (wall clock)\n", d->info.name, steps);
        printf("  lmc      %10.1f tokens/s\n  PyTorch  %10.1f tokens/s (2 threads)\n  speedup  %10.2f x\n", tok_s,
               torch_tok_s, tok_s / torch_tok_s);
        printf("  SGEMM 1024^3 %.1f GFLOP/s, 16384x256x64 %.1f GFLOP/s (CLBlast, %s parameters)\n", gemm, gemm_model,
               lmc_gemm_tuned(d) ? "lmc's" : "CLBlast's");
        printf("  peak (FMA loop, cl/device/peak.cl) %.1f GFLOP/s\n", peak);
    }
    rc = CLI_EXIT_OK;
done:
    remove(model_path);
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
    {"train", bench_train, "200k training at context 2048 on a device against PyTorch; SGEMM and peak GFLOP/s"},
};
static const size_t n_benches = sizeof benches / sizeof benches[0];

static void print_bench_help(void) {
    printf("Usage: lmc bench <name> [--json] [--symbols N] [--device SEL] [--steps N]\n\n"
           "Benchmarks:\n");
    for (size_t i = 0; i < n_benches; i++) printf("  %-10s %s\n", benches[i].name, benches[i].summary);
    printf("  %-10s %s\n", "coding", "lmc compress/decompress bytes/s against PyTorch's forward (lmc bench coding --help)");
    printf("\nOptions:\n"
           "  --json        one JSON object on stdout (codec: encode_symbols_per_s,\n"
           "                decode_symbols_per_s, bits_per_symbol, seconds)\n"
           "                (train: tokens_per_s, pytorch_tokens_per_s, speedup, gemm_gflops (1024^3),\n"
           "                gemm_model_gflops, peak_gflops, ...)\n"
           "  --symbols N   symbols to code (codec; default 8000000)\n"
           "  --device SEL  train: the OpenCL device (default pthread)\n"
           "  --steps N     train: timed steps on each side after 1 warm-up step (default 2)\n"
           "  -h, --help    this help\n");
}

int cli_cmd_bench(int argc, char **argv) {
    enum { OPT_JSON = 1000, OPT_SYMBOLS, OPT_DEVICE, OPT_STEPS };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"device", required_argument, NULL, OPT_DEVICE},
                                            {"steps", required_argument, NULL, OPT_STEPS},
                                            {"symbols", required_argument, NULL, OPT_SYMBOLS},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    bench_options opt = {0, 0, NULL, 0};
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
