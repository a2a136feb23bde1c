/* baseline_registry.c : the registry of classical compressors (Table 1 order, then zstd) and the
 * paper's measurement (DESIGN.md §6):
 *   chunked   = scale * (sum len(compress(chunk)) - (n - 1) * len(compress(one zero byte))) / raw
 *   unchunked = scale * len(compress(all chunks as one stream)) / raw
 * so a classical compressor's header is counted once. Every chunk and the whole stream are
 * decompressed and compared: a rate is only reported for data that came back exactly. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline_internal.h"

static const lmc_baseline *const registry[] = {&lmc_baseline_gzip, &lmc_baseline_lzma2, &lmc_baseline_png,
                                               &lmc_baseline_flac, &lmc_baseline_zstd};

size_t lmc_baseline_count(void) { return sizeof registry / sizeof registry[0]; }

const lmc_baseline *lmc_baseline_get(size_t index) {
    return index < lmc_baseline_count() ? registry[index] : NULL;
}

const lmc_baseline *lmc_baseline_find(const char *name) {
    for (size_t i = 0; name && i < lmc_baseline_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

void lmc_buffer_free(lmc_buffer *buf) {
    if (!buf) return;
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

lmc_status lmc_buffer_reserve(lmc_buffer *buf, size_t cap) {
    if (cap <= buf->cap) return LMC_OK;
    uint8_t *p = realloc(buf->data, cap);
    LMC_RETURN_IF(!p, LMC_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte buffer", cap);
    buf->data = p;
    buf->cap = cap;
    return LMC_OK;
}

static double now_seconds(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

lmc_status lmc_baseline_measure(const lmc_baseline *b, const uint8_t *data, size_t n_chunks,
                                size_t chunk_bytes, double length_scale, lmc_progress_fn progress,
                                void *user, lmc_baseline_result *out) {
    LMC_RETURN_IF(!b || !out || (!data && n_chunks), LMC_ERR_INVALID_ARGUMENT,
                  "lmc_baseline_measure: NULL argument");
    LMC_RETURN_IF(n_chunks == 0 || chunk_bytes == 0, LMC_ERR_INVALID_ARGUMENT,
                  "%s: no whole chunk to compress", b->name);
    LMC_RETURN_IF(!(length_scale > 0), LMC_ERR_INVALID_ARGUMENT, "%s: length scale must be positive", b->name);
    memset(out, 0, sizeof *out);
    const size_t raw = n_chunks * chunk_bytes;
    out->raw_bytes = raw;
    out->n_chunks = n_chunks;
    out->length_scale = length_scale;
    lmc_buffer buf = {NULL, 0, 0};
    lmc_status status = LMC_OK;
    uint8_t *back = malloc(raw);
    if (!back) {
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", b->name, raw);
        goto fail;
    }
    static const uint8_t zero = 0;
    status = b->compress(&zero, 1, &buf);
    if (status != LMC_OK) goto fail;
    out->header_bytes = buf.len;

    for (size_t i = 0; i < n_chunks; i++) {
        const uint8_t *chunk = data + i * chunk_bytes;
        double t0 = now_seconds();
        status = b->compress(chunk, chunk_bytes, &buf);
        double t1 = now_seconds();
        if (status != LMC_OK) goto fail;
        out->chunked_sum += buf.len;
        status = b->decompress(buf.data, buf.len, back, chunk_bytes);
        if (status == LMC_OK && memcmp(back, chunk, chunk_bytes) != 0)
            status = lmc_set_error(LMC_ERR_VERIFY_MISMATCH, "%s: chunk %zu does not round-trip", b->name, i);
        out->compress_seconds += t1 - t0;
        out->decompress_seconds += now_seconds() - t1;
        if (status != LMC_OK) goto fail;
        if (progress) progress((uint64_t)(i + 1) * chunk_bytes, 2 * (uint64_t)raw, user);
    }

    double t0 = now_seconds();
    status = b->compress(data, raw, &buf);
    double t1 = now_seconds();
    if (status != LMC_OK) goto fail;
    out->unchunked_bytes = buf.len;
    status = b->decompress(buf.data, buf.len, back, raw);
    if (status == LMC_OK && memcmp(back, data, raw) != 0)
        status = lmc_set_error(LMC_ERR_VERIFY_MISMATCH, "%s: the unchunked stream does not round-trip", b->name);
    out->compress_seconds += t1 - t0;
    out->decompress_seconds += now_seconds() - t1;
    if (status != LMC_OK) goto fail;
    if (progress) progress(2 * (uint64_t)raw, 2 * (uint64_t)raw, user);

    out->chunked_rate = length_scale *
                        ((double)out->chunked_sum - (double)(n_chunks - 1) * (double)out->header_bytes) /
                        (double)raw;
    out->unchunked_rate = length_scale * (double)out->unchunked_bytes / (double)raw;
fail:
    free(back);
    lmc_buffer_free(&buf);
    return status;
}
