/* cli_common.c : error printing, JSON output, the PyTorch side of benchmarks and the data
 * folder, shared by the subcommands. */
#define _POSIX_C_SOURCE 200809L /* popen, access, stat */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mpi_dist.h"

int cli_fail(const char *what, lmc_status status) {
    const char *detail = lmc_last_error();
    if (detail && detail[0])
        fprintf(stderr, "lmc %s: %s: %s\n", what, lmc_status_str(status), detail);
    else
        fprintf(stderr, "lmc %s: %s\n", what, lmc_status_str(status));
    return CLI_EXIT_FAILURE;
}

int cli_one_process_only(const char *command, const char *why) {
    if (cli_dist_size() < 2) return 0;
    if (cli_dist_rank() == 0) {
        fprintf(stderr,
                "lmc %s: runs as one process (%s); under mpirun with %d ranks every rank would repeat it: "
                "run it without mpirun or with -np 1\n",
                command, why, cli_dist_size());
        fflush(stderr);
    }
    cli_dist_barrier(); /* the message is out before any rank's exit aborts the job */
    return CLI_EXIT_USAGE;
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

int cli_python_json(const char *script, const char *args, const char *key, double *value, char *note, size_t note_cap) {
    static const char *const pythons[] = {"/usr/bin/python3", "/usr/local/bin/python3"};
    const char *python = NULL;
    for (size_t i = 0; i < sizeof pythons / sizeof pythons[0] && !python; i++)
        if (access(pythons[i], X_OK) == 0) python = pythons[i];
    if (!python) {
        snprintf(note, note_cap, "no python3 (looked for /usr/bin/python3, /usr/local/bin/python3)");
        return -1;
    }
    char cmd[4096], line[4096] = "", pattern[128];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s", python, script, args);
    FILE *py = popen(cmd, "r");
    if (!py) {
        snprintf(note, note_cap, "could not run %s", cmd);
        return -1;
    }
    if (!fgets(line, sizeof line, py)) line[0] = '\0';
    int rc = pclose(py);
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    const char *k = strstr(line, pattern);
    if (rc != 0 || !k) {
        snprintf(note, note_cap, "the PyTorch side failed (exit %d; is torch installed?): %s", rc, cmd);
        return -1;
    }
    *value = strtod(k + strlen(pattern), NULL);
    return 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_user_data_dir(char *buf, size_t cap) {
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/') /* the XDG spec: a relative value is invalid and ignored */
        snprintf(buf, cap, "%s/lmc/data", xdg);
    else if (home && home[0])
        snprintf(buf, cap, "%s/.local/share/lmc/data", home);
    else
        return NULL;
    return buf;
}

const char *cli_data_dir(char *buf, size_t cap) {
    const char *env = getenv("LMC_DATA_DIR");
    if (env && env[0]) {
        if (is_dir(env)) return env;
        lmc_set_error(LMC_ERR_NOT_FOUND, "LMC_DATA_DIR=%s is not a folder", env);
        return NULL;
    }
    char user[2048];
    const char *user_dir = cli_user_data_dir(user, sizeof user);
    if (user_dir && is_dir(user_dir)) {
        snprintf(buf, cap, "%s", user_dir);
        return buf;
    }
    if (is_dir("../shared/data")) return "../shared/data";
#ifdef LMC_SOURCE_DIR
    snprintf(buf, cap, "%s/../shared/data", LMC_SOURCE_DIR);
    if (is_dir(buf)) return buf;
    lmc_set_error(LMC_ERR_NOT_FOUND,
                  "no data folder: set LMC_DATA_DIR or fetch the corpora with %s/scripts/fetch-data.sh "
                  "(tried %s, ../shared/data and %s)",
                  LMC_SOURCE_DIR, user_dir ? user_dir : "~/.local/share/lmc/data (HOME is unset)", buf);
#else
    (void)cap;
    lmc_set_error(LMC_ERR_NOT_FOUND,
                  "no data folder: set LMC_DATA_DIR or fetch the corpora with scripts/fetch-data.sh "
                  "(tried %s and ../shared/data)",
                  user_dir ? user_dir : "~/.local/share/lmc/data (HOME is unset)");
#endif
    return NULL;
}
