/* baseline.h : the classical compressors of the paper's Table 1 behind one small interface, and
 * the measurement of DESIGN.md §6 (chunked and unchunked rates, round trip of every chunk).
 *
 * Settings (DESIGN.md §6): gzip = zlib deflate level 9, memLevel 9, in a gzip wrapper (as
 * `gzip -9`); lzma2 = .xz (liblzma preset 6, CRC64 check, as `xz -6`); png = the bytes as an
 * 8-bit gray image whose width is the smaller of the two closest factors of the length, libpng at
 * zlib level 9; flac = the bytes as 8-bit unsigned mono 16 kHz samples, libFLAC level 8 (as
 * `flac --best`); zstd = level 19. */
#ifndef LMC_BASELINE_H
#define LMC_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable output buffer. Compressors replace its contents (len) and grow it as needed
 * (realloc), so one buffer is reused across calls. The owner frees `data` with free(). */
typedef struct lmc_buffer {
    uint8_t *data;
    size_t len, cap;
} lmc_buffer;

/* lmc_buffer_free() : free the buffer's memory and reset it to empty; accepts NULL. */
void lmc_buffer_free(lmc_buffer *buf);

typedef struct lmc_baseline {
    const char *name;     /* "gzip", "lzma2", "png", "flac", "zstd" */
    const char *settings; /* human-readable, e.g. "zlib level 9, gzip wrapper" */
    /* compress : the whole compressed stream of src[0..n) into *dst (replacing its contents). */
    lmc_status (*compress)(const uint8_t *src, size_t n, lmc_buffer *dst);
    /* decompress : exactly `raw_len` bytes into dst; anything else is LMC_ERR_CORRUPT. */
    lmc_status (*decompress)(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len);
} lmc_baseline;

/* The registry, in Table 1 order (gzip, lzma2, png, flac, zstd). */
size_t lmc_baseline_count(void);
const lmc_baseline *lmc_baseline_get(size_t index);
/* lmc_baseline_find() : by exact name, or NULL. */
const lmc_baseline *lmc_baseline_find(const char *name);

/* lmc_png_width() : the smaller of the two closest factors of n (1 for n <= 1). */
size_t lmc_png_width(size_t n);

typedef struct lmc_baseline_result {
    uint64_t raw_bytes;        /* n_chunks * chunk_bytes */
    uint64_t n_chunks;
    uint64_t chunked_sum;      /* sum over chunks of len(compress(chunk)) */
    uint64_t header_bytes;     /* len(compress(one zero byte)) */
    uint64_t unchunked_bytes;  /* len(compress(all chunks as one stream)) */
    double length_scale;       /* the factor applied to compressed lengths (1, or 8/7 masked) */
    double chunked_rate;       /* scale * (chunked_sum - (n - 1) * header_bytes) / raw */
    double unchunked_rate;     /* scale * unchunked_bytes / raw */
    double compress_seconds;   /* chunked + unchunked compression */
    double decompress_seconds; /* chunked + unchunked decompression and comparison */
} lmc_baseline_result;

/* Progress: called after each chunk of the chunked pass and after the unchunked pass, with the
 * raw bytes done so far out of 2 * raw_bytes. */
typedef void (*lmc_progress_fn)(uint64_t done, uint64_t total, void *user);

/* lmc_baseline_measure() : the paper's protocol on `n_chunks` chunks of `chunk_bytes` at `data`:
 * each chunk compressed on its own and decompressed and compared, then all chunks as one stream,
 * also round-tripped. `length_scale` multiplies compressed lengths (lmc_mask_scale for --mask7,
 * else 1). `progress` may be NULL.
 * @return LMC_ERR_INVALID_ARGUMENT when n_chunks is 0, LMC_ERR_VERIFY_MISMATCH when a round trip
 * differs (the chunk is named), or the compressor's error. */
lmc_status lmc_baseline_measure(const lmc_baseline *baseline, const uint8_t *data, size_t n_chunks,
                                size_t chunk_bytes, double length_scale, lmc_progress_fn progress,
                                void *user, lmc_baseline_result *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_BASELINE_H */
