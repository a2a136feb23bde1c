// test_exact_rate.cpp : the rate cost of exactness (DESIGN.md §3) with the built-in "default"
// coding model on the enwik8 eval slice: bits/byte of the exact Q16 rows against the float
// model's log-probabilities rounded to Q16, both through the codec's quantiser (ideal code
// length -log2(freq/2^16)). The float model is the models/*.safetensors file whose quantisation
// has the default model's id. Must be < 1% (relative). Bounded: the first
// LMC_EXACT_RATE_WINDOWS windows of 2048 bytes (default 2; 0 = the whole slice;
// sanitizer builds measure one window of 512 bytes). Skips without
// the corpora.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>

#include "lmc/lmc.h"
#include "test_env.h"

namespace {
double CodeBits(const int32_t *row, uint8_t byte) {
    uint32_t freq[LMC_ROW_SIZE];
    lmc_quantize_row(row, freq);
    return -std::log2((double)freq[byte] / (double)LMC_FREQ_TOTAL);
}

// The float model under models/ whose coding model in format `format` is `id`, or nullptr.
lmc_model *FindFloatSource(const uint8_t id[32], int format) {
    std::string dir = std::string(LMC_SOURCE_DIR) + "/models";
    DIR *d = opendir(dir.c_str());
    if (!d) return nullptr;
    lmc_model *found = nullptr;
    while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() < 12 || n.substr(n.size() - 12) != ".safetensors" || found) continue;
        lmc_model *fm = nullptr;
        if (lmc_model_load((dir + "/" + n).c_str(), &fm) != LMC_OK) continue;
        lmc_exact_model *em = nullptr;
        uint8_t q[32];
        if (lmc_exact_quantize_format(fm, format, &em) == LMC_OK) {
            lmc_exact_model_id(em, q);
            if (std::memcmp(q, id, 32) == 0) found = fm;
        }
        lmc_exact_model_destroy(em);
        if (found != fm) lmc_model_destroy(fm);
    }
    closedir(d);
    return found;
}
}  // namespace

TEST(ExactRate, CostOfExactnessOnEnwik8EvalUnderOnePercent) {
    std::string data = lmc_test::DataDir();
    if (data.empty()) GTEST_SKIP() << "no corpora (LMC_DATA_DIR)";
    std::ifstream f(data + "/text/eval/enwik8_bytes_2604491-4154399.xml", std::ios::binary);
    if (!f) GTEST_SKIP() << "enwik8 eval slice absent";
    std::vector<uint8_t> text((std::istreambuf_iterator<char>(f)), {});
    lmc_exact_model *em = nullptr;
    ASSERT_EQ(lmc_exact_model_open("default", &em), LMC_OK) << lmc_last_error();
    uint8_t id[32];
    lmc_exact_model_id(em, id);
    lmc_model *fm = FindFloatSource(id, lmc_exact_model_format(em));
    ASSERT_TRUE(fm) << "no float model under models/ quantises to the default coding model";
#ifdef LMC_TEST_SMALL
    const size_t kDefaultWindows = 1, W = 512; // sanitizers: one 512-byte window
#else
    const size_t kDefaultWindows = 2, W = 2048;
#endif
    size_t windows = text.size() / W;
    const char *env = std::getenv("LMC_EXACT_RATE_WINDOWS");
    size_t want = env ? (size_t)std::strtoul(env, nullptr, 10) : kDefaultWindows;
    if (want && want < windows) windows = want;
    std::vector<int32_t> rows(W * 256), frows(W * 256);
    std::vector<float> lp(W * 256);
    double exact_bits = 0, float_bits = 0, crude_bits = 0;
    for (size_t w = 0; w < windows; w++) {
        const uint8_t *b = text.data() + w * W;
        ASSERT_EQ(lmc_exact_rows_ref(em, b, W, rows.data()), LMC_OK) << lmc_last_error();
        ASSERT_EQ(lmc_model_logprobs(fm, b, W, lp.data()), LMC_OK) << lmc_last_error();
        for (size_t i = 0; i < W * 256; i++) frows[i] = (int32_t)std::lround((double)lp[i] * 65536.0);
        for (size_t t = 0; t < W; t++) {
            exact_bits += CodeBits(&rows[t * 256], b[t]);
            float_bits += CodeBits(&frows[t * 256], b[t]);
            int32_t crude[256]; // the float logits rounded to multiples of 2 nats
            for (int c = 0; c < 256; c++)
                crude[c] = (int32_t)(std::lround(frows[t * 256 + c] / 131072.0) * 131072);
            crude_bits += CodeBits(crude, b[t]);
        }
    }
    double n = (double)(windows * W);
    double rel = (exact_bits - float_bits) / float_bits;
    std::printf("enwik8 eval, %zu windows of %zu bytes: exact %.5f bits/byte, float %.5f bits/byte, cost %+.4f%%\n",
                windows, W, exact_bits / n, float_bits / n, 100.0 * rel);
    EXPECT_LT(rel, 0.01);
    // Negative control: the same measurement reports a deliberately coarse "exact" path (the
    // float logits rounded to 2 nats) as costing more than 1%, so the bound is not vacuous.
    double crude_rel = (crude_bits - float_bits) / float_bits;
    std::printf("negative control (logits rounded to 2 nats): cost %+.4f%%\n", 100.0 * crude_rel);
    EXPECT_GT(crude_rel, 0.01);
    lmc_model_destroy(fm);
    lmc_exact_model_destroy(em);
}
