/* train_data.c : --data / --eval-data of `lmc train` into bytes (the rules are in train_data.h).
 * Plain paths are read here, as `lmc train` always read them; KIND:PATH goes through
 * lmc_dataset_open, the reader `lmc eval` uses, so training and evaluation see the same stream.
 * It does not sample windows: it only says where they may start (align). */
#define _POSIX_C_SOURCE 200809L
#include "train_data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "lmc/data.h"

static int reserve(cli_train_data *b, size_t extra, const char *what) {
    if (b->cap - b->n >= extra) return 0;
    size_t cap = b->cap ? b->cap : (1u << 20);
    while (cap - b->n < extra) cap *= 2;
    unsigned char *q = realloc(b->p, cap);
    if (!q) {
        fprintf(stderr, "lmc train: out of memory reading %s\n", what);
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

static int append_file(cli_train_data *b, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "lmc train: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (reserve(b, 65536, path)) {
            fclose(f);
            return -1;
        }
        size_t k = fread(b->p + b->n, 1, b->cap - b->n, f);
        b->n += k;
        if (k == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) fprintf(stderr, "lmc train: cannot read %s\n", path);
    return bad ? -1 : 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file of a folder in sorted name order. */
static int append_path(cli_train_data *b, const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "lmc train: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return append_file(b, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "lmc train: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char **q = realloc(names, (n + 1) * sizeof *names);
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!q || !full) {
            free(q ? NULL : full);
            if (q) names = q;
            free(full);
            rc = -1;
            break;
        }
        names = q;
        snprintf(full, len, "%s/%s", path, e->d_name);
        names[n++] = full;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat fs;
        if (rc == 0 && stat(names[i], &fs) == 0 && S_ISREG(fs.st_mode)) rc = append_file(b, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* The length of a "word:" prefix of lowercase letters (0 if none). */
static size_t kind_prefix(const char *arg) {
    size_t k = 0;
    while (arg[k] >= 'a' && arg[k] <= 'z') k++;
    return k > 0 && arg[k] == ':' ? k : 0;
}

/* What `arg` names: SPEC_PLAIN, SPEC_TEXT, SPEC_IMAGE, SPEC_AUDIO, or SPEC_BAD (a message
 * printed). A plain path: no KIND: prefix, or a file that exists under exactly that name (so that
 * a file called "notes:2024" still reads as it always did). */
enum { SPEC_BAD = -1, SPEC_PLAIN = 0, SPEC_TEXT, SPEC_IMAGE, SPEC_AUDIO };

static int spec_kind(const char *opt, const char *arg) {
    size_t k = kind_prefix(arg);
    struct stat st;
    if (!k || stat(arg, &st) == 0) return SPEC_PLAIN;
    int kind = k == 4 && strncmp(arg, "text", 4) == 0    ? SPEC_TEXT
               : k == 5 && strncmp(arg, "image", 5) == 0 ? SPEC_IMAGE
               : k == 5 && strncmp(arg, "audio", 5) == 0 ? SPEC_AUDIO
                                                         : SPEC_BAD;
    if (kind == SPEC_BAD)
        cli_usage_error(
            "train", "%s '%s': unknown data kind '%.*s' (text:PATH, image:PATH, audio:PATH or a plain PATH)",
            opt, arg, (int)k, arg);
    else if (!arg[k + 1]) {
        cli_usage_error("train", "%s '%s': the path after ':' is missing", opt, arg);
        kind = SPEC_BAD;
    }
    return kind;
}

int cli_train_data_check(const char *opt, const char *const *args, size_t n) {
    int plain = 0, chunked = 0;
    for (size_t i = 0; i < n; i++) {
        int kind = spec_kind(opt, args[i]);
        if (kind == SPEC_BAD) return CLI_EXIT_USAGE;
        plain |= kind == SPEC_PLAIN;
        chunked |= kind == SPEC_IMAGE || kind == SPEC_AUDIO;
    }
    if (plain && chunked)
        return cli_usage_error("train",
                               "%s: a plain path cannot join image: or audio: data, whose windows start at "
                               "%u-byte chunk boundaries; give it as text:PATH",
                               opt, LMC_CHUNK_BYTES);
    return 0;
}

int cli_train_data_add(cli_train_data *d, const char *opt, const char *arg) {
    int kind = spec_kind(opt, arg);
    if (kind == SPEC_BAD) return CLI_EXIT_USAGE;
    if (kind == SPEC_PLAIN) {
        d->n_plain++;
        return append_path(d, arg) ? CLI_EXIT_FAILURE : 0;
    }
    lmc_dataset *ds = NULL;
    lmc_status st_open = lmc_dataset_open(arg, NULL, &ds);
    if (st_open == LMC_ERR_INVALID_ARGUMENT) return cli_usage_error("train", "%s: %s", opt, lmc_last_error());
    if (st_open != LMC_OK) {
        char what[64];
        snprintf(what, sizeof what, "train %s", opt);
        return cli_fail(what, st_open);
    }
    size_t bytes = lmc_dataset_chunk_count(ds) * LMC_CHUNK_BYTES;
    int rc = 0;
    if (bytes == 0) {
        fprintf(stderr, "lmc train: %s %s: no whole %u-byte chunk in the data (%zu files read)\n", opt, arg,
                LMC_CHUNK_BYTES, lmc_dataset_file_count(ds));
        rc = CLI_EXIT_FAILURE;
    } else if (reserve(d, bytes, arg)) {
        rc = CLI_EXIT_FAILURE;
    } else {
        memcpy(d->p + d->n, lmc_dataset_bytes(ds), bytes);
        d->n += bytes;
        d->n_kind++;
        if (kind != SPEC_TEXT) d->n_chunked++;
    }
    lmc_dataset_destroy(ds);
    return rc;
}

int cli_train_data_finish(cli_train_data *d, const char *opt) {
    d->align = 1;
    if (!d->n_chunked) return 0;
    if (d->n_plain)
        return cli_usage_error("train",
                               "%s: a plain path cannot join image: or audio: data, whose windows start at "
                               "%u-byte chunk boundaries; give it as text:PATH",
                               opt, LMC_CHUNK_BYTES);
    d->align = LMC_CHUNK_BYTES;
    return 0;
}

void cli_train_data_free(cli_train_data *d) {
    free(d->p);
    memset(d, 0, sizeof *d);
}
