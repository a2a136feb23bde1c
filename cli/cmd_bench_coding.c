/* cmd_bench_coding.c : `lmc bench coding`, the speed of the coding path against PyTorch.
 *
 * Compresses --bytes N bytes (default 131072) of real text (the enwik8 eval slice of the corpora
 * when present, else seeded random bytes; the JSON says which) with a coding model (-m, default
 * the built-in `default`) on --device (default PoCL pthread) through lmc_compress() and
 * lmc_decompress() in memory, with the predictor's automatic batch size, checks that the bytes
 * come back, and times each direction by wall clock, after one untimed warm-up call of the
 * predictor on one window (program build, allocation). In the same run, the same model's float
 * forward pass in PyTorch (bench/torch_forward_bench.py: torch_check's forward(), 2 threads,
 * no grad, windows of the model's context, one warm-up window then --torch-windows timed ones)
 * gives pytorch_forward_tokens_per_s; its float model is models/<name>.safetensors for a built-in
 * or FILE with ".exact" dropped (or "exact" replaced by "float") for -m FILE, or --float-model.
 * Without python3 or torch, the PyTorch side is skipped with a note and its numbers are null.
 *
 * The device's share of the work: model_flops_per_byte (the forward pass's multiply-adds, 2 ops
 * each, per coded byte, averaged over the positions of a full window; see the help), peak_gflops
 * (cl/device/peak.cl, the probe `lmc bench train` runs, best of 6, in this run) and each
 * direction's fraction of that peak. --profile runs both directions with per-launch event timing
 * (the predictor's own profiling queue) and prints each kernel's share of the direction's wall
 * time, its rate and its launches per coded byte; the speeds of a profiled run include the
 * profiling's own cost. --sweep B1,B2,... then codes the same bytes again with a fresh
 * predictor at each of those fixed batches and at the automatic choice, --rounds R times in turn
 * (auto B1 B2 ... auto B1 ...: drift hits every entry alike), and reports each entry's median
 * rates and the automatic choice's median against the best fixed batch's, per direction: the
 * check that the calibration picks a batch within 10% of the best this device has.
 * Key invariant: no number is reported for a run whose round trip failed. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "program.h"

#ifndef LMC_SOURCE_DIR
#error "LMC_SOURCE_DIR must be defined by the build"
#endif

#define CODING_TEXT "text/eval/enwik8_bytes_2604491-4154399.xml"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* n bytes of the eval text when the corpora are there (*source = its path), else seeded bytes. */
static uint8_t *load_input(size_t n, char *source, size_t cap) {
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return NULL;
    char dbuf[1024], path[1200];
    const char *dir = cli_data_dir(dbuf, sizeof dbuf);
    if (dir) {
        snprintf(path, sizeof path, "%s/%s", dir, CODING_TEXT);
        FILE *f = fopen(path, "rb");
        if (f) {
            size_t got = fread(buf, 1, n, f);
            fclose(f);
            if (got == n) {
                snprintf(source, cap, "%s", path);
                return buf;
            }
        }
    }
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++) {
        s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        buf[i] = (uint8_t)(s >> 56);
    }
    snprintf(source, cap, "seeded random bytes (no %s)", CODING_TEXT);
    return buf;
}

/* The float model PyTorch runs: --float-model, else models/<built-in>.safetensors (for NAME-x2: models/NAME.safetensors), else the
 * coding model's file name with ".exact" dropped or "exact" replaced by "float"; "" if none. */
static void float_model_for(const char *model, char *out, size_t cap) {
    out[0] = '\0';
    for (size_t i = 0; i < lmc_builtin_model_count(); i++) {
        const char *name = lmc_builtin_model_name(i);
        if (strcmp(model, name) == 0 || (strcmp(model, "default") == 0 && i == lmc_builtin_model_default())) {
            /* "default" is an alias; the files are named after the built-in it stands for */
            const char *real = lmc_builtin_model_name(lmc_builtin_model_default());
            const char *base = strcmp(model, name) == 0 ? name : real;
            snprintf(out, cap, "%s/models/%s.safetensors", LMC_SOURCE_DIR, base);
            if (is_file(out)) return;
            /* NAME-x2, the lmc-exact-2 coding model of models/NAME.safetensors */
            size_t bl = strlen(base);
            if (bl > 3 && strcmp(base + bl - 3, "-x2") == 0) {
                snprintf(out, cap, "%s/models/%.*s.safetensors", LMC_SOURCE_DIR, (int)(bl - 3), base);
                if (is_file(out)) return;
            }
        }
    }
    const char *dot = strstr(model, ".exact.");
    const char *word = strstr(model, "exact");
    if (dot)
        snprintf(out, cap, "%.*s%s", (int)(dot - model), model, dot + 6);
    else if (word)
        snprintf(out, cap, "%.*sfloat%s", (int)(word - model), model, word + 5);
    if (out[0] && is_file(out)) return;
    if (word) {
        snprintf(out, cap, "%.*sfloat%s", (int)(word - model), model, word + 5);
        if (is_file(out)) return;
    }
    out[0] = '\0';
}

/* 2 ops per multiply-add of one row's forward pass, averaged over positions 0..W-1: the linear
 * layers' 2 (L (4 C^2 + 8 C^2) + 256 C) and attention's 4 L C (W + 1) / 2 (q.k and e.v over the
 * (W + 1) / 2 keys of an average position). */
static double model_flops_per_byte(const lmc_model_config *c, double W) {
    double C = c->d_model, L = c->n_layers;
    return 2.0 * (L * 12.0 * C * C + 256.0 * C) + 4.0 * L * C * (W + 1.0) / 2.0;
}

/* The device's peak float rate by cl/device/peak.cl (the probe `lmc bench train` runs: 8 independent
 * float16 FMA chains per work-item, 64 work-items): best of 6 after one untimed launch. 0 on cpu-ref. */
static lmc_status peak_gflops(lmc_device *d, double *gflops) {
    *gflops = 0;
    if (d->info.kind != LMC_DEVICE_KIND_OPENCL) return LMC_OK;
    const size_t global = 64;
    const cl_int iters = 200000;
    cl_int err = CL_SUCCESS;
    cl_kernel k = NULL;
    cl_mem out = clCreateBuffer(d->context, CL_MEM_READ_WRITE, global * 4, NULL, &err);
    lmc_status st = err == CL_SUCCESS ? LMC_OK : lmc_set_error(LMC_ERR_OPENCL, "peak buffer: %s", lmc_cl_error_name(err));
    if (st == LMC_OK) st = lmc_kernel_create(d, "peak", "fma_peak", &k);
    double best = 1e30;
    for (int r = 0; r < 7 && st == LMC_OK; r++) { /* best of 6: one loaded moment must not set it */
        cl_float x = 0.5f;
        err = clSetKernelArg(k, 0, sizeof out, &out);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 1, sizeof iters, &iters);
        if (err == CL_SUCCESS) err = clSetKernelArg(k, 2, sizeof x, &x);
        double t0 = now_s();
        if (err == CL_SUCCESS) err = clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL);
        if (err == CL_SUCCESS) err = clFinish(d->queue);
        if (err != CL_SUCCESS) st = lmc_set_error(LMC_ERR_OPENCL, "fma_peak: %s", lmc_cl_error_name(err));
        if (r > 0 && now_s() - t0 < best) best = now_s() - t0;
    }
    if (st == LMC_OK) *gflops = (double)global * iters * 8 * 16 * 2 / best / 1e9;
    if (k) clReleaseKernel(k);
    if (out) clReleaseMemObject(out);
    return st;
}

/* The profile of one direction: per kernel its share of the direction's wall time, device seconds,
 * GOP/s, GB/s and launches per coded byte, then what the kernels leave (host, transfers, gaps). */
static void print_profile(const lmc_exact_profile *pr, int decode, double wall, int json) {
    double sum = 0;
    uint64_t bytes = pr->positions[decode] ? pr->positions[decode] : 1;
    if (json) printf("\"%s\": [", decode ? "decompress" : "compress");
    else printf("  %s: %.3f s wall, %llu positions\n    %-10s %7s %9s %9s %9s %11s\n", decode ? "decompress" : "compress",
                wall, (unsigned long long)pr->positions[decode], "kernel", "share", "seconds", "GOP/s", "GB/s", "launch/B");
    int first = 1;
    for (size_t i = 0; i < pr->n; i++) {
        const lmc_exact_profile_row *r = &pr->rows[i];
        if (r->decode != decode) continue;
        sum += r->seconds;
        double gops = r->seconds > 0 ? r->ops / r->seconds / 1e9 : 0, gbs = r->seconds > 0 ? r->bytes / r->seconds / 1e9 : 0;
        double lpb = (double)r->launches / (double)bytes;
        if (json)
            printf("%s{\"kernel\": \"%s\", \"share\": %.4f, \"seconds\": %.4f, \"gops\": %.3f, \"gbytes_per_s\": %.3f, "
                   "\"launches\": %llu, \"launches_per_byte\": %.4f}",
                   first ? "" : ", ", r->kernel, r->seconds / wall, r->seconds, gops, gbs, (unsigned long long)r->launches, lpb);
        else
            printf("    %-10s %6.1f%% %9.3f %9.2f %9.2f %11.4f\n", r->kernel, 100.0 * r->seconds / wall, r->seconds, gops, gbs, lpb);
        first = 0;
    }
    if (json)
        printf("%s{\"kernel\": \"other\", \"share\": %.4f, \"seconds\": %.4f}]", first ? "" : ", ", (wall - sum) / wall,
               wall - sum);
    else
        printf("    %-10s %6.1f%% %9.3f   (host, transfers, launch gaps)\n", "other", 100.0 * (wall - sum) / wall, wall - sum);
}

/* One warm-up call of pred on the first window (program build, device buffers), then (with the
 * predictor's profiling on when profile) lmc_compress() and lmc_decompress() of in (n bytes)
 * timed by wall clock; the round trip is checked. packed: cap bytes; back: n + 1 bytes. */
static lmc_status code_once(lmc_predictor *pred, const lmc_codec_params *cp, const uint8_t *in, size_t n, uint8_t *packed,
                            size_t cap, uint8_t *back, int32_t *rows, int profile, size_t *packed_len, double *comp_s,
                            double *decomp_s) {
    const uint8_t *w0 = in;
    size_t l0 = n < cp->window_size ? n : cp->window_size, back_len = 0;
    LMC_TRY(pred->vtable->encode_rows(pred->ctx, 1, &w0, &l0, cp->window_size, rows));
    if (profile) LMC_TRY(lmc_exact_predictor_set_profiling(pred, 1));
    double t0 = now_s();
    LMC_TRY(lmc_compress(packed, cap, in, n, cp, pred, packed_len));
    double t1 = now_s();
    LMC_TRY(lmc_decompress(back, n + 1, packed, *packed_len, pred, &back_len));
    double t2 = now_s();
    LMC_RETURN_IF(back_len != n || memcmp(back, in, n) != 0, LMC_ERR_VERIFY_MISMATCH, "the round trip changed the bytes");
    *comp_s = t1 - t0;
    *decomp_s = t2 - t1;
    return LMC_OK;
}

#define SWEEP_MAX 8 /* fixed batches of --sweep, besides the automatic choice */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
    double s[16];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* --sweep's medians: entry 0 the automatic batch (max_windows 0), entries 1..nb the fixed ones. */
typedef struct {
    int nb, rounds;
    size_t windows[SWEEP_MAX + 1], best_cb, best_db;
    double mc[SWEEP_MAX + 1], md[SWEEP_MAX + 1], best_c, best_d;
    char auto_source[32];
} sweep_result;

/* Each entry with a fresh predictor, rounds times in turn, round r starting at entry r (mod the
 * entries): no entry always runs first, after the main run or the largest batch (run first in
 * every round, the automatic entry once decoded 23% slower than the same fixed batch); medians
 * of bytes/s per entry and direction, and the best fixed entry per direction. */
static lmc_status run_sweep(const lmc_exact_model *model, lmc_device *dev, const size_t *batches, int nb, int rounds,
                            const lmc_codec_params *cp, const uint8_t *in, size_t n, uint8_t *packed, size_t cap,
                            uint8_t *back, int32_t *rows, int json, sweep_result *out) {
    double comp[SWEEP_MAX + 1][16], decomp[SWEEP_MAX + 1][16];
    memset(out, 0, sizeof *out);
    out->nb = nb;
    out->rounds = rounds;
    if (!json) fprintf(stderr, "lmc bench coding: sweep of %d batches and the automatic one, %d rounds ...\n", nb, rounds);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j <= nb; j++) {
            const int e = (j + r) % (nb + 1);
            lmc_exact_predictor_params pp = lmc_exact_predictor_params_default();
            pp.max_windows = e == 0 ? 0 : batches[e - 1];
            lmc_predictor *pred = NULL;
            LMC_TRY(lmc_exact_predictor_create(model, dev, &pp, &pred));
            size_t packed_len = 0;
            double cs = 0, ds = 0;
            lmc_status st = code_once(pred, cp, in, n, packed, cap, back, rows, 0, &packed_len, &cs, &ds);
            out->windows[e] = pred->max_windows;
            if (e == 0) snprintf(out->auto_source, sizeof out->auto_source, "%s", lmc_exact_predictor_batch_source(pred));
            lmc_exact_predictor_destroy(pred);
            LMC_TRY(st);
            comp[e][r] = (double)n / cs;
            decomp[e][r] = (double)n / ds;
        }
    for (int e = 0; e <= nb; e++) {
        out->mc[e] = median(comp[e], rounds);
        out->md[e] = median(decomp[e], rounds);
        if (e > 0 && out->mc[e] > out->best_c) out->best_c = out->mc[e], out->best_cb = out->windows[e];
        if (e > 0 && out->md[e] > out->best_d) out->best_d = out->md[e], out->best_db = out->windows[e];
    }
    return LMC_OK;
}

static void print_sweep(const sweep_result *s, int json) {
    const double rc = s->best_c > 0 ? s->mc[0] / s->best_c : 0, rd = s->best_d > 0 ? s->md[0] / s->best_d : 0;
    if (json) {
        printf("\"sweep\": {\"rounds\": %d, \"entries\": [", s->rounds);
        for (int e = 0; e <= s->nb; e++)
            printf("%s{\"batch\": \"%s\", \"batch_windows\": %zu, \"compress_bytes_per_s\": %.1f, "
                   "\"decompress_bytes_per_s\": %.1f}",
                   e ? ", " : "", e ? "fixed" : "auto", s->windows[e], s->mc[e], s->md[e]);
        printf("], \"auto_source\": \"%s\", \"best_compress_batch\": %zu, \"best_decompress_batch\": %zu, "
               "\"auto_vs_best_compress\": %.4f, \"auto_vs_best_decompress\": %.4f}, ",
               s->auto_source, s->best_cb, s->best_db, rc, rd);
        return;
    }
    printf("  sweep (medians of %d rounds, each entry a fresh predictor, in turn):\n", s->rounds);
    printf("    %-22s %14s %16s\n", "batch", "compress B/s", "decompress B/s");
    for (int e = 0; e <= s->nb; e++) {
        char name[64];
        if (e == 0) snprintf(name, sizeof name, "auto (%zu, %s)", s->windows[0], s->auto_source);
        else snprintf(name, sizeof name, "%zu", s->windows[e]);
        printf("    %-22s %14.1f %16.1f\n", name, s->mc[e], s->md[e]);
    }
    printf("    automatic against the best fixed batch: compress %.3f (best %zu), decompress %.3f (best %zu)\n", rc, s->best_cb, rd,
           s->best_db);
}

static void print_help(void) {
    printf("Usage: lmc bench coding [--json] [--device SEL] [--bytes N] [-m MODEL] [--float-model FILE]\n"
           "                        [--batch N] [--torch-windows N] [--profile] [--sweep B1,B2,.. [--rounds R]]\n\n"
           "Compress and decompress N bytes of the enwik8 eval text (seeded random bytes when the corpora\n"
           "are absent) with a coding model on a device, check the round trip, and run the same model's\n"
           "float forward pass in PyTorch (bench/torch_forward_bench.py, 2 threads) in the same run.\n\n"
           "  --json             one JSON object: compress_bytes_per_s, decompress_bytes_per_s,\n"
           "                     pytorch_forward_tokens_per_s, compress_vs_pytorch, decompress_vs_pytorch,\n"
           "                     peak_rss_bytes, bytes, compressed_bytes, device, batch_windows,\n"
           "                     batch_source (params, env, calibrated, cached, default), decode_work_group\n"
           "                     and chunk_rows (calibrated with the batch; 0 on cpu-ref), model_flops_per_byte,\n"
           "                     peak_gflops, compress_fraction_of_peak, decompress_fraction_of_peak, ...\n"
           "                     model_flops_per_byte = 2 (L 12 C^2 + 256 C) + 4 L C (W + 1) / 2: 2 ops per\n"
           "                     multiply-add of the linear layers and of attention (q.k, e.v over the\n"
           "                     (W + 1) / 2 keys of an average position of a W-byte window); peak_gflops:\n"
           "                     cl/device/peak.cl in this run; fraction = bytes/s * flops/byte / peak\n"
           "  --profile          per kernel and direction: share of the wall time, GOP/s, GB/s and launches\n"
           "                     per coded byte (event timing on a profiling queue; slows the run a little)\n"
           "  --device SEL       the device (default pthread; cpu-ref works, slowly)\n"
           "  --bytes N          input bytes (default 131072)\n"
           "  -m, --model MODEL  coding model: default, a built-in name or a file (default: default)\n"
           "  --float-model FILE the float model PyTorch runs (default: found from MODEL)\n"
           "  --batch N          windows per device call (default: the predictor's choice)\n"
           "  --torch-windows N  timed PyTorch windows of the model's context (default 2; 0 skips PyTorch)\n"
           "  --sweep B1,B2,..   then code the same bytes with a fresh predictor at each fixed batch and at the\n"
           "                     automatic one, R rounds in turn: median bytes/s of each, and the automatic\n"
           "                     one's against the best fixed batch per direction (--json: \"sweep\", with\n"
           "                     auto_vs_best_compress, auto_vs_best_decompress); at most 8 batches\n"
           "  --rounds R         rounds of --sweep (default 3, at most 15)\n"
           "  -h, --help         this help\n");
}

int cli_bench_coding(int argc, char **argv) {
    enum { OPT_JSON = 1000, OPT_DEVICE, OPT_BYTES, OPT_FLOAT, OPT_TORCH, OPT_BATCH, OPT_PROFILE, OPT_SWEEP, OPT_ROUNDS };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"device", required_argument, NULL, OPT_DEVICE},
                                            {"bytes", required_argument, NULL, OPT_BYTES},
                                            {"model", required_argument, NULL, 'm'},
                                            {"float-model", required_argument, NULL, OPT_FLOAT},
                                            {"torch-windows", required_argument, NULL, OPT_TORCH},
                                            {"batch", required_argument, NULL, OPT_BATCH},
                                            {"profile", no_argument, NULL, OPT_PROFILE},
                                            {"sweep", required_argument, NULL, OPT_SWEEP},
                                            {"rounds", required_argument, NULL, OPT_ROUNDS},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int json = 0, profile = 0, n_sweep = 0, rounds = 3;
    size_t sweep[SWEEP_MAX];
    long torch_windows = 2;
    size_t n = 131072, batch = 0;
    const char *device_sel = "pthread", *model_name = "default", *float_model = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":hm:", options, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_PROFILE: profile = 1; break;
        case OPT_DEVICE: device_sel = optarg; break;
        case 'm': model_name = optarg; break;
        case OPT_FLOAT: float_model = optarg; break;
        case OPT_BYTES: {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!end || *end || v < 1 || v > (1ull << 32))
                return cli_usage_error("bench", "--bytes needs a number from 1 to 2^32, not '%s'", optarg);
            n = (size_t)v;
            break;
        }
        case OPT_BATCH: {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!end || *end || v < 1 || v > 64) return cli_usage_error("bench", "--batch needs a number from 1 to 64, not '%s'", optarg);
            batch = (size_t)v;
            break;
        }
        case OPT_SWEEP: {
            n_sweep = 0;
            for (const char *q = optarg;; q = end + 1) {
                unsigned long v = strtoul(q, &end, 10);
                if (end == q || v < 1 || v > 64 || (*end && *end != ',') || n_sweep == SWEEP_MAX)
                    return cli_usage_error("bench", "--sweep needs 1 to %d batches from 1 to 64 separated by commas, not '%s'",
                                           SWEEP_MAX, optarg);
                sweep[n_sweep++] = (size_t)v;
                if (!*end) break;
            }
            break;
        }
        case OPT_ROUNDS: {
            long v = strtol(optarg, &end, 10);
            if (!end || *end || v < 1 || v > 15) return cli_usage_error("bench", "--rounds needs a number from 1 to 15, not '%s'", optarg);
            rounds = (int)v;
            break;
        }
        case OPT_TORCH: {
            long v = strtol(optarg, &end, 10);
            if (!end || *end || v < 0 || v > 64)
                return cli_usage_error("bench", "--torch-windows needs a number from 0 to 64, not '%s'", optarg);
            torch_windows = v;
            break;
        }
        case 'h': print_help(); return CLI_EXIT_OK;
        case ':': return cli_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("bench", "unknown option '%s'", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "coding") != 0) return cli_usage_error("bench", "unexpected argument '%s'", argv[i]);
    if (cli_one_process_only("bench coding",
                             "it times one process's coding; for the job's speed time "
                             "'mpirun ... lmc compress -v'"))
        return CLI_EXIT_USAGE;

    int rc = CLI_EXIT_FAILURE;
    lmc_exact_model *model = NULL;
    lmc_device *dev = NULL;
    lmc_predictor *pred = NULL;
    uint8_t *in = NULL, *packed = NULL, *back = NULL;
    int32_t *rows = NULL;
    char source[1400], fm[1200], note[4600] = "";
    lmc_status st = lmc_exact_model_open(model_name, &model);
    if (st != LMC_OK) { rc = cli_fail("bench coding", st); goto done; }
    if ((st = lmc_device_open(device_sel, &dev)) != LMC_OK) { rc = cli_fail("bench coding", st); goto done; }
    lmc_exact_predictor_params pp = lmc_exact_predictor_params_default(); /* batch from the device's memory */
    pp.max_windows = batch;
    if ((st = lmc_exact_predictor_create(model, dev, &pp, &pred)) != LMC_OK) { rc = cli_fail("bench coding", st); goto done; }
    lmc_model_config cfg = lmc_exact_model_get_config(model);
    lmc_codec_params cp = lmc_codec_params_default();
    if (cp.window_size > (uint32_t)cfg.context) cp.window_size = (uint32_t)cfg.context;
    size_t cap = lmc_compress_bound(n, cp.window_size), packed_len = 0;
    in = load_input(n, source, sizeof source);
    packed = malloc(cap);
    back = malloc(n + 1);
    rows = malloc((size_t)cp.window_size * 256 * sizeof *rows);
    if (!in || !packed || !back || !rows) {
        rc = cli_fail("bench coding", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "buffers for %zu bytes", n));
        goto done;
    }
    if (!json) fprintf(stderr, "lmc bench coding: %zu bytes on %s ...\n", n, lmc_device_get_info(dev)->name);
    double comp_s = 0, decomp_s = 0;
    if ((st = code_once(pred, &cp, in, n, packed, cap, back, rows, profile, &packed_len, &comp_s, &decomp_s)) != LMC_OK) {
        rc = cli_fail("bench coding", st);
        goto done;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t peak_rss = (uint64_t)ru.ru_maxrss * 1024; /* KiB on Linux */
    double comp = (double)n / comp_s, decomp = (double)n / decomp_s, torch = -1, peak = 0;
    lmc_exact_profile prof;
    memset(&prof, 0, sizeof prof);
    if (profile && (st = lmc_exact_predictor_get_profile(pred, &prof)) != LMC_OK) { rc = cli_fail("bench coding", st); goto done; }
    if (profile) lmc_exact_predictor_set_profiling(pred, 0);
    if ((st = peak_gflops(dev, &peak)) != LMC_OK) { rc = cli_fail("bench coding", st); goto done; }
    const double fpb = model_flops_per_byte(&cfg, (double)cp.window_size);
    size_t dwg = 0, chunk_rows = 0;
    lmc_exact_predictor_sizes(pred, &dwg, &chunk_rows);
    const double cfrac = peak > 0 ? comp * fpb / (peak * 1e9) : 0, dfrac = peak > 0 ? decomp * fpb / (peak * 1e9) : 0;

    if (torch_windows > 0) {
        if (float_model) snprintf(fm, sizeof fm, "%s", float_model);
        else float_model_for(model_name, fm, sizeof fm);
        if (!fm[0]) {
            snprintf(note, sizeof note, "no float model found for '%s' (give --float-model)", model_name);
        } else {
            char script[1200], args[2600];
            snprintf(script, sizeof script, "%s/bench/torch_forward_bench.py", LMC_SOURCE_DIR);
            snprintf(args, sizeof args, "--model '%s' --batch %ld --batches 1 --warmup 1 --threads 2", fm, torch_windows);
            if (!json) fprintf(stderr, "lmc bench coding: PyTorch forward, %ld windows of %d ...\n", torch_windows, cfg.context);
            if (cli_python_json(script, args, "tokens_per_s", &torch, note, sizeof note) != 0) torch = -1;
        }
        if (torch < 0) fprintf(stderr, "lmc bench coding: PyTorch skipped: %s\n", note);
    } else {
        snprintf(note, sizeof note, "--torch-windows 0");
    }
    sweep_result sw;
    if (n_sweep > 0 &&
        (st = run_sweep(model, dev, sweep, n_sweep, rounds, &cp, in, n, packed, cap, back, rows, json, &sw)) != LMC_OK) {
        rc = cli_fail("bench coding", st);
        goto done;
    }
    if (json) {
        printf("{\"bench\": \"coding\", \"bytes\": %zu, \"compressed_bytes\": %zu, \"bits_per_byte\": %.4f, "
               "\"compress_bytes_per_s\": %.1f, \"decompress_bytes_per_s\": %.1f, ",
               n, packed_len, 8.0 * (double)packed_len / (double)n, comp, decomp);
        if (torch > 0)
            printf("\"pytorch_forward_tokens_per_s\": %.1f, \"compress_vs_pytorch\": %.4g, \"decompress_vs_pytorch\": %.4g, "
                   "\"pytorch_threads\": 2, \"pytorch_windows\": %ld, ",
                   torch, comp / torch, decomp / torch, torch_windows);
        else {
            printf("\"pytorch_forward_tokens_per_s\": null, \"compress_vs_pytorch\": null, \"decompress_vs_pytorch\": null, "
                   "\"pytorch_note\": ");
            cli_json_string(stdout, note);
            printf(", ");
        }
        printf("\"peak_rss_bytes\": %llu, \"batch_windows\": %zu, \"batch_source\": \"%s\", \"decode_work_group\": %zu, "
               "\"chunk_rows\": %zu, \"window\": %u, "
               "\"compress_seconds\": %.3f, \"decompress_seconds\": %.3f, \"model_flops_per_byte\": %.0f, ",
               (unsigned long long)peak_rss, pred->max_windows, lmc_exact_predictor_batch_source(pred), dwg, chunk_rows,
               cp.window_size, comp_s, decomp_s, fpb);
        if (peak > 0)
            printf("\"peak_gflops\": %.6g, \"compress_fraction_of_peak\": %.5g, \"decompress_fraction_of_peak\": %.5g, ", peak,
                   cfrac, dfrac);
        else
            printf("\"peak_gflops\": null, \"compress_fraction_of_peak\": null, \"decompress_fraction_of_peak\": null, ");
        if (profile) {
            printf("\"profile\": {");
            print_profile(&prof, 0, comp_s, 1);
            printf(", ");
            print_profile(&prof, 1, decomp_s, 1);
            printf("}, ");
        }
        if (n_sweep > 0) print_sweep(&sw, 1);
        printf("\"model\": ");
        cli_json_string(stdout, model_name);
        printf(", \"device\": ");
        cli_json_string(stdout, lmc_device_get_info(dev)->name);
        printf(", \"input\": ");
        cli_json_string(stdout, source);
        printf("}\n");
    } else {
        printf("coding %zu bytes (%s) with %s on %s, batches of %zu windows of %u (%s)", n, source, model_name,
               lmc_device_get_info(dev)->name, pred->max_windows, cp.window_size, lmc_exact_predictor_batch_source(pred));
        if (chunk_rows) printf(", decoding work-groups of %zu, encoding chunks of %zu rows", dwg, chunk_rows);
        printf("\n");
        printf("  compress    %10.1f bytes/s  (%.3f s, %.4f bits/byte)\n", comp, comp_s, 8.0 * (double)packed_len / (double)n);
        printf("  decompress  %10.1f bytes/s  (%.3f s)\n", decomp, decomp_s);
        if (torch > 0)
            printf("  PyTorch forward %6.1f tokens/s (2 threads): compress %.2fx, decompress %.2fx\n", torch, comp / torch,
                   decomp / torch);
        else
            printf("  PyTorch forward: skipped (%s)\n", note);
        printf("  peak RSS    %10.1f MiB\n", (double)peak_rss / 1048576.0);
        if (peak > 0)
            printf("  %.0f ops/byte; peak %.1f GFLOP/s (cl/device/peak.cl): compress %.4f, decompress %.4f of it\n", fpb, peak,
                   cfrac, dfrac);
        if (profile) {
            print_profile(&prof, 0, comp_s, 0);
            print_profile(&prof, 1, decomp_s, 0);
        }
        if (n_sweep > 0) print_sweep(&sw, 0);
    }
    rc = CLI_EXIT_OK;
done:
    lmc_exact_predictor_destroy(pred);
    lmc_device_destroy(dev);
    lmc_exact_model_destroy(model);
    free(in);
    free(packed);
    free(back);
    free(rows);
    return rc;
}
