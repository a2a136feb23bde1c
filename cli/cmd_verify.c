/* cmd_verify.c : `lmc verify FILE.lmc`: decode the file on each listed device (default: every
 * non-simulator device and cpu-ref), write the output nowhere, and print a device x result
 * table with the SHA-256 of the decoded bytes.
 * Key invariant: exit 0 only when every device decoded the whole stream with every CRC
 * matching and all devices' SHA-256 agree. Memory stays bounded for any file size: the
 * decoded bytes stream through a SHA-256 context, 64 KiB at a time. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_coding.h"

#define VERIFY_CHUNK (64u * 1024u)

typedef struct verify_row {
    const lmc_device_info *info;
    lmc_status status;
    char error[512];
    uint64_t bytes;
    double seconds;
    char sha[65];
} verify_row;

static void print_verify_help(void) {
    printf("Usage: lmc verify FILE.lmc [-m MODEL] [--devices LIST] [--json] [-q]\n\n"
           "Decode FILE.lmc on each listed device without writing the output anywhere and print a\n"
           "table: device, result (OK, or FAIL with the error), decoded bytes, seconds, bytes/s and\n"
           "the SHA-256 of the decoded bytes. Exit 0 only when every device decodes the file with\n"
           "all its CRCs matching and every device's SHA-256 is the same.\n\n"
           "Options:\n"
           "  -m, --model MODEL  the coding model (default: the built-in the header names)\n"
           "  --devices LIST     comma list of selectors (see 'lmc devices'); default 'all,cpu-ref'\n"
           "                     ('all': every device but simulators; name oclgrind to add it)\n"
           "  --json             stdout holds only a JSON object: file, model_id, ok, agree and\n"
           "                     one entry per device\n"
           "  -q, --quiet        no progress on the terminal\n"
           "  -h, --help         this help\n");
}

/* Decode `path` on `info`'s device into a SHA-256; fills row. */
static void verify_on(const char *path, const char *model_name, const lmc_device_info *info,
                      int progress, verify_row *row) {
    lmc_device *device = NULL;
    lmc_exact_model *model = NULL;
    lmc_predictor *pred = NULL;
    lmc_decoder *dec = NULL;
    uint8_t *buf = NULL;
    cli_reader reader;
    cli_progress prog;
    memset(&prog, 0, sizeof prog);
    lmc_sha256_ctx sha;
    lmc_sha256_init(&sha);
    row->info = info;
    lmc_status st = LMC_OK;
    FILE *in = fopen(path, "rb");
    if (!in) {
        st = lmc_set_error(LMC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    struct stat sb;
    uint64_t total = fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    buf = malloc(VERIFY_CHUNK);
    if (!buf) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "decode buffer");
        goto done;
    }
    cli_reader_init(&reader, in, 1);
    if ((st = cli_open_decode_model(model_name, &reader, &model)) != LMC_OK) goto done;
    if ((st = lmc_device_create(info, &device)) != LMC_OK) goto done;
    if ((st = cli_predictor_create(model, device, &pred)) != LMC_OK) goto done;
    double t0 = cli_now();
    st = lmc_decoder_create(pred, cli_reader_read, &reader, &dec);
    if (st == LMC_ERR_MODEL_MISMATCH) st = cli_model_mismatch(&reader, model, model_name);
    if (st) goto done;
    cli_progress_start(&prog, progress, info->selector, total);
    size_t got = 0;
    do {
        if ((st = lmc_decoder_read(dec, buf, VERIFY_CHUNK, &got)) != LMC_OK) goto done;
        lmc_sha256_update(&sha, buf, got);
        row->bytes += got;
        cli_progress_update(&prog, reader.consumed, row->bytes, got == 0);
    } while (got > 0);
    row->seconds = cli_now() - t0;
    uint8_t digest[32];
    lmc_sha256_final(&sha, digest);
    lmc_sha256_hex(digest, row->sha);
done:
    cli_progress_clear(&prog);
    row->status = st;
    if (st != LMC_OK) snprintf(row->error, sizeof row->error, "%s: %s", lmc_status_str(st), lmc_last_error());
    lmc_decoder_destroy(dec);
    lmc_exact_predictor_destroy(pred);
    lmc_device_destroy(device);
    lmc_exact_model_destroy(model);
    if (in) fclose(in);
    free(buf);
}

static void print_json(const char *path, const char *model_hex, const verify_row *rows, size_t n, int ok, int agree) {
    printf("{\"file\": ");
    cli_json_string(stdout, path);
    printf(", \"model_id\": ");
    cli_json_string(stdout, model_hex);
    printf(", \"ok\": %s, \"agree\": %s, \"devices\": [", ok ? "true" : "false", agree ? "true" : "false");
    for (size_t k = 0; k < n; k++) {
        const verify_row *r = &rows[k];
        printf("%s\n  {\"selector\": ", k ? "," : "");
        cli_json_string(stdout, r->info->selector);
        printf(", \"platform\": ");
        cli_json_string(stdout, r->info->platform);
        printf(", \"name\": ");
        cli_json_string(stdout, r->info->name);
        printf(", \"ok\": %s", r->status == LMC_OK ? "true" : "false");
        if (r->status != LMC_OK) {
            printf(", \"error\": ");
            cli_json_string(stdout, r->error);
        } else {
            printf(", \"bytes\": %llu, \"seconds\": %.6f, \"bytes_per_s\": %.1f, \"sha256\": \"%s\"",
                   (unsigned long long)r->bytes, r->seconds, r->seconds > 0 ? (double)r->bytes / r->seconds : 0.0,
                   r->sha);
        }
        printf("}");
    }
    printf("\n]}\n");
}

static void print_table(const verify_row *rows, size_t n) {
    printf("%-8s %-32s %-6s %12s %9s %12s  %s\n", "DEVICE", "NAME", "RESULT", "BYTES", "SECONDS", "BYTES/S", "SHA-256");
    for (size_t k = 0; k < n; k++) {
        const verify_row *r = &rows[k];
        const char *name = r->info->name; /* the platform is in `lmc devices` and --json */
        if (r->status == LMC_OK)
            printf("%-8s %-32.32s %-6s %12llu %9.3f %12.0f  %s\n", r->info->selector, name, "OK",
                   (unsigned long long)r->bytes, r->seconds, r->seconds > 0 ? (double)r->bytes / r->seconds : 0.0, r->sha);
        else
            printf("%-8s %-32.32s %-6s %s\n", r->info->selector, name, "FAIL", r->error);
    }
}

int cli_cmd_verify(int argc, char **argv) {
    enum { OPT_DEVICES = 1000, OPT_JSON };
    static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                         {"devices", required_argument, NULL, OPT_DEVICES},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *model_name = NULL, *devices_sel = "all,cpu-ref";
    int json = 0, quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_name = optarg; break;
        case OPT_DEVICES: devices_sel = optarg; break;
        case OPT_JSON: json = 1; break;
        case 'q': quiet = 1; break;
        case 'h': print_verify_help(); return CLI_EXIT_OK;
        case ':': return cli_usage_error("verify", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("verify", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) return cli_usage_error("verify", "name one FILE.lmc");
    if (cli_one_process_only("verify", "it decodes the file once on each device of this machine"))
        return CLI_EXIT_USAGE;
    const char *path = argv[optind];

    int rc = CLI_EXIT_FAILURE;
    lmc_device_info *list = NULL;
    size_t count = 0, n = 0, *picked = NULL;
    verify_row *rows = NULL;
    lmc_status st = lmc_devices_list(&list, &count);
    if (st != LMC_OK) return cli_fail("verify", st);
    picked = calloc(count, sizeof *picked);
    rows = calloc(count, sizeof *rows);
    if (!picked || !rows) {
        rc = cli_fail("verify", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "device table"));
        goto done;
    }
    if ((st = lmc_devices_select_many(list, count, devices_sel, picked, count, &n)) != LMC_OK) {
        rc = cli_fail("verify", st);
        goto done;
    }
    /* The model id for the report: from the header (the decoders check it against the model). */
    char model_hex[2 * LMC_MODEL_ID_SIZE + 1] = "";
    {
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "lmc verify: %s: %s\n", path, strerror(errno));
            goto done;
        }
        cli_reader r;
        cli_reader_init(&r, f, 1);
        fclose(f);
        uint8_t id[LMC_MODEL_ID_SIZE];
        if (cli_reader_model_id(&r, id))
            for (int i = 0; i < LMC_MODEL_ID_SIZE; i++) snprintf(model_hex + 2 * i, 3, "%02x", id[i]);
    }
    int progress = !quiet && isatty(STDERR_FILENO);
    int ok = 1, agree = 1;
    for (size_t k = 0; k < n; k++) {
        verify_row *r = &rows[k];
        verify_on(path, model_name, &list[picked[k]], progress, r);
        if (r->status != LMC_OK) ok = 0;
        if (r->status == LMC_OK && k > 0)
            for (size_t j = 0; j < k; j++)
                if (rows[j].status == LMC_OK && strcmp(rows[j].sha, r->sha) != 0) agree = 0;
    }
    if (json) {
        print_json(path, model_hex, rows, n, ok, agree);
    } else {
        print_table(rows, n);
        if (ok && agree)
            printf("%s: all %zu devices decode it to the same %llu bytes (CRCs matched)\n", path, n,
                   (unsigned long long)(n ? rows[0].bytes : 0));
        else
            printf("%s: FAILED: %s\n", path, !ok ? "a device could not decode it" : "the devices disagree");
    }
    for (size_t k = 0; k < n; k++)
        if (rows[k].status != LMC_OK) fprintf(stderr, "lmc verify: %s: %s: %s\n", path, rows[k].info->selector, rows[k].error);
    if (!agree) fprintf(stderr, "lmc verify: %s: the devices' SHA-256 of the decoded bytes differ\n", path);
    rc = ok && agree && n > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
done:
    free(rows);
    free(picked);
    lmc_devices_free(list);
    return rc;
}
