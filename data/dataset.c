/* dataset.c : `text:PATH`, `image:PATH`, `audio:PATH`, `random:N` -> whole 2048-byte chunks in a
 * fixed order, plus the paper's 7-bit masking (DESIGN.md §6; the rules are in include/lmc/data.h).
 *
 * Invariant: the chunk sequence is a pure function of (spec, params, file contents): folders are
 * walked recursively with names sorted by strcmp, each file contributes its whole chunks only,
 * and reading stops as soon as max_chunks chunks are held. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lmc/data.h"

struct lmc_dataset {
    lmc_data_kind kind;
    uint8_t *bytes; /* n_chunks * 2048 */
    size_t n_chunks, cap_chunks;
    size_t n_files;
    lmc_dataset_params params;
};

const char *lmc_data_kind_str(lmc_data_kind kind) {
    switch (kind) {
    case LMC_DATA_TEXT: return "text";
    case LMC_DATA_IMAGE: return "image";
    case LMC_DATA_AUDIO: return "audio";
    case LMC_DATA_RANDOM: return "random";
    }
    return "unknown";
}

lmc_dataset_params lmc_dataset_params_default(void) {
    lmc_dataset_params p;
    memset(&p, 0, sizeof p);
    return p;
}

void lmc_random_fill(uint8_t *dst, size_t n, uint64_t seed) {
    uint64_t state = seed;
    for (size_t i = 0; i < n; i += 8) {
        /* splitmix64 (Steele, Lea, Flood 2014) */
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (size_t b = 0; b < 8 && i + b < n; b++) dst[i + b] = (uint8_t)(z >> (8 * b));
    }
}

void lmc_mask7_apply(lmc_data_kind kind, uint8_t *bytes, size_t n) {
    if (kind == LMC_DATA_TEXT)
        for (size_t i = 0; i < n; i++) bytes[i] &= 0x7Fu;
    else
        for (size_t i = 0; i < n; i++) bytes[i] >>= 1;
}

double lmc_mask_scale(unsigned bits, unsigned masked_bits) {
    if (masked_bits >= bits) return 0.0;
    return (double)bits / (double)(bits - masked_bits);
}

static int dataset_full(const lmc_dataset *ds) {
    return ds->params.max_chunks && ds->n_chunks >= ds->params.max_chunks;
}

/* Room for `extra` more chunks (after the max_chunks cap); returns how many fit. */
static lmc_status reserve_chunks(lmc_dataset *ds, size_t extra, size_t *fit) {
    if (ds->params.max_chunks && extra > ds->params.max_chunks - ds->n_chunks)
        extra = ds->params.max_chunks - ds->n_chunks;
    *fit = extra;
    if (ds->n_chunks + extra <= ds->cap_chunks) return LMC_OK;
    size_t cap = ds->cap_chunks ? ds->cap_chunks : 64;
    while (cap < ds->n_chunks + extra) cap *= 2;
    uint8_t *p = realloc(ds->bytes, cap * LMC_CHUNK_BYTES);
    LMC_RETURN_IF(!p, LMC_ERR_OUT_OF_MEMORY, "dataset: out of memory for %zu chunks", cap);
    ds->bytes = p;
    ds->cap_chunks = cap;
    return LMC_OK;
}

/* Append the whole chunks of a byte stream (its tail shorter than a chunk is dropped). */
static lmc_status append_stream(lmc_dataset *ds, const uint8_t *src, size_t n) {
    size_t fit = 0;
    LMC_TRY(reserve_chunks(ds, n / LMC_CHUNK_BYTES, &fit));
    if (fit) memcpy(ds->bytes + ds->n_chunks * LMC_CHUNK_BYTES, src, fit * LMC_CHUNK_BYTES);
    ds->n_chunks += fit;
    return LMC_OK;
}

static lmc_status read_text(lmc_dataset *ds, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return lmc_set_error(LMC_ERR_NOT_FOUND, "%s: cannot open: %s", path, strerror(errno));
    uint8_t chunk[LMC_CHUNK_BYTES];
    lmc_status status = LMC_OK;
    while (!dataset_full(ds)) {
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got < sizeof chunk) {
            if (ferror(f)) status = lmc_set_error(LMC_ERR_IO, "%s: read error", path);
            break;
        }
        status = append_stream(ds, chunk, sizeof chunk);
        if (status != LMC_OK) break;
    }
    fclose(f);
    return status;
}

static lmc_status read_image(lmc_dataset *ds, const char *path) {
    uint8_t *gray = NULL;
    uint32_t w = 0, h = 0;
    LMC_TRY(lmc_image_load_gray(path, &gray, &w, &h));
    size_t want = (size_t)(h / LMC_PATCH_ROWS) * (w / LMC_PATCH_COLS), fit = 0, got = 0;
    lmc_status status = reserve_chunks(ds, want, &fit);
    if (status == LMC_OK && fit == want) {
        status = lmc_image_patches(gray, w, h, ds->bytes + ds->n_chunks * LMC_CHUNK_BYTES,
                                   fit * LMC_CHUNK_BYTES, &got);
        if (status == LMC_OK) ds->n_chunks += got;
    } else if (status == LMC_OK && fit > 0) {
        /* max_chunks cuts this image: cut all of it, keep the first `fit` patches */
        uint8_t *tmp = malloc(want * LMC_CHUNK_BYTES);
        if (!tmp) {
            status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        } else {
            status = lmc_image_patches(gray, w, h, tmp, want * LMC_CHUNK_BYTES, &got);
            if (status == LMC_OK) {
                memcpy(ds->bytes + ds->n_chunks * LMC_CHUNK_BYTES, tmp, fit * LMC_CHUNK_BYTES);
                ds->n_chunks += fit;
            }
            free(tmp);
        }
    }
    free(gray);
    return status;
}

static lmc_status read_audio(lmc_dataset *ds, const char *path) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    LMC_TRY(lmc_audio_load_bytes(path, &bytes, &n));
    lmc_status status = append_stream(ds, bytes, n);
    free(bytes);
    return status;
}

static int has_suffix_ci(const char *name, const char *suffix) {
    size_t n = strlen(name), m = strlen(suffix);
    if (n < m) return 0;
    for (size_t i = 0; i < m; i++) {
        char a = name[n - m + i], b = suffix[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

/* Whether a file met while walking a folder belongs to the dataset. A file named directly is
 * always read. */
static int wanted_in_folder(lmc_data_kind kind, const char *name) {
    if (name[0] == '.') return 0;
    switch (kind) {
    case LMC_DATA_IMAGE: return has_suffix_ci(name, ".png");
    case LMC_DATA_AUDIO: return has_suffix_ci(name, ".flac") || has_suffix_ci(name, ".wav");
    default: return 1;
    }
}

static lmc_status read_file(lmc_dataset *ds, const char *path) {
    ds->n_files++;
    switch (ds->kind) {
    case LMC_DATA_TEXT: return read_text(ds, path);
    case LMC_DATA_IMAGE: return read_image(ds, path);
    case LMC_DATA_AUDIO: return read_audio(ds, path);
    case LMC_DATA_RANDOM: break;
    }
    return lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "%s: random data has no files", path);
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static lmc_status walk(lmc_dataset *ds, const char *path, int depth) {
    struct stat st;
    if (stat(path, &st) != 0)
        return lmc_set_error(LMC_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return read_file(ds, path);
    LMC_RETURN_IF(depth > 32, LMC_ERR_INVALID_ARGUMENT, "%s: folders nested too deep", path);
    DIR *dir = opendir(path);
    if (!dir) return lmc_set_error(LMC_ERR_IO, "%s: cannot open folder: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    lmc_status status = LMC_OK;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ., .. and dot files */
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **p = realloc(names, ncap * sizeof *p);
            if (!p) {
                status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
                break;
            }
            names = p;
            cap = ncap;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
            break;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(dir);
    if (status == LMC_OK) qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n && status == LMC_OK && !dataset_full(ds); i++) {
        if (stat(names[i], &st) != 0) {
            status = lmc_set_error(LMC_ERR_NOT_FOUND, "%s: %s", names[i], strerror(errno));
            break;
        }
        const char *base = strrchr(names[i], '/') + 1;
        if (S_ISDIR(st.st_mode))
            status = walk(ds, names[i], depth + 1);
        else if (S_ISREG(st.st_mode) && wanted_in_folder(ds->kind, base))
            status = read_file(ds, names[i]);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return status;
}

/* random:N with N bytes, optionally with a k/M/G suffix (powers of 1024). */
static lmc_status parse_size(const char *text, size_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    LMC_RETURN_IF(end == text || errno != 0 || text[0] == '-', LMC_ERR_INVALID_ARGUMENT,
                  "random:%s: N must be a byte count such as 1048576 or 1M", text);
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K') mult = 1ull << 10, end++;
    else if (*end == 'm' || *end == 'M') mult = 1ull << 20, end++;
    else if (*end == 'g' || *end == 'G') mult = 1ull << 30, end++;
    LMC_RETURN_IF(*end != '\0' || v > (1ull << 40) / mult, LMC_ERR_INVALID_ARGUMENT,
                  "random:%s: N must be a byte count such as 1048576 or 1M (at most 1T)", text);
    *out = (size_t)(v * mult);
    return LMC_OK;
}

lmc_status lmc_dataset_open(const char *spec, const lmc_dataset_params *params, lmc_dataset **out) {
    LMC_RETURN_IF(!spec || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_dataset_open: NULL argument");
    *out = NULL;
    static const struct {
        const char *prefix;
        lmc_data_kind kind;
    } kinds[] = {{"text:", LMC_DATA_TEXT},
                 {"image:", LMC_DATA_IMAGE},
                 {"audio:", LMC_DATA_AUDIO},
                 {"random:", LMC_DATA_RANDOM}};
    const char *arg = NULL;
    lmc_data_kind kind = LMC_DATA_TEXT;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
            arg = spec + strlen(kinds[i].prefix);
            kind = kinds[i].kind;
        }
    LMC_RETURN_IF(!arg, LMC_ERR_INVALID_ARGUMENT,
                  "dataset '%s': expected text:PATH, image:PATH, audio:PATH or random:N", spec);
    LMC_RETURN_IF(!arg[0], LMC_ERR_INVALID_ARGUMENT, "dataset '%s': the %s after ':' is missing",
                  spec, kind == LMC_DATA_RANDOM ? "byte count" : "path");
    lmc_dataset *ds = calloc(1, sizeof *ds);
    LMC_RETURN_IF(!ds, LMC_ERR_OUT_OF_MEMORY, "dataset: out of memory");
    ds->kind = kind;
    ds->params = params ? *params : lmc_dataset_params_default();
    lmc_status status = LMC_OK;
    if (kind == LMC_DATA_RANDOM) {
        size_t n = 0, fit = 0;
        status = parse_size(arg, &n);
        if (status == LMC_OK) status = reserve_chunks(ds, n / LMC_CHUNK_BYTES, &fit);
        if (status == LMC_OK) {
            /* the first `fit` chunks of the full stream: a prefix of the same bytes */
            lmc_random_fill(ds->bytes, fit * LMC_CHUNK_BYTES, ds->params.seed);
            ds->n_chunks = fit;
        }
    } else {
        status = walk(ds, arg, 0);
    }
    if (status != LMC_OK) goto fail;
    if (ds->params.mask7) lmc_mask7_apply(kind, ds->bytes, ds->n_chunks * LMC_CHUNK_BYTES);
    *out = ds;
    return LMC_OK;
fail:
    lmc_dataset_destroy(ds);
    return status;
}

void lmc_dataset_destroy(lmc_dataset *ds) {
    if (!ds) return;
    free(ds->bytes);
    free(ds);
}

lmc_data_kind lmc_dataset_kind(const lmc_dataset *ds) { return ds->kind; }
size_t lmc_dataset_chunk_count(const lmc_dataset *ds) { return ds->n_chunks; }
const uint8_t *lmc_dataset_bytes(const lmc_dataset *ds) { return ds->bytes; }
size_t lmc_dataset_file_count(const lmc_dataset *ds) { return ds->n_files; }
