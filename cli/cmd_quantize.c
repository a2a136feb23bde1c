/* cmd_quantize.c : `lmc quantize FLOAT_MODEL -o CODING_MODEL`: make the coding model (integer
 * weights and tables, lmc-exact-1) of a float model once; coding then never reads the float one.
 * The output is written atomically; the model id is printed (or given in --json). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_quantize_help(void) {
    printf("Usage: lmc quantize FLOAT_MODEL -o CODING_MODEL [--json]\n\n"
           "Make the coding model (format lmc-exact-1: int16 weights with per-column requantisation,\n"
           "Q12 activations, exp and gelu tables) of a float model (lmc-float-1) for exact coding\n"
           "on every device. Prints the model id, the SHA-256 that .lmc headers carry.\n\n"
           "Options:\n"
           "  -o, --output FILE  the coding model to write (atomically)\n"
           "  --json             print {\"model_id\": ..., \"bytes\": ...} on stdout\n"
           "  -h, --help         this help\n");
}

int cli_cmd_quantize(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out_path = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'j': json = 1; break;
        case 'h': print_quantize_help(); return CLI_EXIT_OK;
        default: return cli_usage_error("quantize", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("quantize", "expected one FLOAT_MODEL");
    if (!out_path) return cli_usage_error("quantize", "-o CODING_MODEL is required");
    lmc_model *fm = NULL;
    lmc_exact_model *em = NULL;
    lmc_status st = lmc_model_load(argv[optind], &fm);
    if (st == LMC_OK) st = lmc_exact_quantize(fm, &em);
    if (st == LMC_OK) st = lmc_exact_model_save(em, out_path);
    if (st != LMC_OK) {
        lmc_model_destroy(fm);
        lmc_exact_model_destroy(em);
        return cli_fail("quantize", st);
    }
    uint8_t id[LMC_MODEL_ID_SIZE];
    char hex[65];
    lmc_exact_model_id(em, id);
    lmc_sha256_hex(id, hex);
    if (json)
        printf("{\"model_id\": \"%s\", \"output\": \"%s\"}\n", hex, out_path);
    else
        printf("%s: model id %s\n", out_path, hex);
    lmc_model_destroy(fm);
    lmc_exact_model_destroy(em);
    return CLI_EXIT_OK;
}
