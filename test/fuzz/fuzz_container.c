/* fuzz_container.c : libFuzzer target for the `.lmc` readers (LMC_FUZZ=ON, clang only).
 * Any input goes through the streaming decoder (via lmc_decompress), the seek-path index
 * reader and the index reader of sharded coding (lmc_container_index_read, which reads no
 * frame); none may crash, leak or trip a sanitizer, and the index reader accepts every stream
 * the others accept, with the same counts. Oracle: a version-2 stream the decoder
 * accepts must be exactly what the encoder writes for the decoded bytes (the format has one
 * encoding of each input, stored windows included), so an accepted input is re-encoded and
 * compared. An accepted version-1 stream (no writer makes those any more) must re-encode to a
 * version-2 stream that decodes to the same bytes. The predictor is the one of the seeds
 * test/fuzz/corpus/sample.lmc (version 1) and sample.v2.lmc (coded and stored windows): random
 * rows, seed 1, so mutations of the seeds reach the frames of both versions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmc/codec.h"

#define OUT_CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static lmc_status input_read_at(void *user, uint64_t off, void *dst, size_t n) {
    const input *in = user;
    if (off > in->n || n > in->n - off) return lmc_set_error(LMC_ERR_TRUNCATED, "past the end");
    if (n) memcpy(dst, in->p + off, n);
    return LMC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lmc_predictor *pred;
    static uint8_t *out, *again, *back;
    if (!pred) {
        if (lmc_predictor_synthetic_create(LMC_SYNTHETIC_RANDOM, 1, 4, &pred) != LMC_OK) abort();
        out = malloc(OUT_CAP);
        again = malloc(lmc_compress_bound(OUT_CAP, 1));
        back = malloc(OUT_CAP);
        if (!out || !again || !back) abort();
    }
    lmc_container_info info;
    lmc_status info_status = lmc_container_info_read(data, size, &info);
    input in = {data, size};
    lmc_container_index index;
    lmc_status index_status = lmc_container_index_read(input_read_at, &in, size, &index);
    if (index_status != LMC_OK && lmc_last_error()[0] == '\0') abort();
    if (info_status == LMC_OK && (index_status != LMC_OK || index.info.n_windows != info.n_windows ||
                                  index.info.original_bytes != info.original_bytes))
        abort(); /* what the full walk accepts, the index alone accepts alike */
    lmc_container_index_free(&index);
    size_t n = 0;
    lmc_status s = lmc_decompress(out, OUT_CAP, data, size, pred, &n);
    if (s != LMC_OK) {
        if (lmc_last_error()[0] == '\0') abort(); /* every error says why */
        return 0;
    }
    if (info_status != LMC_OK || info.original_bytes != n) abort(); /* both readers agree */
    lmc_codec_params params = lmc_codec_params_default();
    params.window_size = info.window_size;
    size_t m = 0;
    if (lmc_compress(again, lmc_compress_bound(n, info.window_size), out, n, &params, pred, &m) != LMC_OK)
        abort();
    if (info.format_version >= 2) {
        if (m != size || memcmp(again, data, size) != 0) abort(); /* accepted => canonical */
    } else {
        size_t k = 0;
        if (lmc_decompress(back, OUT_CAP, again, m, pred, &k) != LMC_OK || k != n || memcmp(back, out, n) != 0)
            abort(); /* a version-1 stream's bytes survive the version-2 writer */
    }
    /* The seek path agrees with the streaming decoder on the first and last windows. */
    for (uint64_t k = 0; k < info.n_windows; k += info.n_windows - 1 ? info.n_windows - 1 : 1) {
        size_t len = 0;
        if (lmc_decompress_window(data, size, pred, k, again, info.window_size, &len) != LMC_OK) abort();
        if (memcmp(again, out + k * info.window_size, len) != 0) abort();
    }
    return 0;
}
