/* cmd_quantize.c : `lmc quantize FLOAT_MODEL -o CODING_MODEL`: make the coding model (integer
 * weights and tables, lmc-exact-2 unless --format says lmc-exact-1) of a float model once; coding then never reads the float one.
 * The output is written atomically; the model id is printed (or given in --json). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_quantize_help(void) {
    printf("Usage: lmc quantize FLOAT_MODEL -o CODING_MODEL [--format lmc-exact-2|lmc-exact-1] [--json]\n\n"
           "Make the coding model (int16 weights with per-column requantisation, Q12 activations,\n"
           "exp and gelu tables) of a float model (lmc-float-1) for exact coding on every device.\n"
           "Prints the model id, the SHA-256 that .lmc headers carry. Format lmc-exact-2 (the\n"
           "default) takes every product's operands as int16 (activations on a 1/512 grid, attention\n"
           "weights Q15), which vector units and GPUs multiply in pairs; lmc-exact-1 keeps Q12\n"
           "operands and 64-bit products. Both decode everywhere; the file records its format.\n\n"
           "Options:\n"
           "  -o, --output FILE  the coding model to write (atomically)\n"
           "  --format NAME      lmc-exact-2 (default) or lmc-exact-1\n"
           "  --json             print {\"model_id\": ..., \"bytes\": ...} on stdout\n"
           "  -h, --help         this help\n");
}

int cli_cmd_quantize(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out_path = NULL;
    int json = 0, c, version = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'j': json = 1; break;
        case 'f':
            if (strcmp(optarg, LMC_EXACT_FORMAT_2) == 0) version = 2;
            else if (strcmp(optarg, LMC_EXACT_FORMAT) == 0) version = 1;
            else return cli_usage_error("quantize", "--format: lmc-exact-2 or lmc-exact-1");
            break;
        case 'h': print_quantize_help(); return CLI_EXIT_OK;
        default: return cli_usage_error("quantize", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("quantize", "expected one FLOAT_MODEL");
    if (!out_path) return cli_usage_error("quantize", "-o CODING_MODEL is required");
    lmc_model *fm = NULL;
    lmc_exact_model *em = NULL;
    lmc_status st = lmc_model_load(argv[optind], &fm);
    if (st == LMC_OK) st = lmc_exact_quantize_format(fm, version, &em);
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
        printf("{\"model_id\": \"%s\", \"output\": \"%s\", \"format\": \"%s\"}\n", hex, out_path,
               version == 2 ? LMC_EXACT_FORMAT_2 : LMC_EXACT_FORMAT);
    else
        printf("%s: model id %s (%s)\n", out_path, hex, version == 2 ? LMC_EXACT_FORMAT_2 : LMC_EXACT_FORMAT);
    lmc_model_destroy(fm);
    lmc_exact_model_destroy(em);
    return CLI_EXIT_OK;
}
