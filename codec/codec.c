/* codec.c : the one coding driver (Bellard's nncp style): encoding and decoding run the same
 * loop, position by position over a batch of independent windows, and differ only in where a
 * row comes from (the whole-window rows of encode_rows() vs decode_next() one position at a
 * time) and in code_symbol(), which encodes a known byte or decodes an unknown one through the
 * same quantiser and the same interval split. Decoding also re-encodes what it decodes, so a
 * payload is accepted only in its one canonical form. Invariant: for each window, position t codes
 * with the row the predictor gave for t, whose history is bytes 0..t-1 of that window only. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codec_internal.h"

enum { MODE_ENCODE = 0, MODE_DECODE = 1 };

/* Encode byte *b, or decode it into *b, with the frequencies of `row`. */
static inline void code_symbol(int mode, lmc_arith_encoder *enc, lmc_arith_decoder *dec,
                               const int32_t *row, uint8_t *b) {
    if (mode == MODE_ENCODE) {
        uint32_t cum, freq;
        lmc_quantize_interval(row, *b, &cum, &freq);
        lmc_arith_encode(enc, cum, freq);
        return;
    }
    uint32_t cum, freq;
    unsigned s = lmc_quantize_find(row, lmc_arith_decode_target(dec), &cum, &freq);
    lmc_arith_decode_update(dec, cum, freq);
    lmc_arith_encode(enc, cum, freq); /* the canonical re-encoding, checked at the end */
    *b = (uint8_t)s;
}

/* The driver. ENCODE: bytes[w] are the input, coders enc[w] write the payloads, rows hold the
 * whole windows. DECODE: bytes[w] receive the output, decoders dec[w] read the payloads, rows
 * hold one position of every window. */
static lmc_status drive(int mode, lmc_predictor *pred, size_t n_windows, uint8_t *const *bytes,
                        const size_t *lens, uint32_t window_size, int32_t *rows,
                        lmc_arith_encoder *enc, lmc_arith_decoder *dec) {
    size_t max_len = 0;
    for (size_t w = 0; w < n_windows; w++) max_len = lens[w] > max_len ? lens[w] : max_len;
    uint8_t prev[LMC_DRIVE_MAX_BATCH];
    if (mode == MODE_ENCODE)
        LMC_TRY(pred->vtable->encode_rows(pred->ctx, n_windows, (const uint8_t *const *)bytes,
                                          lens, window_size, rows));
    else
        LMC_TRY(pred->vtable->decode_begin(pred->ctx, n_windows, lens));
    for (size_t t = 0; t < max_len; t++) {
        if (mode == MODE_DECODE) {
            for (size_t w = 0; w < n_windows; w++) prev[w] = t && t <= lens[w] ? bytes[w][t - 1] : 0;
            LMC_TRY(pred->vtable->decode_next(pred->ctx, prev, rows));
        }
        for (size_t w = 0; w < n_windows; w++) {
            if (t >= lens[w]) continue;
            const int32_t *row = mode == MODE_ENCODE
                                     ? rows + ((size_t)w * window_size + t) * LMC_ROW_SIZE
                                     : rows + w * LMC_ROW_SIZE;
            code_symbol(mode, &enc[w], dec ? &dec[w] : NULL, row, &bytes[w][t]);
        }
    }
    return LMC_OK;
}

lmc_status lmc_drive_encode(lmc_predictor *pred, size_t n_windows, const uint8_t *const *windows,
                            const size_t *lens, uint32_t window_size, int32_t *rows,
                            uint8_t *const *payloads, size_t *payload_lens) {
    assert(n_windows <= LMC_DRIVE_MAX_BATCH);
    lmc_arith_encoder enc[LMC_DRIVE_MAX_BATCH];
    for (size_t w = 0; w < n_windows; w++)
        lmc_arith_encoder_init(&enc[w], payloads[w], lmc_arith_bound(lens[w]));
    /* Encoding only reads the bytes; the cast lets one driver serve both directions. */
    LMC_TRY(drive(MODE_ENCODE, pred, n_windows, (uint8_t *const *)(uintptr_t)windows, lens,
                  window_size, rows, enc, NULL));
    for (size_t w = 0; w < n_windows; w++) LMC_TRY(lmc_arith_encoder_finish(&enc[w], &payload_lens[w]));
    return LMC_OK;
}

lmc_status lmc_drive_decode(lmc_predictor *pred, size_t n_windows, const uint8_t *const *payloads,
                            const size_t *payload_lens, const size_t *lens, int32_t *rows,
                            uint8_t *const *outs) {
    assert(n_windows <= LMC_DRIVE_MAX_BATCH);
    lmc_arith_decoder dec[LMC_DRIVE_MAX_BATCH];
    lmc_arith_encoder enc[LMC_DRIVE_MAX_BATCH];
    size_t bound = 0;
    for (size_t w = 0; w < n_windows; w++)
        if (lmc_arith_bound(lens[w]) > bound) bound = lmc_arith_bound(lens[w]);
    uint8_t *scratch = (uint8_t *)malloc(n_windows * bound + 1);
    LMC_RETURN_IF(!scratch, LMC_ERR_OUT_OF_MEMORY, "decoder: out of memory");
    for (size_t w = 0; w < n_windows; w++) {
        lmc_arith_decoder_init(&dec[w], payloads[w], payload_lens[w]);
        lmc_arith_encoder_init(&enc[w], scratch + w * bound, bound);
    }
    lmc_status s = drive(MODE_DECODE, pred, n_windows, outs, lens, 0, rows, enc, dec);
    /* A payload is valid only if it is exactly what the encoder writes for the decoded bytes:
     * otherwise a changed bit past the point the coder needed would go unnoticed. */
    for (size_t w = 0; w < n_windows && s == LMC_OK; w++) {
        size_t len = 0;
        s = lmc_arith_encoder_finish(&enc[w], &len);
        if (s == LMC_OK && (len != payload_lens[w] || memcmp(enc[w].dst, payloads[w], len) != 0))
            s = lmc_set_error(LMC_ERR_CORRUPT,
                              "frame payload of %zu bytes is not the encoding of its %zu decoded bytes",
                              payload_lens[w], lens[w]);
    }
    free(scratch);
    return s;
}
