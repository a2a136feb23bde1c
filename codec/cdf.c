/* cdf.c : the quantiser (DESIGN.md §3): one row of 256 Q16 logits -> integer frequencies, each
 * >= 1, summing to exactly 2^16. Integer-only (no floats, no libm), so every machine that runs
 * it gets the same table; encoder and decoder both call it.
 *
 * Method (quantiser 1 of codec/FORMAT.md §5):
 *  1. m = max logit, a = its first index. d_c = m - l_c, exact in uint32 (INT32_MIN and
 *     INT32_MAX need no special case), clamped to the table's range.
 *  2. w_c = lmc_exp_table[d_c >> 8]: 65535 exp(-x) at the midpoint of the 1/256-nat step that
 *     holds d_c (codec/exp_table.h, generated once). A logit moves by at most 1/512 nat: a
 *     relative probability error below 0.2%. Weights are 0 from 11.8 nats below the maximum,
 *     where the ideal frequency is below 1 anyway.
 *  3. S = sum w_c (65407 <= S < 2^24), r = floor(65280 * 2^16 / S) < 2^16 (one division per
 *     row), f_c = 1 + ((w_c * r) >> 16): every symbol gets its floor of 1, the rest share
 *     65536 - 256. 16-bit weights make step 3 one SSE2 multiply-high per 8 symbols.
 *  4. The rounding leftover L = 65536 - sum f_c (0 <= L <= 768) goes to the argmax a, whose
 *     relative change is then smallest.
 * Invariant: f_c >= 1 and sum f_c == 2^16 for every input. The SSE2 path and the plain C path
 * compute the same integers (test_cdf.cpp checks the library against a plain re-implementation
 * of FORMAT.md §5). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

/* SSE2 is part of baseline x86-64. LMC_CODEC_NO_SIMD selects the plain C path, which computes
 * the same integers (test/unit builds both and compares). */
#if defined(__SSE2__) && !defined(LMC_CODEC_NO_SIMD)
#define LMC_CDF_SSE2 1
#include <emmintrin.h>
#define LMC_ALIGN16 __attribute__((aligned(16)))
#else
#define LMC_CDF_SSE2 0
#define LMC_ALIGN16
#endif

#include "exp_table.h"
#include "lmc/codec.h"

#define EXP_STEP_SHIFT 8 /* table step: 2^8 Q16 units = 1/256 nat */
#define D_MAX ((uint32_t)(LMC_EXP_TABLE_SIZE - 1) << EXP_STEP_SHIFT)
#define SHARED_MASS (LMC_FREQ_TOTAL - LMC_ROW_SIZE)
#define LANES 16 /* independent max accumulators: the max is latency-bound otherwise */

/* Running sums of freq[] at every 8th symbol, kept as the loop had them: SSE2 keeps 4 partial
 * sums a block (added up only when a search asks), plain C one. */
#define N_BLOCKS (LMC_ROW_SIZE / 8)
#if LMC_CDF_SSE2
typedef __m128i block_prefix;
static inline uint32_t prefix_at(const block_prefix *pre, unsigned k) {
    __m128i v = _mm_add_epi32(pre[k], _mm_srli_si128(pre[k], 8));
    v = _mm_add_epi32(v, _mm_srli_si128(v, 4));
    return (uint32_t)_mm_cvtsi128_si32(v);
}
#else
typedef uint32_t block_prefix;
static inline uint32_t prefix_at(const block_prefix *pre, unsigned k) { return pre[k]; }
#endif

/* Steps 1-3: 1 + scaled weight in freq[], pre[k] = sum of freq[0 .. 8k-1] (k <= 32), the
 * argmax, and the leftover L (not yet in freq[] or pre[]). */
static void quantize_core(const int32_t *logits, uint32_t *freq, block_prefix *pre, unsigned *argmax,
                          uint32_t *leftover) {
    int32_t mv[LANES];
    for (unsigned j = 0; j < LANES; j++) mv[j] = logits[j];
    for (unsigned c = LANES; c < LMC_ROW_SIZE; c += LANES)
        for (unsigned j = 0; j < LANES; j++) mv[j] = logits[c + j] > mv[j] ? logits[c + j] : mv[j];
    int32_t m = mv[0];
    for (unsigned j = 1; j < LANES; j++) m = mv[j] > m ? mv[j] : m;

    uint16_t w[LMC_ROW_SIZE] LMC_ALIGN16;
    uint32_t sum = 0, a = LMC_ROW_SIZE;
#if LMC_CDF_SSE2
    /* Eight symbols a step: distances, clamp (unsigned compare via the sign flip), table index
     * packed to 16 bits, eight scalar table loads inserted into one vector, and the first
     * zero distance (the argmax) from a compare mask. */
    const __m128i vm = _mm_set1_epi32(m), zero = _mm_setzero_si128();
    const __m128i flip = _mm_set1_epi32(INT32_MIN), dmax = _mm_set1_epi32((int32_t)D_MAX);
    const __m128i dmax_flipped = _mm_xor_si128(dmax, flip);
    __m128i vsum = zero;
    for (unsigned c = 0; c < LMC_ROW_SIZE; c += 8) {
        __m128i d0 = _mm_sub_epi32(vm, _mm_loadu_si128((const __m128i *)(const void *)(logits + c)));
        __m128i d1 = _mm_sub_epi32(vm, _mm_loadu_si128((const __m128i *)(const void *)(logits + c + 4)));
        int z = _mm_movemask_epi8(_mm_packs_epi32(_mm_cmpeq_epi32(d0, zero), _mm_cmpeq_epi32(d1, zero)));
        if (z && a == LMC_ROW_SIZE) a = c + (unsigned)__builtin_ctz((unsigned)z) / 2;
        __m128i g0 = _mm_cmpgt_epi32(_mm_xor_si128(d0, flip), dmax_flipped);
        __m128i g1 = _mm_cmpgt_epi32(_mm_xor_si128(d1, flip), dmax_flipped);
        d0 = _mm_or_si128(_mm_and_si128(g0, dmax), _mm_andnot_si128(g0, d0));
        d1 = _mm_or_si128(_mm_and_si128(g1, dmax), _mm_andnot_si128(g1, d1));
        __m128i idx = _mm_packs_epi32(_mm_srli_epi32(d0, EXP_STEP_SHIFT), _mm_srli_epi32(d1, EXP_STEP_SHIFT));
        __m128i v = _mm_cvtsi32_si128(lmc_exp_table[_mm_extract_epi16(idx, 0)]);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 1)], 1);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 2)], 2);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 3)], 3);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 4)], 4);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 5)], 5);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 6)], 6);
        v = _mm_insert_epi16(v, lmc_exp_table[_mm_extract_epi16(idx, 7)], 7);
        _mm_store_si128((__m128i *)(void *)(w + c), v);
        vsum = _mm_add_epi32(vsum, _mm_add_epi32(_mm_unpacklo_epi16(v, zero), _mm_unpackhi_epi16(v, zero)));
    }
    vsum = _mm_add_epi32(vsum, _mm_srli_si128(vsum, 8));
    vsum = _mm_add_epi32(vsum, _mm_srli_si128(vsum, 4));
    sum = (uint32_t)_mm_cvtsi128_si32(vsum);
#else
    for (unsigned c = 0; c < LMC_ROW_SIZE; c++) {
        uint32_t d = (uint32_t)m - (uint32_t)logits[c];
        a = d == 0 && c < a ? c : a; /* the first maximum */
        d = d < D_MAX ? d : D_MAX;
        w[c] = lmc_exp_table[d >> EXP_STEP_SHIFT];
        sum += w[c];
    }
#endif
    assert(a < LMC_ROW_SIZE && sum >= lmc_exp_table[0] && sum < (1u << 24));
    const uint32_t r = ((uint32_t)SHARED_MASS << 16) / sum;
    assert(r < (1u << 16));
    uint32_t total = 0;
#if LMC_CDF_SSE2
    const __m128i vr = _mm_set1_epi16((short)r), one = _mm_set1_epi32(1);
    __m128i acc = zero;
    for (unsigned c = 0; c < LMC_ROW_SIZE; c += 8) {
        pre[c / 8] = acc;
        __m128i h = _mm_mulhi_epu16(_mm_loadu_si128((const __m128i *)(const void *)(w + c)), vr);
        __m128i lo = _mm_add_epi32(_mm_unpacklo_epi16(h, zero), one);
        __m128i hi = _mm_add_epi32(_mm_unpackhi_epi16(h, zero), one);
        _mm_storeu_si128((__m128i *)(void *)(freq + c), lo);
        _mm_storeu_si128((__m128i *)(void *)(freq + c + 4), hi);
        acc = _mm_add_epi32(acc, _mm_add_epi32(lo, hi));
    }
    pre[N_BLOCKS] = acc;
    total = prefix_at(pre, N_BLOCKS);
#else
    for (unsigned c = 0; c < LMC_ROW_SIZE; c++) {
        if (c % 8 == 0) pre[c / 8] = total;
        uint32_t f = 1u + ((w[c] * r) >> 16);
        freq[c] = f;
        total += f;
    }
    pre[N_BLOCKS] = total;
#endif
    assert(total <= LMC_FREQ_TOTAL);
    *argmax = a;
    *leftover = LMC_FREQ_TOTAL - total;
}

void lmc_quantize_row(const int32_t logits[LMC_ROW_SIZE], uint32_t freq[LMC_ROW_SIZE]) {
    block_prefix pre[N_BLOCKS + 1];
    unsigned a;
    uint32_t left;
    quantize_core(logits, freq, pre, &a, &left);
    freq[a] += left;
}

void lmc_quantize_interval(const int32_t logits[LMC_ROW_SIZE], unsigned sym, uint32_t *cum,
                           uint32_t *freq) {
    assert(sym < LMC_ROW_SIZE);
    uint32_t f[LMC_ROW_SIZE];
    block_prefix pre[N_BLOCKS + 1];
    unsigned a;
    uint32_t left;
    quantize_core(logits, f, pre, &a, &left);
    uint32_t c = prefix_at(pre, sym / 8);
    for (unsigned i = sym & ~7u; i < sym; i++) c += f[i];
    *cum = c + (a < sym ? left : 0);
    *freq = f[sym] + (a == sym ? left : 0);
}

unsigned lmc_quantize_find(const int32_t logits[LMC_ROW_SIZE], uint32_t target, uint32_t *cum,
                           uint32_t *freq) {
    assert(target < LMC_FREQ_TOTAL);
    uint32_t f[LMC_ROW_SIZE];
    block_prefix pre[N_BLOCKS + 1];
    unsigned a;
    uint32_t left;
    quantize_core(logits, f, pre, &a, &left);
    f[a] += left;
    /* The block: the largest k with P(k) <= target, P(k) the sum below symbol 8k with the
     * leftover counted (P(0) = 0 <= target < P(32) = 2^16), by a branch-free binary search;
     * then the symbol within the block, counting the running sums that stay <= target. */
    unsigned k = 0;
    for (unsigned step = N_BLOCKS / 2; step; step /= 2) {
        unsigned m = k + step;
        uint32_t p = prefix_at(pre, m) + (a < 8 * m ? left : 0);
        k = p <= target ? m : k;
    }
    uint32_t c = prefix_at(pre, k) + (a < 8 * k ? left : 0);
    unsigned n = 0;
    uint32_t run = c;
    for (unsigned j = 0; j < 7; j++) { /* running sums are monotone: the ones <= target lead */
        run += f[8 * k + j];
        n += run <= target;
        c = run <= target ? run : c;
    }
    const unsigned s = 8 * k + n;
    *cum = c;
    *freq = f[s];
    return s;
}
