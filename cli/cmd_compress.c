/* cmd_compress.c : basic `lmc compress` / `lmc decompress` with a coding model (built-in
 * "default", a built-in name or -m FILE) on any device, one window per device call.
 * Files or stdin/stdout; -c writes to stdout; a failed run removes the output it started.
 * Decompression without -m finds the built-in model by the id in the .lmc header. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct peek_reader {
    FILE *in;
    uint8_t head[60];
    size_t head_len, head_pos;
} peek_reader;

static lmc_status peek_read(void *user, void *data, size_t cap, size_t *got) {
    peek_reader *r = user;
    if (r->head_pos < r->head_len) {
        size_t k = r->head_len - r->head_pos;
        if (k > cap) k = cap;
        memcpy(data, r->head + r->head_pos, k);
        r->head_pos += k;
        *got = k;
        return LMC_OK;
    }
    *got = fread(data, 1, cap, r->in);
    if (*got == 0 && ferror(r->in)) return lmc_set_error(LMC_ERR_IO, "read error on the input");
    return LMC_OK;
}

static lmc_status file_write(void *user, const void *data, size_t n) {
    if (n && fwrite(data, 1, n, (FILE *)user) != n) return lmc_set_error(LMC_ERR_IO, "write error on the output");
    return LMC_OK;
}

static void print_help(int decompress) {
    if (decompress)
        printf("Usage: lmc decompress [FILE.lmc] [-m MODEL] [--device SEL] [-c | -o OUT]\n\n"
               "Decode a .lmc file (stdin when no FILE). Output: FILE without .lmc, or stdout with -c\n"
               "or when reading stdin. Without -m the model is the built-in whose id the header names.\n\n");
    else
        printf("Usage: lmc compress [FILE] [-m MODEL] [--device SEL] [-W BYTES] [-c | -o OUT]\n\n"
               "Code FILE (stdin when no FILE) with a coding model into FILE.lmc (stdout with -c or\n"
               "when reading stdin). The bytes are the same on every device.\n\n");
    printf("Options:\n"
           "  -m, --model MODEL  'default' (the newest built-in), a built-in name, or a coding model\n"
           "                     file (lmc-exact-1, made by 'lmc quantize')\n"
           "  --device SEL       cpu-ref, P.D or a name substring (see 'lmc devices')\n"
           "  -c, --stdout       write to stdout\n"
           "  -o, --output FILE  write to FILE\n");
    if (!decompress) printf("  -W, --window BYTES window size (default: 2048, or the model's context if shorter)\n");
    printf("  -h, --help         this help\n");
}

static int run(int argc, char **argv, int decompress) {
    const char *what = decompress ? "decompress" : "compress";
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'}, {"device", required_argument, NULL, 'd'},
                                         {"stdout", no_argument, NULL, 'c'},      {"output", required_argument, NULL, 'o'},
                                         {"window", required_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *model_name = NULL, *device_sel = NULL, *out_path = NULL;
    int to_stdout = 0, c;
    long window = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, decompress ? "m:co:h" : "m:co:W:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_name = optarg; break;
        case 'd': device_sel = optarg; break;
        case 'c': to_stdout = 1; break;
        case 'o': out_path = optarg; break;
        case 'W': {
            char *end = NULL;
            window = strtol(optarg, &end, 10);
            if (*end || window < 1 || window > (long)LMC_WINDOW_MAX) return cli_usage_error(what, "bad window size '%s'", optarg);
            break;
        }
        case 'h': print_help(decompress); return CLI_EXIT_OK;
        default: return cli_usage_error(what, "unknown option");
        }
    }
    if (argc - optind > 1) return cli_usage_error(what, "at most one input FILE");
    if (to_stdout && out_path) return cli_usage_error(what, "-c and -o exclude each other");
    const char *in_path = optind < argc ? argv[optind] : NULL;
    char *derived = NULL;
    if (!to_stdout && !out_path && in_path && strcmp(in_path, "-") != 0) {
        size_t n = strlen(in_path);
        if (decompress) {
            if (n <= 4 || strcmp(in_path + n - 4, ".lmc") != 0)
                return cli_usage_error(what, "%s: no .lmc suffix; name the output with -o or -c", in_path);
            derived = strdup(in_path);
            if (derived) derived[n - 4] = '\0';
        } else {
            derived = malloc(n + 5);
            if (derived) snprintf(derived, n + 5, "%s.lmc", in_path);
        }
        if (!derived) return cli_fail(what, lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "output name"));
        out_path = derived;
    }
    if (in_path && strcmp(in_path, "-") == 0) in_path = NULL;

    int rc = CLI_EXIT_FAILURE, created = 0;
    FILE *in = NULL, *out = NULL;
    lmc_exact_model *model = NULL;
    lmc_device *device = NULL;
    lmc_predictor *pred = NULL;
    lmc_status st = LMC_OK;
    peek_reader reader;
    memset(&reader, 0, sizeof reader);
    in = in_path ? fopen(in_path, "rb") : stdin;
    if (!in) {
        st = lmc_set_error(LMC_ERR_IO, "cannot open %s", in_path);
        goto done;
    }
    reader.in = in;
    if (decompress && !model_name) {
        reader.head_len = fread(reader.head, 1, sizeof reader.head, in);
        /* Not a .lmc header at all: let the decoder name the problem (with any model). */
        static const uint8_t magic[8] = {0x89, 'L', 'M', 'C', 0x0D, 0x0A, 0x1A, 0x0A};
        if (reader.head_len >= 56 && memcmp(reader.head, magic, 8) == 0)
            st = lmc_builtin_model_find_id(reader.head + 24, &model);
        else
            st = lmc_exact_model_open("default", &model);
    } else {
        st = lmc_exact_model_open(model_name ? model_name : "default", &model);
    }
    if (st) goto done;
    if ((st = lmc_device_open(device_sel, &device)) != LMC_OK) goto done;
    lmc_exact_predictor_params pp = lmc_exact_predictor_params_default();
    pp.max_windows = 0; /* the predictor chooses its batch from the device's memory (issue 8) */
    if ((st = lmc_exact_predictor_create(model, device, &pp, &pred)) != LMC_OK) goto done;
    if (out_path) {
        out = fopen(out_path, "wbx");
        if (!out) {
            st = lmc_set_error(LMC_ERR_IO, "cannot create %s (it may exist already)", out_path);
            goto done;
        }
        created = 1;
    } else {
        out = stdout;
    }
    lmc_codec_stats stats;
    memset(&stats, 0, sizeof stats);
    if (decompress) {
        st = lmc_decompress_stream(pred, peek_read, &reader, file_write, out, &stats);
    } else {
        lmc_codec_params cp = lmc_codec_params_default();
        int ctx = lmc_exact_model_get_config(model).context;
        cp.window_size = window ? (uint32_t)window : (ctx < (int)cp.window_size ? (uint32_t)ctx : cp.window_size);
        st = lmc_compress_stream(&cp, pred, peek_read, &reader, file_write, out, &stats);
    }
    if (st == LMC_OK && fflush(out) != 0) st = lmc_set_error(LMC_ERR_IO, "write error on the output");
    if (st == LMC_OK) rc = CLI_EXIT_OK;
done:
    if (rc != CLI_EXIT_OK) rc = cli_fail(what, st ? st : LMC_ERR_IO);
    if (out && out != stdout && fclose(out) != 0 && rc == CLI_EXIT_OK) rc = cli_fail(what, lmc_set_error(LMC_ERR_IO, "closing %s", out_path));
    if (rc != CLI_EXIT_OK && created) remove(out_path);
    if (in && in != stdin) fclose(in);
    lmc_exact_predictor_destroy(pred);
    lmc_device_destroy(device);
    lmc_exact_model_destroy(model);
    free(derived);
    return rc;
}

int cli_cmd_compress(int argc, char **argv) { return run(argc, argv, 0); }
int cli_cmd_decompress(int argc, char **argv) { return run(argc, argv, 1); }
