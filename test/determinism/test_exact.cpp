// test_exact.cpp : the determinism contract (DESIGN.md §3) on the exact path with the frozen tiny
// coding model: the same rows (hash of all rows) and the same .lmc bytes on cpu-ref, PoCL pthread,
// PoCL basic and oclgrind for text, image-patch, audio-chunk and random inputs; files decode on
// every device; batch sizes 1, 3, 64 and work-group sizes give the same bytes; incremental rows
// equal whole-window rows at every position. Every comparison has a negative control: a kernel
// variant built with a preamble #define (cl/exact/exact.cl, LMC_EXACT_PERTURB*) must be reported as
// mismatching by the same comparison. oclgrind gets short inputs only (it interprets).
#include <gtest/gtest.h>

#include <memory>

#include "exact_test_util.h"
#include "test_env.h"

using namespace exact_test;

namespace {

const uint32_t kW = 64;        // the tiny model's context, the window of these tests
const size_t kLen = 16;        // bytes per input: short, for oclgrind

struct Dev {
    std::string name;
    lmc_device *dev = nullptr;
};

// cpu-ref first, then every covered OpenCL device present (a required one missing fails).
std::vector<Dev> OpenDevices(bool *failed) {
    std::vector<Dev> out;
    Dev ref{"cpu-ref", nullptr};
    if (lmc_device_open("cpu-ref", &ref.dev) != LMC_OK) {
        *failed = true;
        return out;
    }
    out.push_back(ref);
    for (const std::string &n : lmc_test::CoveredDeviceNames()) {
        int idx = lmc_test::FindDevice(n);
        if (idx < 0) {
            if (lmc_test::IsRequired(n)) {
                ADD_FAILURE() << "required device '" << n << "' missing";
                *failed = true;
            } else {
                std::printf("device '%s' not present: not covered here\n", n.c_str());
            }
            continue;
        }
        Dev d{n, nullptr};
        if (lmc_device_create(&lmc_test::Devices()[idx], &d.dev) != LMC_OK) {
            ADD_FAILURE() << n << ": " << lmc_last_error();
            *failed = true;
            continue;
        }
        out.push_back(d);
    }
    return out;
}

void CloseDevices(std::vector<Dev> &devs) {
    for (Dev &d : devs) lmc_device_destroy(d.dev);
}

lmc_predictor *MakePred(const lmc_exact_model *m, lmc_device *dev, size_t max_windows, size_t local = 0,
                        const char *preamble = nullptr) {
    lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
    p.max_windows = max_windows;
    p.local_size = local;
    p.kernel_preamble = preamble;
    lmc_predictor *pred = nullptr;
    if (lmc_exact_predictor_create(m, dev, &p, &pred) != LMC_OK) {
        ADD_FAILURE() << "predictor: " << lmc_last_error();
        return nullptr;
    }
    return pred;
}

// Hash of the rows of the 4 inputs (positions < kLen), computed in one batch of 4 windows.
std::string RowsHash(lmc_predictor *pred) {
    std::vector<std::vector<uint8_t>> in;
    std::vector<const uint8_t *> ptr;
    std::vector<size_t> lens;
    for (int k = 0; k < 4; k++) in.push_back(Input(k, kLen));
    for (auto &v : in) {
        ptr.push_back(v.data());
        lens.push_back(v.size());
    }
    std::vector<int32_t> rows(4 * kW * 256);
    EXPECT_EQ(pred->vtable->encode_rows(pred->ctx, 4, ptr.data(), lens.data(), kW, rows.data()), LMC_OK) << lmc_last_error();
    std::string all;
    for (size_t w = 0; w < 4; w++) all += Hash(&rows[w * kW * 256], kLen * 256 * sizeof(int32_t));
    return Hash(all.data(), all.size());
}

}  // namespace

// Every test runs for both coding model formats (lmc-exact-1 and lmc-exact-2).
class ExactRows : public ::testing::TestWithParam<int> {};
class ExactCodec : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Formats, ExactRows, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int> &i) { return FormatName(i.param); });
INSTANTIATE_TEST_SUITE_P(Formats, ExactCodec, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int> &i) { return FormatName(i.param); });

// The rows of every device equal the oracle's (lmc_exact_rows_ref), by hash over all rows.
TEST_P(ExactRows, SameRowsOnEveryDevice) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m) << lmc_last_error();
    std::string all;
    for (int k = 0; k < 4; k++) {
        std::vector<uint8_t> in = Input(k, kLen);
        std::vector<int32_t> rows(kLen * 256);
        ASSERT_EQ(lmc_exact_rows_ref(m.get(), in.data(), in.size(), rows.data()), LMC_OK);
        all += Hash(rows.data(), rows.size() * sizeof(int32_t));
    }
    const std::string oracle = Hash(all.data(), all.size());
    bool failed = false;
    std::vector<Dev> devs = OpenDevices(&failed);
    ASSERT_FALSE(failed);
    for (Dev &d : devs) {
        lmc_predictor *pred = MakePred(m.get(), d.dev, 4);
        ASSERT_TRUE(pred);
        std::string h = RowsHash(pred);
        std::printf("rows hash %-8s %s\n", d.name.c_str(), h.c_str());
        EXPECT_EQ(h, oracle) << d.name;
        lmc_exact_predictor_destroy(pred);
    }
    CloseDevices(devs);
}

// Negative control: a kernel variant that rounds its requantisations down instead of half up
// gives other rows, and the comparison above reports it.
TEST_P(ExactRows, PerturbedKernelIsDetected) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    lmc_predictor *good = MakePred(m.get(), dev, 4), *bad = MakePred(m.get(), dev, 4, 0, "#define LMC_EXACT_PERTURB 1\n");
    ASSERT_TRUE(good && bad);
    EXPECT_NE(RowsHash(good), RowsHash(bad));
    lmc_exact_predictor_destroy(good);
    lmc_exact_predictor_destroy(bad);
    lmc_device_destroy(dev);
}

// The same .lmc bytes from every device for the four kinds of input, and each file decodes on
// every device. Since every device's file is asserted equal to cpu-ref's byte for byte, decoding
// cpu-ref's file on each device covers every (encoder, decoder) pair.
TEST_P(ExactCodec, SameBytesOnEveryDeviceAndEachDecodesEverywhere) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    bool failed = false;
    std::vector<Dev> devs = OpenDevices(&failed);
    ASSERT_FALSE(failed);
    for (int k = 0; k < 4; k++) {
        std::vector<uint8_t> in = Input(k, kLen);
        std::vector<uint8_t> ref_bytes;
        for (Dev &d : devs) {
            lmc_predictor *pred = MakePred(m.get(), d.dev, 1);
            ASSERT_TRUE(pred);
            lmc_status st;
            std::vector<uint8_t> bytes = Compress(pred, in, kW, &st);
            ASSERT_EQ(st, LMC_OK) << d.name << ": " << lmc_last_error();
            if (d.name == "cpu-ref") ref_bytes = bytes;
            EXPECT_EQ(bytes, ref_bytes) << KindName(k) << " on " << d.name;
            std::vector<uint8_t> back = Decompress(pred, ref_bytes, in.size(), &st);
            EXPECT_EQ(st, LMC_OK) << d.name << ": " << lmc_last_error();
            EXPECT_EQ(back, in) << KindName(k) << " decoded on " << d.name;
            lmc_exact_predictor_destroy(pred);
        }
        std::printf("%-12s %zu -> %zu bytes, same on %zu devices\n", KindName(k), in.size(), ref_bytes.size(), devs.size());
    }
    CloseDevices(devs);
}

// Negative control: a file from the perturbed kernel differs from cpu-ref's, and cpu-ref refuses
// to decode it (an error, never wrong bytes).
TEST_P(ExactCodec, PerturbedKernelBytesDifferAndFailToDecode) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    lmc_device *dev = nullptr, *ref = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    ASSERT_EQ(lmc_device_open("cpu-ref", &ref), LMC_OK);
    lmc_predictor *bad = MakePred(m.get(), dev, 1, 0, "#define LMC_EXACT_PERTURB 1\n"), *good = MakePred(m.get(), ref, 1);
    ASSERT_TRUE(bad && good);
    std::vector<uint8_t> in = Input(0, 3 * kW);
    lmc_status st;
    std::vector<uint8_t> b = Compress(bad, in, kW, &st), g = Compress(good, in, kW, &st);
    EXPECT_NE(b, g);
    std::vector<uint8_t> back = Decompress(good, b, in.size(), &st);
    EXPECT_NE(st, LMC_OK);
    lmc_exact_predictor_destroy(bad);
    lmc_exact_predictor_destroy(good);
    lmc_device_destroy(dev);
    lmc_device_destroy(ref);
}

// Batch sizes 1, 3, 64 and work-group sizes (driver's choice, 1, 4) give the same bytes on
// PoCL pthread and basic as cpu-ref with batches of 64, over 70 windows of 16 bytes (a short last
// window included). (oclgrind is left out of this sweep for time; it is in the tests above.)
void BatchSweep(const char *device, int format) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(format), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    const uint32_t W = 16;
    std::vector<uint8_t> in = Input(0, 69 * W + 5);
    std::vector<uint8_t> rnd = Input(3, 3 * W);
    in.insert(in.begin() + 100, rnd.begin(), rnd.end());
    lmc_device *dev = nullptr, *ref = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(device, dev);
    ASSERT_EQ(lmc_device_open("cpu-ref", &ref), LMC_OK);
    lmc_status st;
    lmc_predictor *rp = MakePred(m.get(), ref, 64);
    std::vector<uint8_t> expect = Compress(rp, in, W, &st);
    ASSERT_EQ(st, LMC_OK);
    lmc_exact_predictor_destroy(rp);
    for (size_t batch : {1, 3, 64})
        for (size_t local : {0, 1, 4}) {
            lmc_predictor *p = MakePred(m.get(), dev, batch, local);
            ASSERT_TRUE(p);
            std::vector<uint8_t> got = Compress(p, in, W, &st);
            ASSERT_EQ(st, LMC_OK) << lmc_last_error();
            EXPECT_EQ(got, expect) << device << " batch " << batch << " local " << local;
            if (local == 0) { // decoding, once per batch size (lock-step with a KV cache)
                std::vector<uint8_t> back = Decompress(p, got, in.size(), &st);
                EXPECT_EQ(back, in) << "decode with batch " << batch;
            }
            lmc_exact_predictor_destroy(p);
        }
    // Negative controls: a kernel whose result depends on the window's slot in the batch, or on
    // the work-item's place in its work-group, is caught by the same comparison.
    lmc_predictor *pb1 = MakePred(m.get(), dev, 1, 0, "#define LMC_EXACT_PERTURB_BATCH 1\n");
    lmc_predictor *pb3 = MakePred(m.get(), dev, 3, 0, "#define LMC_EXACT_PERTURB_BATCH 1\n");
    lmc_predictor *pl1 = MakePred(m.get(), dev, 3, 1, "#define LMC_EXACT_PERTURB_LOCAL 1\n");
    lmc_predictor *pl4 = MakePred(m.get(), dev, 3, 4, "#define LMC_EXACT_PERTURB_LOCAL 1\n");
    ASSERT_TRUE(pb1 && pb3 && pl1 && pl4);
    EXPECT_EQ(Compress(pb1, in, W, &st), expect) << "batch 1 never perturbs";
    EXPECT_NE(Compress(pb3, in, W, &st), expect) << "batch 3 must be caught";
    EXPECT_EQ(Compress(pl1, in, W, &st), expect) << "work-groups of 1 never perturb";
    EXPECT_NE(Compress(pl4, in, W, &st), expect) << "work-groups of 4 must be caught";
    for (lmc_predictor *p : {pb1, pb3, pl1, pl4}) lmc_exact_predictor_destroy(p);
    lmc_device_destroy(dev);
    lmc_device_destroy(ref);
}

TEST_P(ExactCodec, BatchAndWorkGroupSizesGiveSameBytesOnPthread) { BatchSweep("pthread", GetParam()); }
TEST_P(ExactCodec, BatchAndWorkGroupSizesGiveSameBytesOnBasic) { BatchSweep("basic", GetParam()); }
// The same sweep, negative controls included, on each GPU of the machine (none in CI: skipped).
TEST_P(ExactCodec, BatchAndWorkGroupSizesGiveSameBytesOnEachGpu) {
    const std::vector<std::string> gpus = lmc_test::GpuDeviceNames();
    if (gpus.empty()) GTEST_SKIP() << "no GPU on this machine";
    for (const std::string &g : gpus) BatchSweep(g.c_str(), GetParam());
}

namespace {
// Positions where the incremental rows (decode_begin / decode_next with a KV cache) differ from
// the whole-window rows (encode_rows), over the 4 inputs in one batch.
size_t IncrementalMismatches(lmc_predictor *pred) {
    std::vector<std::vector<uint8_t>> in;
    std::vector<const uint8_t *> ptr;
    std::vector<size_t> lens;
    for (int k = 0; k < 4; k++) in.push_back(Input(k, kLen - (size_t)k)); // unequal lengths
    for (auto &v : in) {
        ptr.push_back(v.data());
        lens.push_back(v.size());
    }
    std::vector<int32_t> whole(4 * kW * 256), step(4 * 256);
    EXPECT_EQ(pred->vtable->encode_rows(pred->ctx, 4, ptr.data(), lens.data(), kW, whole.data()), LMC_OK);
    EXPECT_EQ(pred->vtable->decode_begin(pred->ctx, 4, lens.data()), LMC_OK);
    size_t bad = 0;
    for (size_t t = 0; t < kLen; t++) {
        uint8_t prev[4];
        for (size_t w = 0; w < 4; w++) prev[w] = t && t <= lens[w] ? in[w][t - 1] : 0;
        EXPECT_EQ(pred->vtable->decode_next(pred->ctx, prev, step.data()), LMC_OK) << lmc_last_error();
        for (size_t w = 0; w < 4; w++)
            if (t < lens[w] && std::memcmp(&step[w * 256], &whole[(w * kW + t) * 256], 256 * sizeof(int32_t)) != 0) bad++;
    }
    return bad;
}
}  // namespace

// Incremental rows equal whole-window rows at every position, on every device.
TEST_P(ExactRows, IncrementalEqualsWholeWindowOnEveryDevice) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    bool failed = false;
    std::vector<Dev> devs = OpenDevices(&failed);
    ASSERT_FALSE(failed);
    for (Dev &d : devs) {
        lmc_predictor *pred = MakePred(m.get(), d.dev, 4);
        ASSERT_TRUE(pred);
        EXPECT_EQ(IncrementalMismatches(pred), 0u) << d.name;
        lmc_exact_predictor_destroy(pred);
    }
    CloseDevices(devs);
}

// Negative control: a kernel that computes whole windows differently from single positions is
// caught at (nearly) every position.
TEST_P(ExactRows, WholeWindowOnlyPerturbationIsDetected) {
    std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)> m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    lmc_predictor *bad = MakePred(m.get(), dev, 4, 0, "#define LMC_EXACT_PERTURB_WHOLE 1\n");
    ASSERT_TRUE(bad);
    EXPECT_GT(IncrementalMismatches(bad), 0u);
    lmc_exact_predictor_destroy(bad);
    lmc_device_destroy(dev);
}
