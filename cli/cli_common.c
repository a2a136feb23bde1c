/* cli_common.c : error printing and JSON output shared by the subcommands. */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cli_fail(const char *what, lmc_status status) {
    const char *detail = lmc_last_error();
    if (detail && detail[0])
        fprintf(stderr, "lmc %s: %s: %s\n", what, lmc_status_str(status), detail);
    else
        fprintf(stderr, "lmc %s: %s\n", what, lmc_status_str(status));
    return CLI_EXIT_FAILURE;
}

int cli_usage_error(const char *sub, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "lmc %s: ", sub);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\nTry 'lmc %s --help'.\n", sub);
    va_end(args);
    return CLI_EXIT_USAGE;
}

void cli_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*c < 0x20)
                fprintf(out, "\\u%04x", *c);
            else
                fputc(*c, out);
        }
    }
    fputc('"', out);
}
