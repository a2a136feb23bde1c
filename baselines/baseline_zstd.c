/* baseline_zstd.c : zstd level 19 (one frame, content size recorded, no dictionary).
 * Invariant: decompression accepts exactly one frame of exactly raw_len bytes. */
#include <zstd.h>

#include "baseline_internal.h"

static lmc_status zstd_compress(const uint8_t *src, size_t n, lmc_buffer *dst) {
    LMC_TRY(lmc_buffer_reserve(dst, ZSTD_compressBound(n)));
    size_t rc = ZSTD_compress(dst->data, dst->cap, src, n, 19);
    LMC_RETURN_IF(ZSTD_isError(rc), LMC_ERR_OUT_OF_MEMORY, "zstd: %s", ZSTD_getErrorName(rc));
    dst->len = rc;
    return LMC_OK;
}

static lmc_status zstd_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    uint8_t spare = 0;
    size_t rc = ZSTD_decompress(raw_len ? dst : &spare, raw_len, src, n);
    LMC_RETURN_IF(ZSTD_isError(rc) || rc != raw_len, LMC_ERR_CORRUPT, "zstd: stream does not decode to %zu bytes (%s)",
                  raw_len, ZSTD_isError(rc) ? ZSTD_getErrorName(rc) : "length mismatch");
    return LMC_OK;
}

const lmc_baseline lmc_baseline_zstd = {"zstd", "zstd level 19", zstd_compress, zstd_decompress};
