// test_golden.cpp : the golden .lmc files (test/golden/*.lmc, made with the frozen tiny coding
// model test/golden/tiny.exact.safetensors, window 64) decode to their committed originals on
// cpu-ref and every required OpenCL device, forever; today's encoder writes them byte for byte.
// Negative controls: a different model is refused (MODEL_MISMATCH), and a perturbed kernel
// cannot decode them (an error, never wrong bytes).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "../determinism/exact_test_util.h"
#include "test_env.h"

using namespace exact_test;

namespace {
std::vector<uint8_t> ReadFile(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
const char *const kNames[] = {"text", "image", "audio", "random"};

void DecodeAllOn(lmc_device *dev, const char *label) {
    lmc_exact_model *m = LoadTiny();
    ASSERT_TRUE(m) << lmc_last_error();
    lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
    p.max_windows = 2;
    lmc_predictor *pred = nullptr;
    ASSERT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
    for (const char *n : kNames) {
        std::vector<uint8_t> lmc = ReadFile(GoldenDir() + "/" + n + ".lmc"), orig = ReadFile(GoldenDir() + "/" + n + ".bin");
        ASSERT_FALSE(lmc.empty() || orig.empty()) << n;
        lmc_status st;
        std::vector<uint8_t> back = Decompress(pred, lmc, orig.size(), &st);
        EXPECT_EQ(st, LMC_OK) << n << " on " << label << ": " << lmc_last_error();
        EXPECT_EQ(back, orig) << n << " on " << label;
    }
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(m);
}
}  // namespace

TEST(Golden, DecodesOnCpuRefAndTodaysEncoderWritesTheSameBytes) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    DecodeAllOn(dev, "cpu-ref");
    lmc_exact_model *m = LoadTiny();
    ASSERT_TRUE(m);
    lmc_predictor *pred = nullptr;
    ASSERT_EQ(lmc_exact_predictor_create(m, dev, nullptr, &pred), LMC_OK);
    for (const char *n : kNames) {
        lmc_status st;
        std::vector<uint8_t> bytes = Compress(pred, ReadFile(GoldenDir() + "/" + n + ".bin"), 64, &st);
        EXPECT_EQ(st, LMC_OK);
        EXPECT_EQ(bytes, ReadFile(GoldenDir() + "/" + n + ".lmc")) << n;
    }
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(m);
    lmc_device_destroy(dev);
}

TEST(Golden, DecodesOnEveryCoveredDevice) {
    for (const std::string &name : lmc_test::CoveredDeviceNames()) {
        int idx = lmc_test::FindDevice(name);
        if (idx < 0) {
            if (lmc_test::IsRequired(name)) ADD_FAILURE() << "required device '" << name << "' missing";
            continue;
        }
        lmc_device *dev = nullptr;
        ASSERT_EQ(lmc_device_create(&lmc_test::Devices()[idx], &dev), LMC_OK) << lmc_last_error();
        DecodeAllOn(dev, name.c_str());
        lmc_device_destroy(dev);
    }
}

TEST(Golden, NegativeControlsWrongModelAndPerturbedKernel) {
    // A coding model with one weight changed has another id: refused before any decoding.
    std::vector<uint8_t> good = ReadFile(GoldenDir() + "/tiny.exact.safetensors");
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)good[k] << (8 * k);
    std::string hdr(good.begin() + 8, good.begin() + 8 + (long)hl);
    size_t a = std::stoul(hdr.substr(hdr.find("[", hdr.find("\"layer1.ffn.w2\"")) + 1));
    good[8 + hl + a] ^= 1;
    lmc_exact_model *other = nullptr;
    ASSERT_EQ(lmc_exact_model_load_memory(good.data(), good.size(), &other), LMC_OK);
    lmc_device *ref = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &ref), LMC_OK);
    lmc_predictor *pred = nullptr;
    ASSERT_EQ(lmc_exact_predictor_create(other, ref, nullptr, &pred), LMC_OK);
    lmc_status st;
    Decompress(pred, ReadFile(GoldenDir() + "/text.lmc"), 80, &st);
    EXPECT_EQ(st, LMC_ERR_MODEL_MISMATCH);
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(other);
    lmc_device_destroy(ref);
    // The real model with a perturbed kernel: the rows differ, so decoding fails its checks.
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    lmc_exact_model *m = LoadTiny();
    lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
    p.kernel_preamble = "#define LMC_EXACT_PERTURB 1\n";
    ASSERT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
    std::vector<uint8_t> orig = ReadFile(GoldenDir() + "/text.bin");
    std::vector<uint8_t> back = Decompress(pred, ReadFile(GoldenDir() + "/text.lmc"), orig.size(), &st);
    EXPECT_NE(st, LMC_OK);
    EXPECT_NE(back, orig);
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(m);
    lmc_device_destroy(dev);
}
