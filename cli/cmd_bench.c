/* cmd_bench.c : `lmc bench <name>`, the project's speed benchmarks. Each bench is one row of
 * `benches` (name, run function, summary), so `train` and `coding` can join later. A bench
 * prints a short table, or with --json one JSON object on stdout.
 *
 * `codec`: the coder alone on one thread, as the decoder runs it: every symbol quantises a full
 * row of 256 Q16 logits (lmc_quantize_row / lmc_quantize_interval) and goes through the range
 * coder. Speeds are symbols per second of this thread's CPU time. Rows come from a pool made before timing (random logits, 8 nats spread, so about 1 to
 * 6 bits per symbol), symbols are sampled from each row's own frequencies, and the decoded
 * symbols must equal the encoded ones. */
/* clock_gettime() is POSIX; the build is strict C11. */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct bench_options {
    int json;
    uint64_t symbols;
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

typedef struct bench_entry {
    const char *name;
    bench_fn run;
    const char *summary;
} bench_entry;

static const bench_entry benches[] = {
    {"codec", bench_codec, "quantiser + range coder, symbols/s each way (one thread)"},
};
static const size_t n_benches = sizeof benches / sizeof benches[0];

static void print_bench_help(void) {
    printf("Usage: lmc bench <name> [--json] [--symbols N]\n\n"
           "Benchmarks:\n");
    for (size_t i = 0; i < n_benches; i++) printf("  %-10s %s\n", benches[i].name, benches[i].summary);
    printf("\nOptions:\n"
           "  --json        one JSON object on stdout (codec: encode_symbols_per_s,\n"
           "                decode_symbols_per_s, bits_per_symbol, seconds)\n"
           "  --symbols N   symbols to code (codec; default 8000000)\n"
           "  -h, --help    this help\n");
}

int cli_cmd_bench(int argc, char **argv) {
    enum { OPT_JSON = 1000, OPT_SYMBOLS };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"symbols", required_argument, NULL, OPT_SYMBOLS},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    bench_options opt = {0, 0};
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
