// exact_test_util.h : what the exact-path tests share: the frozen tiny coding model, the four
// kinds of input (text, image patch, audio chunk, random), row hashes, one-shot coding.
#ifndef LMC_EXACT_TEST_UTIL_H
#define LMC_EXACT_TEST_UTIL_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lmc/lmc.h"

namespace exact_test {

inline std::string GoldenDir() { return std::string(LMC_SOURCE_DIR) + "/test/golden"; }

// The frozen tiny coding model (C16 L2 NH2 T64) in format `format` (1: lmc-exact-1, 2:
// lmc-exact-2: the same float model quantised by `lmc quantize`'s default); caller destroys.
inline lmc_exact_model *LoadTiny(int format = 1) {
    lmc_exact_model *m = nullptr;
    const char *file = format == 2 ? "/tiny.exact2.safetensors" : "/tiny.exact.safetensors";
    if (lmc_exact_model_load((GoldenDir() + file).c_str(), &m) != LMC_OK) return nullptr;
    return m;
}

// Test-name suffix of a format parameter.
inline std::string FormatName(int format) { return format == 2 ? "lmc_exact_2" : "lmc_exact_1"; }

// n bytes of one kind: 0 text, 1 image patch (rows of a gradient with texture), 2 audio chunk
// (a 440 Hz tone as (sample >> 8) + 128), 3 seeded random bytes.
inline std::vector<uint8_t> Input(int kind, size_t n) {
    std::vector<uint8_t> v(n);
    static const char text[] = "In the beginning the Transformer predicted every next byte, and the coder wrote it down. ";
    uint32_t s = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: v[i] = (uint8_t)text[i % (sizeof text - 1)]; break;
        case 1: v[i] = (uint8_t)(((i % 64) * 3 + (i / 64) * 5) / 2 + ((i * 7) % 5)); break;
        case 2: v[i] = (uint8_t)(((int)(3000 * std::sin(2 * M_PI * 440.0 * (double)i / 16000.0)) >> 8) + 128); break;
        default:
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            v[i] = (uint8_t)(s >> 24);
        }
    }
    return v;
}

inline const char *KindName(int kind) {
    static const char *const names[] = {"text", "image-patch", "audio-chunk", "random"};
    return names[kind];
}

inline std::string Hash(const void *data, size_t n) {
    uint8_t d[32];
    char hex[65];
    lmc_sha256(data, n, d);
    lmc_sha256_hex(d, hex);
    return hex;
}

// Compress src with pred (window W); empty vector on error (the detail in lmc_last_error()).
inline std::vector<uint8_t> Compress(lmc_predictor *pred, const std::vector<uint8_t> &src, uint32_t W, lmc_status *st) {
    lmc_codec_params p = lmc_codec_params_default();
    p.window_size = W;
    std::vector<uint8_t> out(lmc_compress_bound(src.size(), W));
    size_t len = 0;
    *st = lmc_compress(out.data(), out.size(), src.data(), src.size(), &p, pred, &len);
    out.resize(*st == LMC_OK ? len : 0);
    return out;
}

inline std::vector<uint8_t> Decompress(lmc_predictor *pred, const std::vector<uint8_t> &src, size_t cap, lmc_status *st) {
    std::vector<uint8_t> out(cap + 1);
    size_t len = 0;
    *st = lmc_decompress(out.data(), out.size(), src.data(), src.size(), pred, &len);
    out.resize(*st == LMC_OK ? len : 0);
    return out;
}

}  // namespace exact_test

#endif  // LMC_EXACT_TEST_UTIL_H
