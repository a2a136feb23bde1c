/* main.c : the lmc program: global options and subcommand dispatch. Each subcommand lives in its
 * own cli/cmd_<name>.c and parses its own options; a new one adds one row to `commands`.
 * Under an MPI launcher (mpirun, srun) every process joins the job first (mpi_dist.h) and leaves
 * it after its command: a command failing on one rank aborts the whole job with its status. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mpi_dist.h"

static const cli_command commands[] = {
    {"devices", cli_cmd_devices, "list OpenCL devices and cpu-ref, with their selectors"},
    {"eval", cli_cmd_eval, "the paper's Table 1 protocol: compression rates on datasets"},
    {"bench", cli_cmd_bench, "speed benchmarks ('lmc bench codec --json')"},
    {"train", cli_cmd_train, "train a byte-level Transformer (cpu-ref or any OpenCL device)"},
    {"quantize", cli_cmd_quantize, "make the coding model (integer, exact everywhere) of a float model"},
    {"compress", cli_cmd_compress, "compress a file with a coding model into .lmc"},
    {"decompress", cli_cmd_decompress, "decompress a .lmc file (also 'lmc -d')"},
    {"verify", cli_cmd_verify, "decode a .lmc file on every device and check they all agree"},
};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void print_help(FILE *out) {
    fprintf(out,
            "lmc %s: lossless compression with byte-level Transformer language models,\n"
            "exact on every OpenCL device.\n\n"
            "Usage: lmc <command> [options]\n"
            "       lmc --version | --help\n\n"
            "Commands:\n",
            lmc_version_string());
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nRun 'lmc <command> --help' for a command's options.\n"
            "Environment: LMC_DEVICE sets the default device (see 'lmc devices --help').\n");
}

static int run_main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 || strcmp(first, "help") == 0) {
        if (strcmp(first, "help") == 0 && argc > 2) {
            for (size_t i = 0; i < n_commands; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char help_flag[] = "--help";
                    char *sub_argv[] = {argv[2], help_flag, NULL};
                    return commands[i].run(2, sub_argv);
                }
            fprintf(stderr, "lmc: unknown command '%s'. Run 'lmc --help' for the list.\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("lmc %s\n", lmc_version_string());
        return CLI_EXIT_OK;
    }
    /* zstd's habit: `lmc -d FILE.lmc` decompresses (argv[1] stands in for the command name). */
    if (strcmp(first, "-d") == 0 || strcmp(first, "--decompress") == 0) return cli_cmd_decompress(argc - 1, argv + 1);
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(first, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lmc: unknown command '%s'. Run 'lmc --help' for the list.\n", first);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv) {
    if (cli_dist_init(&argc, &argv) != 0) return CLI_EXIT_FAILURE;
    return cli_dist_finish(run_main(argc, argv));
}
