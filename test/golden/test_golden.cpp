// test_golden.cpp : the golden .lmc files, made with the frozen tiny coding model
// test/golden/tiny.exact.safetensors, window 64, decode to their committed originals on cpu-ref
// and every required OpenCL device, forever: the version-1 files NAME.lmc (written by the
// version-1 encoder, which no longer exists: no window stored) and the version-2 files
// NAME.v2.lmc (the same inputs, plus mixed.bin: text, random, text); and NAME.x2.lmc, the
// version-2 files of the same inputs coded with tiny.exact2.safetensors (the tiny model in format
// lmc-exact-2). Today's encoder writes the
// version-2 files byte for byte, on cpu-ref and, for mixed.bin (coded and stored windows), on
// every covered device and with 1, 2 and 3 windows per batch; exactly the windows the tiny model
// cannot shrink are stored there. Negative controls: a different model is refused
// (MODEL_MISMATCH), and a perturbed kernel cannot decode them (an error, never wrong bytes).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "../determinism/exact_test_util.h"
#include "frame_kinds.h"
#include "test_env.h"

using namespace exact_test;

namespace {
std::vector<uint8_t> ReadFile(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
struct GoldenFile {
    const char *name, *suffix;   // NAME.bin is coded as NAME + suffix
    unsigned version;
    const char *kinds;           // frame kinds ('C' coded, 'S' stored), by FORMAT.md §3
    int model_format;            // the tiny model's format that coded it (LoadTiny())
};
const GoldenFile kFiles[] = {
    {"text", ".lmc", 1, "CC", 1},        {"image", ".lmc", 1, "C", 1},       {"audio", ".lmc", 1, "C", 1},
    {"random", ".lmc", 1, "C", 1},       {"text", ".v2.lmc", 2, "CC", 1},    {"image", ".v2.lmc", 2, "S", 1},
    {"audio", ".v2.lmc", 2, "S", 1},     {"random", ".v2.lmc", 2, "S", 1},   {"mixed", ".v2.lmc", 2, "CCSSCC", 1},
    {"text", ".x2.lmc", 2, "CC", 2},     {"image", ".x2.lmc", 2, "S", 2},    {"audio", ".x2.lmc", 2, "S", 2},
    {"random", ".x2.lmc", 2, "S", 2},    {"mixed", ".x2.lmc", 2, "CCSSCC", 2},
};

std::string Path(const GoldenFile &g, const char *suffix) { return GoldenDir() + "/" + g.name + suffix; }

void DecodeAllOn(lmc_device *dev, const char *label) {
  for (int format : {1, 2}) {
    lmc_exact_model *m = LoadTiny(format);
    ASSERT_TRUE(m) << lmc_last_error();
    lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
    p.max_windows = 2;
    lmc_predictor *pred = nullptr;
    ASSERT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
    for (const GoldenFile &g : kFiles) {
        if (g.model_format != format) continue;
        std::vector<uint8_t> lmc = ReadFile(Path(g, g.suffix)), orig = ReadFile(Path(g, ".bin"));
        ASSERT_FALSE(lmc.empty() || orig.empty()) << g.name << g.suffix;
        lmc_status st;
        std::vector<uint8_t> back = Decompress(pred, lmc, orig.size(), &st);
        EXPECT_EQ(st, LMC_OK) << g.name << g.suffix << " on " << label << ": " << lmc_last_error();
        EXPECT_EQ(back, orig) << g.name << g.suffix << " on " << label;
    }
    lmc_exact_predictor_destroy(pred);
    lmc_exact_model_destroy(m);
  }
}

// Encode mixed.bin on `dev` with 1, 2 and 3 windows per batch: each gives mixed.v2.lmc (the
// tiny model of lmc-exact-1) and mixed.x2.lmc (lmc-exact-2).
void EncodeMixedOn(lmc_device *dev, const char *label, std::initializer_list<size_t> batches) {
  for (int format : {1, 2}) {
    lmc_exact_model *m = LoadTiny(format);
    ASSERT_TRUE(m) << lmc_last_error();
    const std::vector<uint8_t> in = ReadFile(GoldenDir() + "/mixed.bin"),
                               want = ReadFile(GoldenDir() + (format == 2 ? "/mixed.x2.lmc" : "/mixed.v2.lmc"));
    ASSERT_FALSE(in.empty() || want.empty());
    for (size_t batch : batches) {
        lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
        p.max_windows = batch;
        lmc_predictor *pred = nullptr;
        ASSERT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
        lmc_status st;
        EXPECT_EQ(Compress(pred, in, 64, &st), want) << "mixed (format " << format << ") on " << label << ", batch " << batch
                                                      << ": " << lmc_last_error();
        lmc_exact_predictor_destroy(pred);
    }
    lmc_exact_model_destroy(m);
  }
}
}  // namespace

// On cpu-ref: every golden file decodes; each has the version and the frame kinds listed above
// (the version-1 files none stored: version 1 has no stored frames); today's encoder writes
// every version-2 file byte for byte, stores exactly the windows whose coded payload would not
// be shorter than the window (each window coded alone is the oracle), and cannot write the
// version-1 files any more (they differ; they stay to be decoded).
TEST(Golden, DecodesOnCpuRefAndTodaysEncoderWritesTheSameBytes) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    DecodeAllOn(dev, "cpu-ref");
    lmc_exact_model *models[2] = {LoadTiny(1), LoadTiny(2)};
    ASSERT_TRUE(models[0] && models[1]);
    lmc_predictor *preds[2] = {nullptr, nullptr};
    for (int k = 0; k < 2; k++) ASSERT_EQ(lmc_exact_predictor_create(models[k], dev, nullptr, &preds[k]), LMC_OK);
    for (const GoldenFile &g : kFiles) {
        SCOPED_TRACE(std::string(g.name) + g.suffix);
        lmc_predictor *pred = preds[g.model_format - 1];
        std::vector<uint8_t> file = ReadFile(Path(g, g.suffix)), orig = ReadFile(Path(g, ".bin"));
        lmc_container_info info;
        ASSERT_EQ(lmc_container_info_read(file.data(), file.size(), &info), LMC_OK) << lmc_last_error();
        EXPECT_EQ(info.format_version, g.version);
        EXPECT_EQ(lmc_test::FrameKinds(file), g.kinds);
        lmc_status st;
        std::vector<uint8_t> bytes = Compress(pred, orig, 64, &st);
        EXPECT_EQ(st, LMC_OK);
        if (g.version == 1) {
            EXPECT_NE(bytes, file) << "the writer writes version 2 only";
            continue;
        }
        EXPECT_EQ(bytes, file);
        std::string oracle;
        for (size_t at = 0; at < orig.size(); at += 64) {
            std::vector<uint8_t> one(orig.begin() + (long)at, orig.begin() + (long)std::min(orig.size(), at + 64));
            lmc_codec_params cp = lmc_codec_params_default();
            cp.window_size = 64;
            lmc_encoder *e = nullptr;
            struct Sink {
                static lmc_status Write(void *, const void *, size_t) { return LMC_OK; }
            };
            ASSERT_EQ(lmc_encoder_create(&cp, pred, Sink::Write, nullptr, &e), LMC_OK);
            ASSERT_EQ(lmc_encoder_write(e, one.data(), one.size()), LMC_OK);
            lmc_codec_stats cs{};
            ASSERT_EQ(lmc_encoder_finish(e, &cs), LMC_OK);
            lmc_encoder_destroy(e);
            oracle += cs.model_bytes >= one.size() ? 'S' : 'C';
        }
        EXPECT_EQ(oracle, g.kinds) << "stored exactly where the coded payload would not be shorter";
    }
    EncodeMixedOn(dev, "cpu-ref", {1, 2, 3});
    for (int k = 0; k < 2; k++) {
        lmc_exact_predictor_destroy(preds[k]);
        lmc_exact_model_destroy(models[k]);
    }
    lmc_device_destroy(dev);
}

// Every covered device decodes every golden file, and writes mixed.v2.lmc (coded and stored
// windows) byte for byte: with 1, 2 and 3 windows per batch on PoCL, with 2 on oclgrind (a
// simulator: about a second per window).
TEST(Golden, DecodesAndWritesTheSameBytesOnEveryCoveredDevice) {
    for (const std::string &name : lmc_test::CoveredDeviceNames()) {
        int idx = lmc_test::FindDevice(name);
        if (idx < 0) {
            if (lmc_test::IsRequired(name)) ADD_FAILURE() << "required device '" << name << "' missing";
            continue;
        }
        lmc_device *dev = nullptr;
        ASSERT_EQ(lmc_device_create(&lmc_test::Devices()[idx], &dev), LMC_OK) << lmc_last_error();
        DecodeAllOn(dev, name.c_str());
        if (name.find("oclgrind") != std::string::npos)
            EncodeMixedOn(dev, name.c_str(), {2});
        else
            EncodeMixedOn(dev, name.c_str(), {1, 2, 3});
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
    // The same tensors in the other format are another model: each format's files refuse the other.
    for (int format : {1, 2}) {
        lmc_exact_model *wrong = LoadTiny(3 - format);
        ASSERT_TRUE(wrong);
        ASSERT_EQ(lmc_exact_predictor_create(wrong, ref, nullptr, &pred), LMC_OK);
        Decompress(pred, ReadFile(GoldenDir() + (format == 2 ? "/text.x2.lmc" : "/text.v2.lmc")), 80, &st);
        EXPECT_EQ(st, LMC_ERR_MODEL_MISMATCH) << "format " << format;
        lmc_exact_predictor_destroy(pred);
        lmc_exact_model_destroy(wrong);
    }
    lmc_device_destroy(ref);
    // The real model with a perturbed kernel: the rows differ, so decoding fails its checks.
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    for (int format : {1, 2}) {
        lmc_exact_model *m = LoadTiny(format);
        lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
        p.kernel_preamble = "#define LMC_EXACT_PERTURB 1\n";
        ASSERT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
        std::vector<uint8_t> orig = ReadFile(GoldenDir() + "/text.bin");
        std::vector<uint8_t> back = Decompress(pred, ReadFile(GoldenDir() + (format == 2 ? "/text.x2.lmc" : "/text.lmc")), orig.size(), &st);
        EXPECT_NE(st, LMC_OK) << "format " << format;
        EXPECT_NE(back, orig) << "format " << format;
        lmc_exact_predictor_destroy(pred);
        lmc_exact_model_destroy(m);
    }
    lmc_device_destroy(dev);
}
