/* cli.h : what the lmc subcommands share. cli/ is the only code that prints for the user or
 * exits (DESIGN.md §1); everything else reports through lmc_status. */
#ifndef LMC_CLI_H
#define LMC_CLI_H

#include <stdio.h>

#include "lmc/lmc.h"

/* Exit codes: 0 success, 1 failure, 2 bad usage (the habit of grep, zstd and xz). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
    const char *summary;
} cli_command;

/* cli_fail() : print "lmc <what>: <status text>: <detail>" to stderr; return CLI_EXIT_FAILURE. */
int cli_fail(const char *what, lmc_status status);

/* cli_usage_error() : print "lmc <sub>: <message>" and the hint to run --help; return 2. */
int cli_usage_error(const char *sub, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* cli_one_process_only() : 0 in a job of one process; under mpirun with several ranks, rank 0
 * prints "lmc <command>: runs as one process ..." with `why`, every rank waits until it has, and
 * CLI_EXIT_USAGE is returned on every rank (the job then exits 2). For the commands that would
 * only repeat the same work on every rank (docs/scale-out.md). */
int cli_one_process_only(const char *command, const char *why);

/* cli_json_string() : write `s` as a JSON string literal, escaped. */
void cli_json_string(FILE *out, const char *s);

/* cli_python_json() : run `python3 SCRIPT ARGS` (args already quoted for the shell) and read
 * the number after "KEY": in the first line it prints. @return 0, or -1 with a reason in note
 * (no python3, the script failed, e.g. without torch): benchmarks skip their PyTorch side then. */
int cli_python_json(const char *script, const char *args, const char *key, double *value, char *note, size_t note_cap);

/* cli_data_dir() : the corpora folder: $LMC_DATA_DIR when set (NULL if it is not a folder); else
 * the user's data folder (cli_user_data_dir) if it exists; else the development fallback
 * ../shared/data relative to the current folder, else ../shared/data beside the source tree.
 * buf (cap bytes) may hold the path returned; NULL, with the error recorded, when none is a folder. */
const char *cli_data_dir(char *buf, size_t cap);

/* cli_user_data_dir() : where scripts/fetch-data.sh puts the corpora when LMC_DATA_DIR is unset:
 * $XDG_DATA_HOME/lmc/data when XDG_DATA_HOME is an absolute path, else $HOME/.local/share/lmc/data;
 * written to buf. NULL when neither variable gives a path. Whether it exists is not checked. */
const char *cli_user_data_dir(char *buf, size_t cap);

/* Subcommands. */
int cli_cmd_devices(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);
int cli_bench_coding(int argc, char **argv); /* `lmc bench coding`, cli/cmd_bench_coding.c */
int cli_cmd_train(int argc, char **argv);
int cli_cmd_quantize(int argc, char **argv);
int cli_cmd_compress(int argc, char **argv);
int cli_cmd_decompress(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);

#endif /* LMC_CLI_H */
