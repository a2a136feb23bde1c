/* model_auto.c : `lmc compress -m auto` (the rule and its cost are in model_auto.h). Every
 * candidate codes the input's start through the real encoder into memory, so the score is the
 * exact size that model would give those bytes, stored windows and framing included. */
#include "model_auto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_coding.h"

/* 1: built-in "NAME-x2" exists, the lmc-exact-2 coding model of NAME's float model (sizes within
 * a few hundredths of a percent of NAME's, faster decoding): NAME itself need not be tried. */
static int has_x2_twin(const char *name) {
    char twin[128];
    if (snprintf(twin, sizeof twin, "%s-x2", name) >= (int)sizeof twin) return 0;
    for (size_t k = 0; k < lmc_builtin_model_count(); k++)
        if (strcmp(lmc_builtin_model_name(k), twin) == 0) return 1;
    return 0;
}

int cli_auto_is_candidate(size_t i) {
    const char *name = lmc_builtin_model_name(i), *all = getenv("LMC_AUTO_ALL");
    if (!name || has_x2_twin(name)) return 0;
    return (all && strcmp(all, "1") == 0) || strncmp(name, "interim", 7) != 0;
}

typedef struct mem_sink {
    uint8_t *p;
    size_t n, cap;
} mem_sink;

static lmc_status sink_write(void *user, const void *data, size_t n) {
    mem_sink *s = user;
    LMC_RETURN_IF(n > s->cap - s->n, LMC_ERR_BUFFER_TOO_SMALL, "-m auto: the trial stream outgrew its bound");
    memcpy(s->p + s->n, data, n);
    s->n += n;
    return LMC_OK;
}

/* The window size model m codes with: -W, else 2048 or its context if shorter (as compress). */
static uint32_t model_window(const lmc_exact_model *m, uint32_t window) {
    lmc_codec_params cp = lmc_codec_params_default();
    int ctx = lmc_exact_model_get_config(m).context;
    return window ? window : (ctx < (int)cp.window_size ? (uint32_t)ctx : cp.window_size);
}

/* The size of the .lmc stream of head[0..n) under model m, coded by pred. */
static lmc_status trial(lmc_predictor *pred, uint32_t win, const uint8_t *head, size_t n, uint64_t *bytes) {
    lmc_codec_params cp = lmc_codec_params_default();
    cp.window_size = win;
    mem_sink sink = {NULL, 0, lmc_compress_bound(n, win)};
    lmc_encoder *enc = NULL;
    lmc_codec_stats stats;
    sink.p = malloc(sink.cap);
    lmc_status st = sink.p ? LMC_OK : lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "-m auto: trial buffer");
    if (st == LMC_OK) st = lmc_encoder_create(&cp, pred, sink_write, &sink, &enc);
    if (st == LMC_OK) st = lmc_encoder_write(enc, head, n);
    if (st == LMC_OK) st = lmc_encoder_finish(enc, &stats);
    if (st == LMC_OK) *bytes = stats.file_bytes;
    lmc_encoder_destroy(enc);
    free(sink.p);
    return st;
}

/* Built-in i as a candidate: *m and a trial predictor *p (batch CLI_AUTO_WINDOWS: a trial needs no
 * more, so no larger K/V cache and no batch calibration), or both NULL when it is not one (an
 * "interim*" name, or a context shorter than -W). */
static lmc_status load_candidate(size_t i, uint32_t window, lmc_device *device, lmc_exact_model **m,
                                 lmc_predictor **p) {
    *m = NULL;
    *p = NULL;
    if (!cli_auto_is_candidate(i)) return LMC_OK;
    LMC_TRY(lmc_builtin_model_load(i, m));
    lmc_status st = LMC_OK;
    if (window && window > (uint32_t)lmc_exact_model_get_config(*m).context)
        st = LMC_ERR_NOT_FOUND; /* not a candidate, no error */
    else {
        lmc_exact_predictor_params pp = lmc_exact_predictor_params_default();
        pp.max_windows = CLI_AUTO_WINDOWS; /* a trial codes that many windows: no larger K/V cache */
        if ((st = lmc_exact_predictor_create(*m, device, &pp, p)) == LMC_OK) return LMC_OK;
    }
    lmc_exact_model_destroy(*m);
    *m = NULL;
    return st == LMC_ERR_NOT_FOUND ? LMC_OK : st;
}

lmc_status cli_auto_pick(const uint8_t *head, size_t n, uint32_t window, lmc_device *device,
                         lmc_exact_model **model, cli_auto_choice *choice) {
    *model = NULL;
    memset(choice, 0, sizeof *choice);
    lmc_exact_model *best = NULL;
    lmc_predictor *best_pred = NULL;
    uint64_t best_bytes = 0;
    lmc_status st = LMC_OK;
    double t0 = cli_now();
    size_t count = lmc_builtin_model_count(), n_candidates = 0;
    for (size_t i = 0; i < count; i++) n_candidates += cli_auto_is_candidate(i);
    choice->n_candidates = n_candidates;
    /* Nothing to score (an empty input), or nothing to choose (one candidate): no trial; the
     * default built-in when it is a candidate (what plain `lmc compress` uses), else the newest. */
    int score = n > 0 && n_candidates > 1;
    if (!score && count) {
        st = load_candidate(lmc_builtin_model_default(), window, device, &best, &best_pred);
        choice->index = lmc_builtin_model_default();
    }
    for (size_t i = count; !score && i-- > 0 && !best && st == LMC_OK;) {
        st = load_candidate(i, window, device, &best, &best_pred);
        choice->index = i;
    }
    for (size_t i = 0; score && i < count && st == LMC_OK; i++) {
        lmc_exact_model *m = NULL;
        lmc_predictor *p = NULL;
        uint64_t bytes = 0;
        if ((st = load_candidate(i, window, device, &m, &p)) != LMC_OK || !m) continue;
        uint32_t win = model_window(m, window);
        size_t k = n < (size_t)win * CLI_AUTO_WINDOWS ? n : (size_t)win * CLI_AUTO_WINDOWS;
        if (k > choice->head_bytes) choice->head_bytes = k;
        st = trial(p, win, head, k, &bytes);
        if (st == LMC_OK && choice->n_scored < CLI_AUTO_MAX) {
            choice->scores[choice->n_scored].index = i;
            choice->scores[choice->n_scored].bytes = bytes;
            choice->n_scored++;
        }
        if (st == LMC_OK && (!best || bytes <= best_bytes)) { /* <=: a tie goes to the newer */
            lmc_exact_predictor_destroy(best_pred);
            lmc_exact_model_destroy(best);
            best = m;
            best_pred = p;
            best_bytes = bytes;
            choice->index = i;
        } else {
            lmc_exact_predictor_destroy(p);
            lmc_exact_model_destroy(m);
        }
    }
    if (st == LMC_OK && !best)
        st = lmc_set_error(LMC_ERR_NOT_FOUND, "-m auto: no built-in coding model can code this input%s",
                           window ? " with this -W" : "");
    if (st != LMC_OK) {
        lmc_exact_predictor_destroy(best_pred);
        lmc_exact_model_destroy(best);
        return st;
    }
    lmc_exact_predictor_destroy(best_pred);
    *model = best;
    choice->seconds = cli_now() - t0;
    return LMC_OK;
}

void cli_auto_describe(const cli_auto_choice *c, char *out, size_t cap) {
    size_t len = (size_t)snprintf(out, cap, "auto: %s", lmc_builtin_model_name(c->index));
    if (!c->n_scored) {
        if (len < cap)
            snprintf(out + len, cap - len, "%s",
                     c->n_candidates == 1 ? " (the only candidate: no trial)" : " (empty input: no trial)");
        return;
    }
    if (len < cap)
        len += (size_t)snprintf(out + len, cap - len, " (the first %zu bytes coded in", c->head_bytes);
    for (size_t k = 0; k < c->n_scored && k < CLI_AUTO_MAX && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s %s %llu", k ? "," : "",
                                lmc_builtin_model_name(c->scores[k].index),
                                (unsigned long long)c->scores[k].bytes);
    if (len < cap) snprintf(out + len, cap - len, " bytes; %.2f s)", c->seconds);
}
