/* baseline_lzma.c : LZMA2 as the paper runs it: an .xz stream from liblzma preset 6 with a CRC64
 * check, byte for byte what `xz -6` writes for the same input.
 * Invariant: decompression accepts exactly one .xz stream of exactly raw_len bytes. */
#include <stdint.h>

#include <lzma.h>

#include "baseline_internal.h"

static lmc_status lzma2_compress(const uint8_t *src, size_t n, lmc_buffer *dst) {
    LMC_TRY(lmc_buffer_reserve(dst, lzma_stream_buffer_bound(n)));
    size_t pos = 0;
    static const uint8_t empty = 0;
    lzma_ret rc = lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, n ? src : &empty, n, dst->data,
                                          &pos, dst->cap);
    LMC_RETURN_IF(rc != LZMA_OK, rc == LZMA_MEM_ERROR ? LMC_ERR_OUT_OF_MEMORY : LMC_ERR_BUFFER_TOO_SMALL,
                  "lzma2: lzma_easy_buffer_encode returned %d", (int)rc);
    dst->len = pos;
    return LMC_OK;
}

static lmc_status lzma2_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    uint64_t memlimit = UINT64_MAX;
    size_t in_pos = 0, out_pos = 0;
    uint8_t spare = 0;
    lzma_ret rc = lzma_stream_buffer_decode(&memlimit, 0, NULL, src, &in_pos, n, raw_len ? dst : &spare,
                                            &out_pos, raw_len);
    LMC_RETURN_IF(rc != LZMA_OK || in_pos != n || out_pos != raw_len, LMC_ERR_CORRUPT,
                  "lzma2: stream does not decode to %zu bytes (liblzma %d, %zu bytes out)", raw_len,
                  (int)rc, out_pos);
    return LMC_OK;
}

const lmc_baseline lmc_baseline_lzma2 = {"lzma2", "liblzma .xz preset 6, CRC64 check", lzma2_compress,
                                         lzma2_decompress};
