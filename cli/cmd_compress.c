/* cmd_compress.c : `lmc compress` and `lmc decompress` (also `lmc -d`, `lmc compress -d`) with
 * the habits of zstd (DESIGN.md §6): files or stdin/stdout, -c, -o, -f, --rm, -k, -q, -v, --json,
 * several FILEs each to its own output, progress on a terminal.
 * Key invariant: nothing partial is ever left under an output's name. Files are written under
 * a temporary name, fsync'ed and renamed (cli_coding.c), removed on error or a fatal signal;
 * --rm deletes an input only after its output is complete under its final name. Stdout cannot
 * be atomic: an error there says that what was written is incomplete. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_coding.h"
#include "model_auto.h"
#include "cli_dist_coding.h"
#include "mpi_dist.h"

#define IO_CHUNK (64u * 1024u)

typedef struct coding_opts {
    int decompress, to_stdout, force, rm, quiet, verbose, json;
    const char *model_name, *device_sel, *out_path;
    uint32_t window; /* 0: the default */
} coding_opts;

static void print_help(int decompress) {
    if (decompress)
        printf("Usage: lmc decompress [options] [FILE.lmc ...]   (also: lmc -d, lmc compress -d)\n\n"
               "Decode .lmc files, each FILE.lmc into FILE; stdin to stdout when no FILE (or '-').\n"
               "Without -m the model is the built-in one whose id the file's header names.\n"
               "Bytes are only written after their CRC matched; a failed run leaves no output file.\n\n");
    else
        printf("Usage: lmc compress [options] [FILE ...]\n\n"
               "Code each FILE with a coding model into FILE.lmc; stdin to stdout when no FILE (or '-').\n"
               "The output bytes are the same on every device. A failed or interrupted run leaves no\n"
               "output file; the input is kept unless --rm.\n\n");
    printf("Options:\n"
           "  -m, --model MODEL  'default' (the build's default built-in), a built-in name, or a\n"
           "                     coding model file (lmc-exact-1/-2, made by 'lmc quantize')%s\n"
           "                     'auto': the built-in that codes the input's first window smallest\n"
           "                     (ties: the newest; 'interim*' snapshots and built-ins with an\n"
           "                     lmc-exact-2 twin NAME-x2 left out); the header records\n"
           "                     it, so decoding needs no -m. It codes that window once per built-in\n"
           "                     first (-v lists the sizes): +62-67%% CPU time on 10 KB files with\n"
           "                     three built-ins, +7.5%% on 100 KB (docs/DESIGN.md): not the default\n"
           "  --device SEL       cpu-ref, P.D or a name substring (see 'lmc devices'); default\n"
           "                     $LMC_DEVICE, else the first GPU, else PoCL's pthread device\n"
           "  -c, --stdout       write to stdout (keeps the input)\n"
           "  -o, --output FILE  write to FILE (one input only)\n"
           "  -f, --force        overwrite existing outputs; write %s data to a terminal\n"
           "  -k, --keep         keep the input (the default)\n"
           "  --rm               delete each input once its output is complete and synced\n"
           "  -q, --quiet        no progress and no summary\n"
           "  -v, --verbose      the model, the device and a summary line per file\n"
           "  --json             stdout holds only a JSON array, one object per input: input,\n"
           "                     output, ok, input_bytes, output_bytes, rate (coded / raw bytes),\n"
           "                     seconds, bytes_per_s (raw bytes), windows, stored_windows (windows\n"
           "                     the model could not shrink, kept as they are), or error (outputs\n"
           "                     must be files)\n",
           decompress ? "; default: the one the header names" : "",
           decompress ? "decompressed" : "compressed");
    if (decompress)
        printf("  -d, --decompress   (accepted: this is decompression)\n");
    else
        printf("  -W, --window BYTES window size (default: 2048, or the model's context if shorter)\n"
               "  -d, --decompress   decompress instead (as 'lmc decompress')\n");
    printf("  -h, --help         this help\n\n"
           "On a terminal, progress shows bytes done, bytes/s and the time left, and a summary line\n"
           "follows each file. Exit status: 0 success, 1 failure (a message names the file), 2 usage.\n");
}

/* What became of one input, for --json. */
typedef struct file_result {
    int ok;
    uint64_t in_bytes, out_bytes;
    uint64_t windows, stored_windows; /* the stream's windows, and those stored as they are */
    double seconds;
    char error[1024]; /* the message printed on stderr, without "lmc <what>: " */
} file_result;

static char g_message[1024]; /* the last error message, copied into the file's result */

/* Print "lmc <what>: <message>" on stderr, keep the message; @return CLI_EXIT_FAILURE. */
static int say(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int say(const char *what, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, args);
    va_end(args);
    fprintf(stderr, "lmc %s: %s\n", what, g_message);
    return CLI_EXIT_FAILURE;
}

/* Print "lmc <what>: <name>: <status>: <detail>" and return CLI_EXIT_FAILURE. */
static int report(const char *what, const char *name, lmc_status st) {
    const char *detail = lmc_last_error();
    if (st == LMC_ERR_IO && detail && detail[0]) /* the detail says it all ("X already exists") */
        return say(what, "%s: %s", name, detail);
    if (detail && detail[0]) return say(what, "%s: %s: %s", name, lmc_status_str(st), detail);
    return say(what, "%s: %s", name, lmc_status_str(st));
}

/* The output name derived from an input name; NULL (and a message) when there is none. */
static char *derive_output(const char *what, const char *in_path, int decompress) {
    size_t n = strlen(in_path);
    char *out = NULL;
    if (decompress) {
        if (n <= 4 || strcmp(in_path + n - 4, ".lmc") != 0 || in_path[n - 5] == '/') {
            say(what, "%s: no .lmc suffix; name the output with -o or use -c", in_path);
            return NULL;
        }
        out = strdup(in_path);
        if (out) out[n - 4] = '\0';
    } else {
        out = malloc(n + 5);
        if (out) snprintf(out, n + 5, "%s.lmc", in_path);
    }
    if (!out) say(what, "out of memory");
    return out;
}

static void print_summary(const coding_opts *o, const char *in_name, const char *out_name,
                          uint64_t in_bytes, uint64_t out_bytes, double secs, const file_result *r) {
    uint64_t raw = o->decompress ? out_bytes : in_bytes, coded = o->decompress ? in_bytes : out_bytes;
    char speed[32];
    cli_format_bytes(secs > 0 ? (double)raw / secs : 0, speed, sizeof speed);
    fprintf(stderr, "%s: %llu -> %llu bytes", in_name, (unsigned long long)in_bytes, (unsigned long long)out_bytes);
    if (raw) fprintf(stderr, " (%.2f%%, %.3f bits/byte)", 100.0 * (double)coded / (double)raw, 8.0 * (double)coded / (double)raw);
    fprintf(stderr, ", %.2f s, %s/s, %s", secs, speed, out_name);
    /* Windows the model could not shrink are stored as they are (codec/FORMAT.md §3). */
    if (r->stored_windows)
        fprintf(stderr, ", %llu of %llu windows stored", (unsigned long long)r->stored_windows,
                (unsigned long long)r->windows);
    fprintf(stderr, "\n");
}

/* One element of the --json array: names as given, byte counts, and for a success the rate
 * (coded / raw bytes, a fraction) and the speed over the raw bytes; else the error. */
static void print_json_row(const coding_opts *o, int k, const char *in_path, const char *out_path,
                           const file_result *r) {
    printf("%s\n  {\"input\": ", k ? "," : "");
    cli_json_string(stdout, in_path ? in_path : "-");
    printf(", \"output\": ");
    cli_json_string(stdout, out_path ? out_path : "-");
    printf(", \"ok\": %s", r->ok ? "true" : "false");
    if (!r->ok) {
        printf(", \"error\": ");
        cli_json_string(stdout, g_message);
    } else {
        uint64_t raw = o->decompress ? r->out_bytes : r->in_bytes, coded = o->decompress ? r->in_bytes : r->out_bytes;
        printf(", \"input_bytes\": %llu, \"output_bytes\": %llu, \"rate\": %.6f, \"seconds\": %.6f, "
               "\"bytes_per_s\": %.1f, \"windows\": %llu, \"stored_windows\": %llu",
               (unsigned long long)r->in_bytes, (unsigned long long)r->out_bytes, raw ? (double)coded / (double)raw : 0.0,
               r->seconds, r->seconds > 0 ? (double)raw / r->seconds : 0.0, (unsigned long long)r->windows,
               (unsigned long long)r->stored_windows);
    }
    printf("}");
}

/* Under mpirun with several ranks: one regular file coded by all of them (cli_dist_coding.h), rank 0
 * writing; a failure on any rank ends the whole job with its message (cli_dist_finish). */
static int dist_code_one(const coding_opts *o, const char *what, const char *in_path, const char *out_path,
                         lmc_device *device, const lmc_exact_model *enc_model, file_result *res, mode_t mode,
                         uint64_t total) {
    const int lead = cli_dist_rank() == 0;
    lmc_status st = LMC_OK;
    lmc_exact_model *dec_model = NULL;
    const lmc_exact_model *model = enc_model;
    cli_output out;
    cli_progress prog;
    cli_dist_coding_result r;
    memset(&out, 0, sizeof out);
    memset(&prog, 0, sizeof prog);
    /* rank 0 alone checks the output (another rank could see it appear once rank 0 has written
     * it) and every rank follows its answer */
    int refused = lead && (st = cli_output_check(out_path, o->force, in_path)) != LMC_OK;
    if (cli_dist_max_int(refused)) return lead ? report(what, in_path, st) : CLI_EXIT_OK;
    if (o->decompress) {
        FILE *f = fopen(in_path, "rb");
        cli_reader reader;
        if (!f) return say(what, "%s: %s", in_path, strerror(errno));
        cli_reader_init(&reader, f, 1);
        st = cli_open_decode_model(o->model_name, &reader, &dec_model);
        fclose(f);
        model = dec_model;
    }
    uint32_t W = 0;
    if (st == LMC_OK && !o->decompress) {
        int ctx = lmc_exact_model_get_config(model).context;
        W = o->window ? o->window : (ctx < 2048 ? (uint32_t)ctx : 2048u);
    }
    if (st == LMC_OK && lead) st = cli_output_open(&out, out_path, o->force, mode);
    cli_progress_start(&prog, lead && !o->quiet && isatty(STDERR_FILENO), in_path, total);
    double t0 = cli_now();
    if (st == LMC_OK)
        st = cli_dist_code_file(o->decompress, in_path, lead ? &out : NULL, model, device, W, lead ? &prog : NULL, &r);
    cli_progress_clear(&prog);
    if (st == LMC_OK && lead) st = cli_output_commit(&out);
    lmc_exact_model_destroy(dec_model);
    if (st != LMC_OK) {
        report(what, in_path, st);
        if (lead) cli_output_abort(&out);
        return cli_dist_finish(CLI_EXIT_FAILURE); /* aborts every rank */
    }
    if (!lead) return CLI_EXIT_OK;
    res->in_bytes = r.in_bytes;
    res->out_bytes = r.out_bytes;
    res->seconds = cli_now() - t0;
    res->windows = r.windows;
    res->stored_windows = r.stored_windows;
    if (o->rm && out_path && unlink(in_path) != 0)
        return say(what, "%s written, but %s could not be removed: %s", out_path, in_path, strerror(errno));
    if (!o->quiet && (o->verbose || isatty(STDERR_FILENO)))
        print_summary(o, in_path, out_path ? out_path : "stdout", r.in_bytes, r.out_bytes, res->seconds, res);
    return CLI_EXIT_OK;
}

/* Code one input (NULL: stdin) into out_path (NULL: stdout). @return an exit code. */
static int code_one(const coding_opts *o, const char *what, const char *in_path, const char *out_path,
                    lmc_device *device, const lmc_exact_model *enc_model, file_result *res) {
    const char *in_name = in_path ? in_path : "stdin";
    const char *out_name = out_path ? out_path : "stdout";
    int rc = CLI_EXIT_FAILURE;
    lmc_status st = LMC_OK;
    FILE *in = NULL;
    lmc_exact_model *dec_model = NULL, *auto_model = NULL;
    lmc_predictor *pred = NULL;
    lmc_encoder *enc = NULL;
    lmc_decoder *dec = NULL;
    uint8_t *buf = NULL;
    cli_output out;
    cli_progress prog;
    cli_reader reader;
    memset(&out, 0, sizeof out);
    memset(&prog, 0, sizeof prog);
    memset(&reader, 0, sizeof reader);
    uint64_t total = 0;
    mode_t mode = 0666;
    {
        mode_t mask = umask(0);
        umask(mask);
        mode &= ~mask;
    }

    if (in_path) {
        struct stat st_in;
        if (stat(in_path, &st_in) != 0) return say(what, "%s: %s", in_path, strerror(errno));
        if (S_ISDIR(st_in.st_mode)) return say(what, "%s is a folder; skipped", in_path);
        if (S_ISREG(st_in.st_mode)) {
            total = (uint64_t)st_in.st_size;
            mode = st_in.st_mode & 0777; /* like gzip and zstd: the output keeps the input's mode */
        }
    } else if (o->decompress && isatty(STDIN_FILENO) && !o->force) {
        return say(what, "stdin is a terminal, not compressed data (use -f to read it anyway)");
    }
    if (cli_dist_size() > 1) {
        struct stat st_reg;
        if (!in_path || stat(in_path, &st_reg) != 0 || !S_ISREG(st_reg.st_mode)) /* each rank reads its blocks */
            return say(what, "under mpirun with %d ranks the input must be a regular file, not %s", cli_dist_size(),
                       in_path ? in_path : "stdin");
        return dist_code_one(o, what, in_path, out_path, device, enc_model, res, mode, total);
    }
    if ((st = cli_output_check(out_path, o->force, in_path)) != LMC_OK) return report(what, in_name, st);
    in = in_path ? fopen(in_path, "rb") : stdin;
    if (!in) return say(what, "%s: %s", in_path, strerror(errno));
    buf = malloc(IO_CHUNK);
    if (!buf) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "I/O buffer");
        goto done;
    }
    cli_reader_init(&reader, in, o->decompress);
    const lmc_exact_model *model = enc_model;
    if (o->decompress) {
        if ((st = cli_open_decode_model(o->model_name, &reader, &dec_model)) != LMC_OK) goto done;
        model = dec_model;
    }
    size_t pre = 0; /* -m auto: the input's first bytes, read ahead to choose the model */
    if (!o->decompress && !model) {
        pre = fread(buf, 1, IO_CHUNK, in);
        if (ferror(in)) {
            st = lmc_set_error(LMC_ERR_IO, "read error: %s", strerror(errno));
            goto done;
        }
        cli_auto_choice choice;
        if ((st = cli_auto_pick(buf, pre, o->window, device, &auto_model, &choice)) != LMC_OK) goto done;
        model = auto_model;
        if (o->verbose) {
            char line[2048];
            cli_auto_describe(&choice, line, sizeof line);
            fprintf(stderr, "%s: %s\n", in_name, line);
        }
    }
    if ((st = cli_predictor_create(model, device, &pred)) != LMC_OK) goto done;
    if (o->decompress) {
        /* The header is checked (model id included) before any output exists. */
        st = lmc_decoder_create(pred, cli_reader_read, &reader, &dec);
        if (st == LMC_ERR_MODEL_MISMATCH) st = cli_model_mismatch(&reader, model, o->model_name);
        if (st) goto done;
    }
    if (o->verbose) {
        uint8_t id[LMC_MODEL_ID_SIZE];
        char hex[2 * LMC_MODEL_ID_SIZE + 1];
        lmc_exact_model_id(model, id);
        for (int i = 0; i < LMC_MODEL_ID_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", id[i]);
        const lmc_device_info *di = lmc_device_get_info(device);
        fprintf(stderr, "%s: model %s, device %s (%s %s)\n", in_name, hex, di->selector, di->platform, di->name);
    }
    if ((st = cli_output_open(&out, out_path, o->force, mode)) != LMC_OK) goto done;
    cli_progress_start(&prog, !o->quiet && isatty(STDERR_FILENO), in_name, total);
    double t0 = cli_now();
    uint64_t in_bytes = 0;
    lmc_codec_stats stats;
    memset(&stats, 0, sizeof stats);
    if (o->decompress) {
        size_t got = 0;
        do {
            if ((st = lmc_decoder_read(dec, buf, IO_CHUNK, &got)) != LMC_OK) goto done;
            if ((st = cli_output_write(&out, buf, got)) != LMC_OK) goto done;
            cli_progress_update(&prog, reader.consumed, out.written, got == 0);
        } while (got > 0);
        in_bytes = reader.consumed;
        lmc_decoder_stats(dec, &stats);
    } else {
        lmc_codec_params cp = lmc_codec_params_default();
        int ctx = lmc_exact_model_get_config(model).context;
        cp.window_size = o->window ? o->window : (ctx < (int)cp.window_size ? (uint32_t)ctx : cp.window_size);
        if ((st = lmc_encoder_create(&cp, pred, cli_output_write, &out, &enc)) != LMC_OK) goto done;
        size_t got = pre; /* the bytes -m auto read ahead come first */
        while (got > 0 || (got = fread(buf, 1, IO_CHUNK, in)) > 0) {
            /* Fed one window at a time, so that progress moves at every coded batch. */
            for (size_t at = 0; at < got; at += cp.window_size) {
                size_t k = got - at < cp.window_size ? got - at : cp.window_size;
                if ((st = lmc_encoder_write(enc, buf + at, k)) != LMC_OK) goto done;
                in_bytes += k;
                cli_progress_update(&prog, in_bytes, out.written, 0);
            }
            got = 0;
        }
        if (ferror(in)) {
            st = lmc_set_error(LMC_ERR_IO, "read error: %s", strerror(errno));
            goto done;
        }
        if ((st = lmc_encoder_finish(enc, &stats)) != LMC_OK) goto done;
        cli_progress_update(&prog, in_bytes, out.written, 1);
    }
    cli_progress_clear(&prog);
    if ((st = cli_output_commit(&out)) != LMC_OK) goto done;
    double secs = cli_now() - t0;
    rc = CLI_EXIT_OK;
    if (o->rm && in_path && out_path && unlink(in_path) != 0) {
        rc = say(what, "%s written, but %s could not be removed: %s", out_name, in_path, strerror(errno));
    }
    res->in_bytes = in_bytes;
    res->out_bytes = out.written;
    res->seconds = secs;
    res->windows = stats.n_windows;
    res->stored_windows = stats.stored_windows;
    if (!o->quiet && (o->verbose || isatty(STDERR_FILENO)))
        print_summary(o, in_name, out_name, in_bytes, out.written, secs, res);
done:
    cli_progress_clear(&prog);
    if (rc != CLI_EXIT_OK && st != LMC_OK) {
        report(what, in_name, st ? st : LMC_ERR_IO);
        cli_output_abort(&out);
        /* (--json excludes stdout output, so this second line never replaces a file's error) */
        if (out.is_stdout && out.written)
            say(what, "%s: the %llu bytes written to stdout are incomplete", in_name, (unsigned long long)out.written);
    }
    lmc_encoder_destroy(enc);
    lmc_decoder_destroy(dec);
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(dec_model);
    lmc_exact_model_destroy(auto_model);
    if (in && in != stdin) fclose(in);
    free(buf);
    return rc;
}

static int run(int argc, char **argv, int decompress) {
    enum { OPT_DEVICE = 1000, OPT_RM, OPT_JSON };
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'},  {"device", required_argument, NULL, OPT_DEVICE},
        {"stdout", no_argument, NULL, 'c'},       {"output", required_argument, NULL, 'o'},
        {"window", required_argument, NULL, 'W'}, {"force", no_argument, NULL, 'f'},
        {"keep", no_argument, NULL, 'k'},         {"rm", no_argument, NULL, OPT_RM},
        {"quiet", no_argument, NULL, 'q'},        {"verbose", no_argument, NULL, 'v'},
        {"decompress", no_argument, NULL, 'd'},   {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, OPT_JSON},
        {NULL, 0, NULL, 0}};
    coding_opts o;
    memset(&o, 0, sizeof o);
    o.decompress = decompress;
    long window = 0;
    int c, help = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:co:W:fkqvdh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model_name = optarg; break;
        case OPT_DEVICE: o.device_sel = optarg; break;
        case 'c': o.to_stdout = 1; break;
        case 'o': o.out_path = optarg; break;
        case 'W': {
            char *end = NULL;
            window = strtol(optarg, &end, 10);
            if (!*optarg || *end || window < 1 || window > (long)LMC_WINDOW_MAX)
                return cli_usage_error(decompress ? "decompress" : "compress", "bad window size '%s'", optarg);
            break;
        }
        case 'f': o.force = 1; break;
        case 'k': break; /* keeping the input is the default */
        case OPT_RM: o.rm = 1; break;
        case OPT_JSON: o.json = 1; break;
        case 'q': o.quiet = 1; o.verbose = 0; break;
        case 'v': o.verbose = 1; o.quiet = 0; break;
        case 'd': o.decompress = 1; break;
        case 'h': help = 1; break;
        case ':': return cli_usage_error(decompress ? "decompress" : "compress", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error(decompress ? "decompress" : "compress", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *what = o.decompress ? "decompress" : "compress";
    if (help) {
        print_help(o.decompress);
        return CLI_EXIT_OK;
    }
    if (window && o.decompress) return cli_usage_error(what, "-W is for compression (the file names its window size)");
    o.window = (uint32_t)window;
    int n_inputs = argc - optind;
    if (o.to_stdout && o.out_path) return cli_usage_error(what, "-c and -o exclude each other");
    if (o.out_path && n_inputs > 1) return cli_usage_error(what, "-o names one output; %d inputs given", n_inputs);
    /* .lmc streams do not concatenate (a reader wants the input to end after the trailer). */
    if (o.to_stdout && n_inputs > 1 && !o.decompress)
        return cli_usage_error(what, "-c with several inputs would write streams that cannot be decoded");
    int stdin_count = 0;
    for (int i = optind; i < argc; i++) stdin_count += strcmp(argv[i], "-") == 0;
    if (n_inputs == 0) stdin_count = 1;
    if (stdin_count > 1) return cli_usage_error(what, "stdin ('-') named more than once");
    int any_stdout = o.to_stdout || (stdin_count && !o.out_path);
    if (o.json && any_stdout) return cli_usage_error(what, "--json prints to stdout: name the output (FILE or -o)");
    if (any_stdout && !o.decompress && isatty(STDOUT_FILENO) && !o.force) {
        fprintf(stderr, "lmc %s: refusing to write compressed data to a terminal (use -o FILE, a pipe, or -f)\n", what);
        return CLI_EXIT_FAILURE;
    }

    cli_signals_install();
    int rc = CLI_EXIT_OK;
    lmc_device *device = NULL;
    lmc_exact_model *model = NULL;
    char dev_buf[256];
    lmc_status st = lmc_device_open(cli_dist_device(o.device_sel, dev_buf, sizeof dev_buf), &device);
    if (st != LMC_OK) {
        rc = cli_fail(what, st);
        goto done;
    }
    int auto_model = o.model_name && strcmp(o.model_name, "auto") == 0;
    if (auto_model && o.decompress) o.model_name = NULL; /* the header names the model */
    if (!o.decompress && !auto_model) { /* -m auto: chosen per input, in code_one() */
        st = lmc_exact_model_open(o.model_name ? o.model_name : "default", &model);
        if (st == LMC_OK && o.window && o.window > (uint32_t)lmc_exact_model_get_config(model).context) {
            rc = cli_usage_error(what, "-W %u exceeds the model's context of %d bytes", o.window,
                                 lmc_exact_model_get_config(model).context);
            goto done;
        }
        if (st != LMC_OK) {
            rc = report(what, o.model_name ? o.model_name : "default", st);
            goto done;
        }
    }
    const int lead = cli_dist_rank() == 0; /* under mpirun rank 0 alone prints results */
    if (o.json && lead) printf("[");
    for (int k = 0; k < (n_inputs ? n_inputs : 1); k++) {
        const char *in_path = n_inputs ? argv[optind + k] : NULL;
        if (in_path && strcmp(in_path, "-") == 0) in_path = NULL;
        char *derived = NULL;
        const char *out_path = o.to_stdout ? NULL : o.out_path;
        file_result res;
        memset(&res, 0, sizeof res);
        g_message[0] = '\0';
        if (!o.to_stdout && !out_path && in_path && !(derived = derive_output(what, in_path, o.decompress)))
            res.ok = 0;
        else
            res.ok = code_one(&o, what, in_path, derived ? derived : out_path, device, model, &res) == CLI_EXIT_OK;
        /* under mpirun rank 0 gives the job its status: a file skipped on every rank must not
         * end the job (MPI_Abort) from another rank while rank 0 still writes the next file */
        if (!res.ok && lead) rc = CLI_EXIT_FAILURE;
        if (o.json && lead) print_json_row(&o, k, in_path, derived ? derived : out_path, &res);
        free(derived);
    }
    if (o.json && lead) printf("\n]\n");
done:
    lmc_exact_model_destroy(model);
    lmc_device_destroy(device);
    return rc;
}

int cli_cmd_compress(int argc, char **argv) { return run(argc, argv, 0); }
int cli_cmd_decompress(int argc, char **argv) { return run(argc, argv, 1); }
