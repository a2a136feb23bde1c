/* roundtrip.c : a program outside lmc's tree, built against an installed lmc only (its headers
 * through <lmc/lmc.h>, liblmc through pkg-config or find_package(lmc)). It compresses a buffer of
 * English text with a coding model on cpu-ref through the public API and decompresses it again,
 * and exits 0 only when the round trip gives the same bytes, the stream is smaller than the text
 * (the model predicts: this is not a copy) and the library linked is the version of the headers.
 * It also round-trips the text through every classical baseline of the registry (zlib, liblzma,
 * libpng, libFLAC, zstd inside liblmc) and asks the data readers for a missing file, so that the
 * whole of liblmc, and each outside library it needs, is used from the install.
 *
 *   roundtrip [MODEL]     MODEL: "default" (the default built-in, inside liblmc), a built-in name
 *                         or a coding-model file; default "default"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmc/lmc.h>

static const char text[] =
    "lmc turns byte-level Transformer language models into lossless compressors, in C, on any "
    "OpenCL device, and its compressed files decode bit for bit on any other device. This program "
    "was built against an installed copy of the library, to show that its headers, its library "
    "and the files that describe how to link it agree with one another.\n";

static int fail(const char *what, lmc_status st) {
    fprintf(stderr, "roundtrip: %s: %s (%s)\n", what, lmc_status_str(st), lmc_last_error());
    return 1;
}

/* check_baselines() : every baseline of the registry round-trips text[0..n). */
static int check_baselines(size_t n) {
    size_t count = lmc_baseline_count();
    if (count == 0) {
        fprintf(stderr, "roundtrip: the baseline registry is empty\n");
        return 1;
    }
    uint8_t back[sizeof text];
    for (size_t i = 0; i < count; i++) {
        const lmc_baseline *b = lmc_baseline_get(i);
        lmc_buffer packed = {0};
        lmc_status st = b->compress((const uint8_t *)text, n, &packed);
        if (st == LMC_OK) st = b->decompress(packed.data, packed.len, back, n);
        size_t packed_len = packed.len;
        lmc_buffer_free(&packed);
        if (st != LMC_OK) return fail(b->name, st);
        if (memcmp(back, text, n) != 0) {
            fprintf(stderr, "roundtrip: baseline %s: the round trip differs\n", b->name);
            return 1;
        }
        printf("roundtrip: baseline %s: %zu -> %zu bytes, identical\n", b->name, n, packed_len);
    }
    return 0;
}

/* check_data_readers() : the PNG and audio readers answer a missing file with an error. */
static int check_data_readers(void) {
    uint8_t *gray = NULL, *bytes = NULL;
    uint32_t w = 0, h = 0;
    size_t n_bytes = 0;
    lmc_status img = lmc_image_load_gray("/nonexistent/lmc-install-test.png", &gray, &w, &h);
    lmc_status aud = lmc_audio_load_bytes("/nonexistent/lmc-install-test.flac", &bytes, &n_bytes);
    free(gray);
    free(bytes);
    if (img == LMC_OK || aud == LMC_OK) {
        fprintf(stderr, "roundtrip: a data reader accepted a missing file\n");
        return 1;
    }
    printf("roundtrip: data readers: missing files refused (%s, %s)\n", lmc_status_str(img), lmc_status_str(aud));
    return 0;
}

int main(int argc, char **argv) {
    const char *model_name = argc > 1 ? argv[1] : "default";
    const size_t n = sizeof text - 1;
    lmc_exact_model *model = NULL;
    lmc_device *device = NULL;
    lmc_predictor *pred = NULL;
    unsigned char *packed = NULL, *back = NULL;
    size_t packed_len = 0, back_len = 0;
    lmc_status st;
    int rc = 1;

    if (strcmp(lmc_version_string(), LMC_VERSION_STRING) != 0) {
        fprintf(stderr, "roundtrip: headers are lmc %s, the library linked is %s\n",
                LMC_VERSION_STRING, lmc_version_string());
        return 1;
    }
    if ((st = lmc_exact_model_open(model_name, &model)) != LMC_OK) return fail("model", st);
    if ((st = lmc_device_open("cpu-ref", &device)) != LMC_OK) {
        rc = fail("device cpu-ref", st);
        goto done;
    }
    if ((st = lmc_exact_predictor_create(model, device, NULL, &pred)) != LMC_OK) {
        rc = fail("predictor", st);
        goto done;
    }
    lmc_codec_params params = lmc_codec_params_default();
    lmc_model_config cfg = lmc_exact_model_get_config(model);
    if (cfg.context > 0 && (unsigned)cfg.context < params.window_size) params.window_size = (unsigned)cfg.context;

    size_t cap = lmc_compress_bound(n, params.window_size);
    packed = malloc(cap);
    back = malloc(n);
    if (!packed || !back) {
        fprintf(stderr, "roundtrip: out of memory\n");
        goto done;
    }
    if ((st = lmc_compress(packed, cap, text, n, &params, pred, &packed_len)) != LMC_OK) {
        rc = fail("compress", st);
        goto done;
    }
    if ((st = lmc_decompress(back, n, packed, packed_len, pred, &back_len)) != LMC_OK) {
        rc = fail("decompress", st);
        goto done;
    }
    if (back_len != n || memcmp(back, text, n) != 0) {
        fprintf(stderr, "roundtrip: decompressed %zu bytes differ from the %zu compressed\n", back_len, n);
        goto done;
    }
    if (packed_len >= n) {
        fprintf(stderr, "roundtrip: %zu bytes became %zu: the model did not predict\n", n, packed_len);
        goto done;
    }
    printf("roundtrip: lmc %s, model %s on cpu-ref: %zu -> %zu -> %zu bytes, identical\n",
           lmc_version_string(), model_name, n, packed_len, back_len);
    if (check_baselines(n) != 0 || check_data_readers() != 0) goto done;
    rc = 0;
done:
    free(packed);
    free(back);
    lmc_exact_predictor_destroy(pred);
    lmc_device_destroy(device);
    lmc_exact_model_destroy(model);
    return rc;
}
