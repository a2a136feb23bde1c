/* cdf.c : the quantiser (DESIGN.md §3): one row of 256 Q16 logits -> integer frequencies, each
 * >= 1, summing to exactly 2^16. Integer-only (no floats, no libm), so every machine that runs
 * it gets the same table; encoder and decoder both call it.
 *
 * Method (FORMAT.md §6 names it quantiser 1):
 *  1. m = max logit, a = its first index. d_c = m - l_c as int64 (0 .. 2^32-1: INT32_MIN and
 *     INT32_MAX need no special case), clamped to the table's range.
 *  2. w_c = lmc_exp_table[d_c >> 8]: 2^24 exp(-x) at the midpoint of the 1/256-nat step holding
 *     d_c (codec/exp_table.h, generated once). Logits closer than 1/512 nat to a step edge move
 *     by under 1/512 nat: a relative probability error below 0.2%, ~1e-6 bits of loss.
 *     Weights reach 0 from about 17.3 nats below the maximum (p < 3e-8).
 *  3. S = sum w_c (>= w_a > 2^23), r = floor(65280 * 2^32 / S) (one division per row), and
 *     f_c = 1 + ((w_c * r) >> 32): every symbol gets its floor of 1, the rest shares 65536-256.
 *  4. The rounding leftover L = 65536 - sum f_c (0 <= L < 513) goes to the argmax a, whose
 *     relative change is then smallest.
 * Invariant: f_c >= 1 and sum f_c == 2^16 for every input (tested exhaustively on extremes). */
#include <assert.h>
#include <string.h>

#include "exp_table.h"
#include "lmc/codec.h"

#define EXP_STEP_SHIFT 8 /* table step: 2^8 Q16 units = 1/256 nat */
#define D_MAX ((int64_t)(LMC_EXP_TABLE_SIZE - 1) << EXP_STEP_SHIFT)
#define SHARED_MASS (LMC_FREQ_TOTAL - LMC_ROW_SIZE)

/* Steps 1-3: weights in freq[] (as 1 + scaled weight), the argmax, and the leftover L.
 * Written for speed on baseline x86-64 (SSE2): the max and the frequency pass vectorise; the
 * table lookups are scalar. All distances fit uint32: 0 <= m - l < 2^32. */
static void quantize_core(const int32_t *logits, uint32_t *freq, unsigned *argmax,
                          uint32_t *leftover) {
    int32_t m = logits[0];
    for (unsigned c = 1; c < LMC_ROW_SIZE; c++) m = logits[c] > m ? logits[c] : m;
    uint32_t w[LMC_ROW_SIZE];
    uint64_t sum = 0;
    unsigned a = 0;
    for (unsigned c = LMC_ROW_SIZE; c-- > 0;) { /* downwards, so `a` ends at the first max */
        uint32_t d = (uint32_t)m - (uint32_t)logits[c];
        a = d == 0 ? c : a;
        d = d < (uint32_t)D_MAX ? d : (uint32_t)D_MAX;
        w[c] = lmc_exp_table[d >> EXP_STEP_SHIFT];
        sum += w[c];
    }
    assert(sum >= lmc_exp_table[0]);
    uint64_t r = ((uint64_t)SHARED_MASS << 32) / sum; /* < 2^24: w * r < 2^48 */
    uint32_t total = 0;
    for (unsigned c = 0; c < LMC_ROW_SIZE; c++) {
        uint32_t f = 1u + (uint32_t)(((uint64_t)w[c] * r) >> 32);
        freq[c] = f;
        total += f;
    }
    assert(total <= LMC_FREQ_TOTAL);
    *argmax = a;
    *leftover = LMC_FREQ_TOTAL - total;
}

void lmc_quantize_row(const int32_t logits[LMC_ROW_SIZE], uint32_t freq[LMC_ROW_SIZE]) {
    unsigned a;
    uint32_t left;
    quantize_core(logits, freq, &a, &left);
    freq[a] += left;
}

void lmc_quantize_interval(const int32_t logits[LMC_ROW_SIZE], unsigned sym, uint32_t *cum,
                           uint32_t *freq) {
    assert(sym < LMC_ROW_SIZE);
    uint32_t f[LMC_ROW_SIZE];
    unsigned a;
    uint32_t left;
    quantize_core(logits, f, &a, &left);
    uint32_t c = 0;
    for (unsigned i = 0; i < LMC_ROW_SIZE; i++) c += i < sym ? f[i] : 0; /* branch-free: vectorises */
    if (a < sym) c += left;
    *cum = c;
    *freq = f[sym] + (a == sym ? left : 0);
}

unsigned lmc_quantize_find(const int32_t logits[LMC_ROW_SIZE], uint32_t target, uint32_t *cum,
                           uint32_t *freq) {
    assert(target < LMC_FREQ_TOTAL);
    uint32_t f[LMC_ROW_SIZE];
    unsigned a;
    uint32_t left;
    quantize_core(logits, f, &a, &left);
    f[a] += left;
    /* Two levels: sums of 16 blocks of 16 (vectorised), then the block, then the symbol. */
    uint32_t block[16];
    for (unsigned b = 0; b < 16; b++) {
        uint32_t s = 0;
        for (unsigned i = 0; i < 16; i++) s += f[16 * b + i];
        block[b] = s;
    }
    uint32_t c = 0;
    unsigned b = 0;
    while (c + block[b] <= target) c += block[b++];
    unsigned s = 16 * b;
    while (c + f[s] <= target) c += f[s++];
    *cum = c;
    *freq = f[s];
    return s;
}
