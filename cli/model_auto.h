/* model_auto.h : `lmc compress -m auto`, the built-in coding model that codes the start of an
 * input smallest. Each candidate codes the first CLI_AUTO_WINDOWS windows of the input (each
 * from BOS, its own window size: -W, else min(2048, its context)) into a .lmc stream in memory;
 * the smallest stream wins, a tie going to the newest (the later in the built-in list). The
 * winner's model id goes into the header as for -m NAME, so decoding needs nothing new.
 * Candidates: every built-in but those whose lmc-exact-2 twin NAME-x2 is built in (the same
 * float model, sizes within a few hundredths of a percent) and those named "interim*" (earlier snapshots of a run whose final
 * model is built in too, kept only so that old files decode; LMC_AUTO_ALL=1 lets them in, for
 * tests and cost measurements, but not the twins) and those whose context is below -W. One candidate, or an empty
 * input, goes without a trial: the default built-in if it is a candidate, else the newest.
 * Cost: CLI_AUTO_WINDOWS windows of coding per candidate (on a one-window predictor), so it
 * grows linearly with the number of built-ins; docs/DESIGN.md §6 has the measured figures.
 * Invariant: the choice is a pure function of (the input's first bytes, -W, the built-in list):
 * the coded sizes are the same on every device. */
#ifndef LMC_CLI_MODEL_AUTO_H
#define LMC_CLI_MODEL_AUTO_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/lmc.h"

#define CLI_AUTO_WINDOWS 1
#define CLI_AUTO_MAX 64 /* candidates reported in a choice */

typedef struct cli_auto_choice {
    size_t index;        /* the built-in picked */
    size_t n_candidates; /* built-ins taking part */
    size_t n_scored;     /* candidates scored (0: an empty input or one candidate, no trial) */
    struct {
        size_t index;
        uint64_t bytes; /* its .lmc stream of the input's start */
    } scores[CLI_AUTO_MAX];
    size_t head_bytes; /* bytes of the input the candidates coded (the largest window's worth) */
    double seconds;    /* the whole choice: loading, predictors, trials */
} cli_auto_choice;

/* cli_auto_is_candidate() : whether built-in i takes part: not a built-in NAME whose lmc-exact-2
 * twin "NAME-x2" is built in, and not an "interim*" snapshot (unless LMC_AUTO_ALL=1). */
int cli_auto_is_candidate(size_t i);

/* cli_auto_pick() : score the candidates on head[0..n) (the input's first bytes; n may be less
 * than a window, or 0) with window size `window` (0: each model's default) on `device`.
 * *model is the winner, owned by the caller (lmc_exact_model_destroy); *choice says what was
 * measured. @return LMC_OK; LMC_ERR_NOT_FOUND when no built-in can be a candidate. */
lmc_status cli_auto_pick(const uint8_t *head, size_t n, uint32_t window, lmc_device *device,
                         lmc_exact_model **model, cli_auto_choice *choice);

/* cli_auto_describe() : "auto: 200k (first 2048 bytes: 200k 1282, general 1101 ...)" into out. */
void cli_auto_describe(const cli_auto_choice *choice, char *out, size_t cap);

#endif /* LMC_CLI_MODEL_AUTO_H */
