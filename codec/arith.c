/* arith.c : the integer range coder over frequency tables of total 2^16 (FORMAT.md §5).
 *
 * LZMA's carry-propagating range coder widened to a 56-bit window: `low` keeps 56 bits plus
 * one carry bit, `range` stays in (2^48, 2^56] and bytes leave from the top. The interval
 * split, shared by both sides, is r = range >> 16; symbol [cum, cum+freq) gets
 * [low + r*cum, low + r*(cum+freq)), except the symbol that ends at 2^16, which also takes the
 * rounding remainder up to low + range. With range > 2^48 the remainder is below 2^-32 of the
 * range, so the coder adds under 1e-9 bits per symbol to -log2(freq / 2^16).
 * Carries: a byte whose value may still grow is held in `cache`, followed by `pending_ff`
 * bytes of 0xFF that a carry would turn into 0x00.
 * Termination: the final value is the number in [low, low+range) with the most trailing zero
 * bits; then trailing zero bytes are dropped, since the decoder reads zeros past the end.
 * Invariants: encoder low + range <= 2^56 * 256^k relative to the bytes out (no carry ever
 * leaves the first byte); decoder code < range for every input, valid or not. */
#include <assert.h>

#include "lmc/codec.h"

#define WINDOW_BITS 56
#define LOW_MASK ((UINT64_C(1) << WINDOW_BITS) - 1)
#define RANGE_MIN (UINT64_C(1) << (WINDOW_BITS - 8)) /* renormalise below this */
#define FF_TOP (UINT64_C(0xFF) << (WINDOW_BITS - 8))

size_t lmc_arith_bound(size_t n_symbols) {
    /* Each symbol shrinks the range by at most 2^16 (1 + 2^-32): 2 bytes; 8 for the end. */
    return 2 * n_symbols + 16;
}

void lmc_arith_encoder_init(lmc_arith_encoder *e, uint8_t *dst, size_t cap) {
    e->low = 0;
    e->range = UINT64_C(1) << WINDOW_BITS;
    e->pending_ff = 0;
    e->cache = 0;
    e->has_cache = 0;
    e->dst = dst;
    e->cap = cap;
    e->pos = 0;
}

static inline void put_byte(lmc_arith_encoder *e, uint8_t b) {
    if (e->pos < e->cap) e->dst[e->pos] = b;
    e->pos++;
}

/* Move the top byte of the 56-bit window out, resolving any carry into held bytes. */
static inline void shift_low(lmc_arith_encoder *e) {
    if (e->low < FF_TOP || e->low > LOW_MASK) {
        uint8_t carry = (uint8_t)(e->low >> WINDOW_BITS);
        if (e->has_cache) put_byte(e, (uint8_t)(e->cache + carry));
        for (; e->pending_ff; e->pending_ff--) put_byte(e, (uint8_t)(0xFF + carry));
        e->cache = (uint8_t)(e->low >> (WINDOW_BITS - 8));
        e->has_cache = 1;
    } else {
        e->pending_ff++; /* top byte 0xFF: it waits to see whether a carry comes */
    }
    e->low = (e->low << 8) & LOW_MASK;
}

void lmc_arith_encode(lmc_arith_encoder *e, uint32_t cum, uint32_t freq) {
    assert(freq >= 1 && cum + freq <= LMC_FREQ_TOTAL);
    uint64_t r = e->range >> LMC_FREQ_BITS;
    uint64_t base = r * cum;
    e->low += base;
    e->range = (cum + freq == LMC_FREQ_TOTAL) ? e->range - base : r * freq;
    while (e->range < RANGE_MIN) {
        e->range <<= 8;
        shift_low(e);
    }
}

lmc_status lmc_arith_encoder_finish(lmc_arith_encoder *e, size_t *out_len) {
    uint64_t end = e->low + e->range; /* exclusive; < 2^57, so v carries at most 1 */
    for (int k = WINDOW_BITS; k > 0; k--) {
        uint64_t mask = (UINT64_C(1) << k) - 1;
        uint64_t v = (e->low + mask) & ~mask;
        if (v >= e->low && v < end) {
            e->low = v;
            break;
        }
    }
    for (int i = 0; i < WINDOW_BITS / 8 + 1; i++) shift_low(e);
    size_t n = e->pos;
    if (n > e->cap) {
        *out_len = n;
        return lmc_set_error(LMC_ERR_BUFFER_TOO_SMALL,
                             "range coder output needs %zu bytes, buffer holds %zu", n, e->cap);
    }
    while (n > 0 && e->dst[n - 1] == 0) n--;
    *out_len = n;
    return LMC_OK;
}

static inline uint8_t next_byte(lmc_arith_decoder *d) {
    uint8_t b = d->pos < d->len ? d->src[d->pos] : 0;
    d->pos++;
    return b;
}

void lmc_arith_decoder_init(lmc_arith_decoder *d, const uint8_t *src, size_t len) {
    d->src = src;
    d->len = len;
    d->pos = 0;
    d->code = 0;
    d->range = UINT64_C(1) << WINDOW_BITS;
    d->r = 0;
    for (int i = 0; i < WINDOW_BITS / 8; i++) d->code = (d->code << 8) | next_byte(d);
}

uint32_t lmc_arith_decode_target(lmc_arith_decoder *d) {
    d->r = d->range >> LMC_FREQ_BITS;
    uint64_t t = d->code / d->r;
    return t < LMC_FREQ_TOTAL ? (uint32_t)t : LMC_FREQ_TOTAL - 1;
}

void lmc_arith_decode_update(lmc_arith_decoder *d, uint32_t cum, uint32_t freq) {
    uint64_t base = d->r * cum;
    d->code -= base;
    d->range = (cum + freq == LMC_FREQ_TOTAL) ? d->range - base : d->r * freq;
    while (d->range < RANGE_MIN) {
        d->range <<= 8;
        d->code = (d->code << 8) | next_byte(d);
    }
}

size_t lmc_arith_decoder_overread(const lmc_arith_decoder *d) {
    return d->pos > d->len ? d->pos - d->len : 0;
}
