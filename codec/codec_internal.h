/* codec_internal.h : what codec/container.c needs from the coding driver (codec/codec.c). */
#ifndef LMC_CODEC_INTERNAL_H
#define LMC_CODEC_INTERNAL_H

#include "lmc/codec.h"

/* The most windows one driver call codes; predictors asking for more get batches of this. */
#define LMC_DRIVE_MAX_BATCH 64

/* lmc_drive_encode() : code n_windows windows (windows[w], lens[w] bytes) into payloads[w]
 * (capacity lmc_arith_bound(lens[w]) each), *payload_lens[w] = bytes. rows is scratch of
 * (n_windows, window_size, 256) int32. */
lmc_status lmc_drive_encode(lmc_predictor *pred, size_t n_windows, const uint8_t *const *windows,
                            const size_t *lens, uint32_t window_size, int32_t *rows,
                            uint8_t *const *payloads, size_t *payload_lens);

/* lmc_drive_decode() : the inverse: payloads[w] (payload_lens[w] bytes) -> outs[w] (lens[w]
 * bytes). rows is scratch of (n_windows, 256) int32. */
lmc_status lmc_drive_decode(lmc_predictor *pred, size_t n_windows, const uint8_t *const *payloads,
                            const size_t *payload_lens, const size_t *lens, int32_t *rows,
                            uint8_t *const *outs);

#endif /* LMC_CODEC_INTERNAL_H */
