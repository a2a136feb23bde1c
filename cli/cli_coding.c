/* cli_coding.c : the shared pieces of `lmc compress` / `decompress` / `verify` (cli_coding.h):
 * header peeking and model choice, progress lines, and the atomic output file.
 * Key invariant: at most one temporary output exists at a time; its path sits in a static
 * buffer that the fatal-signal handler may read at any moment (it only calls unlink(),
 * sigaction() and raise(), all async-signal-safe), so Ctrl-C never leaves it behind. */
#define _POSIX_C_SOURCE 200809L
#include "cli_coding.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint8_t lmc_magic[8] = {0x89, 'L', 'M', 'C', 0x0D, 0x0A, 0x1A, 0x0A};

void cli_reader_init(cli_reader *r, FILE *in, int peek) {
    memset(r, 0, sizeof *r);
    r->in = in;
    if (peek) {
        /* fread stops early only at the end or on an error; a pipe's short reads are retried. */
        r->head_len = fread(r->head, 1, sizeof r->head, in);
        if (r->head_len < sizeof r->head && ferror(in)) r->error_no = errno;
    }
}

lmc_status cli_reader_read(void *user, void *data, size_t cap, size_t *got) {
    cli_reader *r = user;
    if (r->head_pos < r->head_len) {
        size_t k = r->head_len - r->head_pos;
        if (k > cap) k = cap;
        memcpy(data, r->head + r->head_pos, k);
        r->head_pos += k;
        r->consumed += k;
        *got = k;
        return LMC_OK;
    }
    if (r->error_no) return lmc_set_error(LMC_ERR_IO, "read error: %s", strerror(r->error_no));
    *got = fread(data, 1, cap, r->in);
    if (*got == 0 && ferror(r->in)) {
        r->error_no = errno;
        return lmc_set_error(LMC_ERR_IO, "read error: %s", strerror(errno));
    }
    r->consumed += *got;
    return LMC_OK;
}

int cli_reader_model_id(const cli_reader *r, uint8_t id[LMC_MODEL_ID_SIZE]) {
    if (r->head_len < 24 + LMC_MODEL_ID_SIZE || memcmp(r->head, lmc_magic, sizeof lmc_magic) != 0) return 0;
    memcpy(id, r->head + 24, LMC_MODEL_ID_SIZE);
    return 1;
}

lmc_status cli_open_decode_model(const char *model_name, const cli_reader *r, lmc_exact_model **out) {
    if (model_name) return lmc_exact_model_open(model_name, out);
    uint8_t id[LMC_MODEL_ID_SIZE];
    if (cli_reader_model_id(r, id)) return lmc_builtin_model_find_id(id, out);
    return lmc_exact_model_open("default", out);
}

static void hex_id(const uint8_t id[LMC_MODEL_ID_SIZE], char hex[2 * LMC_MODEL_ID_SIZE + 1]) {
    for (int i = 0; i < LMC_MODEL_ID_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

lmc_status cli_model_mismatch(const cli_reader *r, const lmc_exact_model *m, const char *model_name) {
    uint8_t need[LMC_MODEL_ID_SIZE], have[LMC_MODEL_ID_SIZE];
    char need_hex[2 * LMC_MODEL_ID_SIZE + 1], have_hex[2 * LMC_MODEL_ID_SIZE + 1];
    if (!cli_reader_model_id(r, need)) return LMC_ERR_MODEL_MISMATCH; /* keep the codec's detail */
    lmc_exact_model_id(m, have);
    hex_id(need, need_hex);
    hex_id(have, have_hex);
    return lmc_set_error(LMC_ERR_MODEL_MISMATCH,
                         "it was made with model %s, but -m %s is model %s; -m must name the model "
                         "the file needs (its coding model file, or a built-in name)",
                         need_hex, model_name ? model_name : "default", have_hex);
}

lmc_status cli_predictor_create(const lmc_exact_model *m, lmc_device *device, lmc_predictor **out) {
    lmc_exact_predictor_params pp = lmc_exact_predictor_params_default();
    pp.max_windows = CLI_PREDICTOR_MAX_WINDOWS;
    return lmc_exact_predictor_create(m, device, &pp, out);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_format_bytes(double bytes, char *out, size_t cap) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%.0f B", bytes);
    else
        snprintf(out, cap, "%.1f %s", bytes, units[u]);
}

void cli_progress_start(cli_progress *p, int enabled, const char *label, uint64_t total) {
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->label = label;
    p->total = total;
    p->t0 = p->last = cli_now();
}

void cli_progress_update(cli_progress *p, uint64_t done, uint64_t produced, int final) {
    if (!p->enabled) return;
    double now = cli_now();
    /* The first line after 0.25 s, not at once: the rate needs a coded batch behind it. */
    if (!final && now - p->last < 0.25) return;
    p->last = now;
    p->drawn = 1;
    double secs = now - p->t0, rate = secs > 0 ? (double)done / secs : 0;
    char d[32], t[32], o[32], s[32];
    cli_format_bytes((double)done, d, sizeof d);
    cli_format_bytes((double)produced, o, sizeof o);
    cli_format_bytes(rate, s, sizeof s);
    fprintf(stderr, "\r\033[K%.40s: %s", p->label, d);
    if (p->total) {
        cli_format_bytes((double)p->total, t, sizeof t);
        fprintf(stderr, " / %s (%.0f%%)", t, 100.0 * (double)done / (double)p->total);
    }
    fprintf(stderr, " -> %s, %s/s", o, s);
    if (p->total && rate > 0 && done <= p->total) {
        double eta = (double)(p->total - done) / rate;
        if (eta < 360000) fprintf(stderr, ", ETA %d:%02d:%02d", (int)eta / 3600, (int)eta / 60 % 60, (int)eta % 60);
    }
    fflush(stderr);
}

void cli_progress_clear(cli_progress *p) {
    if (p->enabled && p->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->drawn = 0;
}

/* ---- the temporary output and the fatal-signal handler ----------------------------------- */

static char g_tmp_path[4096];
static volatile sig_atomic_t g_tmp_armed;

static void on_fatal_signal(int sig) {
    if (g_tmp_armed) unlink(g_tmp_path);
    /* SA_RESETHAND restored the default action; the signal is blocked until we return, then
     * kills the process so that its parent sees the signal in the exit status. */
    raise(sig);
}

void cli_signals_install(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue; /* nohup */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(sigs[i], &sa, NULL);
    }
}

lmc_status cli_output_check(const char *path, int force, const char *in_path) {
    struct stat st, in_st;
    if (!path || stat(path, &st) != 0) return LMC_OK;
    LMC_RETURN_IF(S_ISDIR(st.st_mode), LMC_ERR_IO, "output %s is a folder", path);
    if (in_path && stat(in_path, &in_st) == 0)
        LMC_RETURN_IF(st.st_dev == in_st.st_dev && st.st_ino == in_st.st_ino, LMC_ERR_IO,
                      "output %s is the input itself", path);
    LMC_RETURN_IF(S_ISREG(st.st_mode) && !force, LMC_ERR_IO, "%s already exists; use -f to overwrite it", path);
    return LMC_OK;
}

lmc_status cli_output_open(cli_output *o, const char *path, int force, mode_t mode) {
    memset(o, 0, sizeof *o);
    o->force = force;
    if (!path) {
        o->f = stdout;
        o->is_stdout = 1;
        return LMC_OK;
    }
    o->path = path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* /dev/null, a FIFO, a terminal: nothing to rename; write in place. */
        o->f = fopen(path, "wb");
        LMC_RETURN_IF(!o->f, LMC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        o->in_place = 1;
        return LMC_OK;
    }
    LMC_TRY(cli_output_check(path, force, NULL));
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    g_tmp_armed = 0;
    int n = snprintf(g_tmp_path, sizeof g_tmp_path, "%.*s.%s.lmc-tmp-XXXXXX", dir_len, path, base);
    LMC_RETURN_IF(n < 0 || (size_t)n >= sizeof g_tmp_path, LMC_ERR_IO, "output name too long: %s", path);
    /* Armed before mkstemp() creates the file: a signal in between unlinks a name that does
     * not exist yet, which is harmless, instead of missing a file that does. */
    g_tmp_armed = 1;
    int fd = mkstemp(g_tmp_path);
    if (fd < 0) {
        int e = errno;
        g_tmp_armed = 0;
        return lmc_set_error(LMC_ERR_IO, "cannot create a temporary file next to %s: %s", path, strerror(e));
    }
    if (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        unlink(g_tmp_path);
        g_tmp_armed = 0;
        return lmc_set_error(LMC_ERR_IO, "cannot open %s: %s", g_tmp_path, strerror(e));
    }
    return LMC_OK;
}

lmc_status cli_output_write(void *user, const void *data, size_t n) {
    cli_output *o = user;
    if (n && fwrite(data, 1, n, o->f) != n)
        return lmc_set_error(LMC_ERR_IO, "write error on %s: %s", o->path ? o->path : "stdout", strerror(errno));
    o->written += n;
    return LMC_OK;
}

static void fsync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: the rename is durable where the file system allows */
        close(fd);
    }
}

lmc_status cli_output_commit(cli_output *o) {
    const char *name = o->path ? o->path : "stdout";
    if (o->is_stdout) {
        LMC_RETURN_IF(fflush(stdout) != 0, LMC_ERR_IO, "write error on stdout: %s", strerror(errno));
        return LMC_OK;
    }
    FILE *f = o->f;
    o->f = NULL;
    int failed = fflush(f) != 0 || (!o->in_place && fsync(fileno(f)) != 0);
    int e = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (o->in_place) {
        LMC_RETURN_IF(failed, LMC_ERR_IO, "write error on %s: %s", name, strerror(e));
        return LMC_OK;
    }
    if (failed) {
        unlink(g_tmp_path);
        g_tmp_armed = 0;
        return lmc_set_error(LMC_ERR_IO, "write error on %s: %s", name, strerror(e));
    }
    if (o->force) {
        if (rename(g_tmp_path, o->path) != 0) {
            e = errno;
            unlink(g_tmp_path);
            g_tmp_armed = 0;
            return lmc_set_error(LMC_ERR_IO, "cannot rename %s to %s: %s", g_tmp_path, name, strerror(e));
        }
    } else if (link(g_tmp_path, o->path) == 0) {
        /* link() never replaces: a file that appeared at the final name meanwhile is kept. */
        unlink(g_tmp_path);
    } else {
        e = errno;
        struct stat st;
        int exists = e == EEXIST || stat(o->path, &st) == 0;
        /* File systems without hard links: rename, after the check just made. */
        if (exists || rename(g_tmp_path, o->path) != 0) {
            if (!exists) e = errno;
            unlink(g_tmp_path);
            g_tmp_armed = 0;
            if (exists) return lmc_set_error(LMC_ERR_IO, "%s already exists; use -f to overwrite it", name);
            return lmc_set_error(LMC_ERR_IO, "cannot rename %s to %s: %s", g_tmp_path, name, strerror(e));
        }
    }
    g_tmp_armed = 0;
    fsync_parent(o->path);
    return LMC_OK;
}

void cli_output_abort(cli_output *o) {
    if (o->is_stdout) {
        fflush(stdout);
        return;
    }
    if (o->f) fclose(o->f);
    o->f = NULL;
    if (!o->in_place && g_tmp_armed) {
        unlink(g_tmp_path);
        g_tmp_armed = 0;
    }
}
