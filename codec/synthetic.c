/* synthetic.c : predictors without a model, for tests and benchmarks (include/lmc/codec.h).
 * A row depends on (kind, seed, position in the window, previous byte) only, so encode_rows()
 * and decode_next() agree by construction and windows are independent, as with the real model.
 * Invariant: the same (kind, seed) always gives the same rows on every machine (integer hash). */
#include <stdlib.h>
#include <string.h>

#include "lmc/codec.h"

typedef struct synthetic {
    lmc_predictor pred;
    lmc_synthetic_kind kind;
    uint64_t seed;
    size_t n_windows; /* decode state: the batch begun last and its position */
    size_t *lens;
    size_t t;
} synthetic;

static uint64_t splitmix64(uint64_t x) {
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* The row at position i of a window whose byte i-1 is prev (prev = -1 at i == 0). */
static void synth_row(const synthetic *s, size_t i, int prev, int32_t *row) {
    uint64_t h = splitmix64(s->seed ^ splitmix64((uint64_t)i * 257u + (uint64_t)(prev + 1)));
    switch (s->kind) {
    case LMC_SYNTHETIC_UNIFORM: memset(row, 0, LMC_ROW_SIZE * sizeof *row); break;
    case LMC_SYNTHETIC_SKEWED: {
        unsigned fav = (unsigned)(prev + 1) & 255u; /* the byte after the previous one */
        for (unsigned c = 0; c < LMC_ROW_SIZE; c++) row[c] = c == fav ? INT32_MAX : INT32_MIN;
        break;
    }
    case LMC_SYNTHETIC_RANDOM:
    case LMC_SYNTHETIC_ADVERSARIAL: {
        /* RANDOM: uniform in +-8 nats; ADVERSARIAL: +-40 nats (Q16 +-2621440). */
        uint32_t span = s->kind == LMC_SYNTHETIC_RANDOM ? (16u << 16) : (80u << 16);
        for (unsigned c = 0; c < LMC_ROW_SIZE; c += 2) {
            h = splitmix64(h);
            row[c] = (int32_t)((uint32_t)h % span) - (int32_t)(span / 2);
            row[c + 1] = (int32_t)((uint32_t)(h >> 32) % span) - (int32_t)(span / 2);
        }
        break;
    }
    }
}

static lmc_status synth_encode_rows(void *ctx, size_t n_windows, const uint8_t *const *windows,
                                    const size_t *lens, size_t window_size, int32_t *rows) {
    const synthetic *s = (const synthetic *)ctx;
    LMC_RETURN_IF(n_windows > s->pred.max_windows, LMC_ERR_INVALID_ARGUMENT,
                  "synthetic predictor: %zu windows, at most %zu", n_windows, s->pred.max_windows);
    for (size_t w = 0; w < n_windows; w++)
        for (size_t i = 0; i < lens[w]; i++)
            synth_row(s, i, i ? windows[w][i - 1] : -1, rows + (w * window_size + i) * LMC_ROW_SIZE);
    return LMC_OK;
}

static lmc_status synth_decode_begin(void *ctx, size_t n_windows, const size_t *lens) {
    synthetic *s = (synthetic *)ctx;
    LMC_RETURN_IF(n_windows > s->pred.max_windows, LMC_ERR_INVALID_ARGUMENT,
                  "synthetic predictor: %zu windows, at most %zu", n_windows, s->pred.max_windows);
    memcpy(s->lens, lens, n_windows * sizeof *lens);
    s->n_windows = n_windows;
    s->t = 0;
    return LMC_OK;
}

static lmc_status synth_decode_next(void *ctx, const uint8_t *prev, int32_t *rows) {
    synthetic *s = (synthetic *)ctx;
    for (size_t w = 0; w < s->n_windows; w++)
        if (s->t < s->lens[w]) synth_row(s, s->t, s->t ? prev[w] : -1, rows + w * LMC_ROW_SIZE);
    s->t++;
    return LMC_OK;
}

static const lmc_predictor_vtable synth_vtable = {synth_encode_rows, synth_decode_begin,
                                                  synth_decode_next};

lmc_status lmc_predictor_synthetic_create(lmc_synthetic_kind kind, uint64_t seed,
                                          size_t max_windows, lmc_predictor **out) {
    static const char *names[] = {"uniform", "skewed", "random", "adversarial"};
    *out = NULL;
    LMC_RETURN_IF((unsigned)kind > LMC_SYNTHETIC_ADVERSARIAL, LMC_ERR_INVALID_ARGUMENT,
                  "unknown synthetic predictor kind %d", (int)kind);
    if (max_windows == 0) max_windows = 4;
    synthetic *s = (synthetic *)calloc(1, sizeof *s);
    if (!s) goto fail;
    s->lens = (size_t *)calloc(max_windows, sizeof *s->lens);
    if (!s->lens) goto fail;
    s->kind = kind;
    s->seed = seed;
    s->pred.vtable = &synth_vtable;
    s->pred.ctx = s;
    s->pred.max_windows = max_windows;
    /* Model id: "synthetic:<kind>" then the seed, little-endian, in the last 8 bytes. */
    char tag[LMC_MODEL_ID_SIZE] = {0};
    snprintf(tag, sizeof tag, "synthetic:%s", names[kind]);
    memcpy(s->pred.model_id, tag, sizeof tag);
    for (int i = 0; i < 8; i++) s->pred.model_id[24 + i] = (uint8_t)(seed >> (8 * i));
    *out = &s->pred;
    return LMC_OK;
fail:
    if (s) {
        free(s->lens);
        free(s);
    }
    return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "synthetic predictor: out of memory");
}

void lmc_predictor_synthetic_destroy(lmc_predictor *p) {
    if (!p) return;
    synthetic *s = (synthetic *)p->ctx;
    free(s->lens);
    free(s);
}
