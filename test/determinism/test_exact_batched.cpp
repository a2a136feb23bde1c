// test_exact_batched.cpp : the batched kernels of the exact path (cl/exact/exact.cl exb_*, the OpenCL
// side of runtime/exact/exact_predictor.c) against the plain-C oracle (cpu-ref, ex_position()), row by
// row and bit for bit, on every covered device (PoCL pthread, basic, oclgrind): whole-window rows
// (encode_rows) and incremental rows (lock-step decode_next with the K/V cache), several batch
// sizes and work-group sizes, short windows next to full ones (the last short window), rows past
// a window's length zero; a model of odd shape (C 12, 3 heads of 4: no multiple of 8 anywhere) for
// the kernels' lane tails; the automatic batch size. Negative controls: a kernel that rounds one
// way wrong, or only on the whole-window path, is reported by the same comparison.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "exact_test_util.h"
#include "test_env.h"

using namespace exact_test;

namespace {

using ModelPtr = std::unique_ptr<lmc_exact_model, void (*)(lmc_exact_model *)>;

struct Counts {
    size_t whole = 0, incremental = 0, tail = 0, rows = 0; // mismatching rows, rows compared
};

// Compare the predictor's rows for windows of `lens` (window size W, inputs of the four kinds)
// with lmc_exact_rows_ref, in calls of pred->max_windows windows.
Counts Compare(const lmc_exact_model *m, lmc_predictor *pred, const std::vector<size_t> &lens, uint32_t W) {
    Counts c;
    std::vector<std::vector<uint8_t>> in;
    std::vector<std::vector<int32_t>> ref;
    for (size_t w = 0; w < lens.size(); w++) {
        in.push_back(Input((int)(w % 4), lens[w]));
        ref.emplace_back(lens[w] * 256);
        EXPECT_EQ(lmc_exact_rows_ref(m, in[w].data(), lens[w], ref[w].data()), LMC_OK);
    }
    for (size_t w0 = 0; w0 < lens.size(); w0 += pred->max_windows) {
        size_t n = std::min(pred->max_windows, lens.size() - w0);
        std::vector<const uint8_t *> ptr;
        std::vector<size_t> l;
        size_t max_len = 0;
        for (size_t w = w0; w < w0 + n; w++) {
            ptr.push_back(in[w].data());
            l.push_back(lens[w]);
            max_len = std::max(max_len, lens[w]);
        }
        std::vector<int32_t> whole(n * W * 256, 7), step(n * 256);
        EXPECT_EQ(pred->vtable->encode_rows(pred->ctx, n, ptr.data(), l.data(), W, whole.data()), LMC_OK) << lmc_last_error();
        for (size_t w = 0; w < n; w++)
            for (size_t t = 0; t < W; t++) {
                const int32_t *row = &whole[(w * W + t) * 256];
                if (t < l[w]) {
                    c.rows++;
                    if (std::memcmp(row, &ref[w0 + w][t * 256], 256 * sizeof(int32_t)) != 0) c.whole++;
                } else {
                    for (size_t k = 0; k < 256; k++)
                        if (row[k] != 0) {
                            c.tail++;
                            break;
                        }
                }
            }
        EXPECT_EQ(pred->vtable->decode_begin(pred->ctx, n, l.data()), LMC_OK) << lmc_last_error();
        for (size_t t = 0; t < max_len; t++) {
            std::vector<uint8_t> prev(n);
            for (size_t w = 0; w < n; w++) prev[w] = t && t <= l[w] ? in[w0 + w][t - 1] : 0;
            EXPECT_EQ(pred->vtable->decode_next(pred->ctx, prev.data(), step.data()), LMC_OK) << lmc_last_error();
            for (size_t w = 0; w < n; w++)
                if (t < l[w] && std::memcmp(&step[w * 256], &ref[w0 + w][t * 256], 256 * sizeof(int32_t)) != 0)
                    c.incremental++;
        }
    }
    return c;
}

lmc_predictor *MakePred(const lmc_exact_model *m, lmc_device *dev, size_t batch, size_t local, const char *preamble = nullptr) {
    lmc_exact_predictor_params p = lmc_exact_predictor_params_default();
    p.max_windows = batch;
    p.local_size = local;
    p.kernel_preamble = preamble;
    lmc_predictor *pred = nullptr;
    EXPECT_EQ(lmc_exact_predictor_create(m, dev, &p, &pred), LMC_OK) << lmc_last_error();
    return pred;
}

// Every (batch, work-group size) case on one device: all rows equal the oracle's.
void Sweep(const lmc_exact_model *m, const std::string &device, const std::vector<size_t> &lens, uint32_t W,
           const std::vector<std::pair<size_t, size_t>> &cases) {
    int idx = lmc_test::FindDevice(device);
    if (idx < 0) {
        if (lmc_test::IsRequired(device)) ADD_FAILURE() << "required device '" << device << "' missing";
        else std::printf("device '%s' not present: not covered here\n", device.c_str());
        return;
    }
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_create(&lmc_test::Devices()[idx], &dev), LMC_OK) << lmc_last_error();
    for (auto [batch, local] : cases) {
        lmc_predictor *pred = MakePred(m, dev, batch, local);
        ASSERT_TRUE(pred);
        Counts c = Compare(m, pred, lens, W);
        EXPECT_GT(c.rows, 0u);
        EXPECT_EQ(c.whole, 0u) << device << " batch " << batch << " local " << local << ": whole-window rows";
        EXPECT_EQ(c.incremental, 0u) << device << " batch " << batch << " local " << local << ": incremental rows";
        EXPECT_EQ(c.tail, 0u) << device << " batch " << batch << " local " << local << ": rows past the length";
        std::printf("%-9s batch %zu local %zu: %zu rows equal the oracle's both ways\n", device.c_str(), batch, local, c.rows);
        lmc_exact_predictor_destroy(pred);
    }
    lmc_device_destroy(dev);
}

// A coding model of shape (C, L, NH, T) quantised from fresh float weights of the seed, in format
// `format`.
lmc_exact_model *FreshModel(int C, int L, int NH, int T, uint64_t seed, int format) {
    lmc_model_params p = lmc_model_params_default();
    p.config.d_model = C;
    p.config.n_layers = L;
    p.config.n_heads = NH;
    p.config.context = T;
    p.seed = seed;
    lmc_model *f = nullptr;
    lmc_exact_model *m = nullptr;
    if (lmc_model_create(&p, &f) != LMC_OK) return nullptr;
    lmc_status st = lmc_exact_quantize_format(f, format, &m);
    lmc_model_destroy(f);
    return st == LMC_OK ? m : nullptr;
}

// A model of odd shape: C 12, 1 layer, 3 heads of 4, context 24, fresh weights of seed 5.
lmc_exact_model *OddModel(int format) { return FreshModel(12, 1, 3, 24, 5, format); }

// C 16, 1 layer, 2 heads of 8 (the presets' head width), context 40, fresh weights of seed 11 with
// the query and key projections scaled by `scale`. At 4000 queries and keys are hundreds, so
// lmc-exact-2's operands saturate at +-32767 and a key's pair sums (q_a k_a + q_b k_b) reach
// 2 * 32767^2 > 2^29, past what exe2_score8()'s 32-bit lanes take; at 300 they are tens, operands
// of thousands: dot products of 2^20 to 2^30, both lanes' kinds in one head.
lmc_exact_model *SaturatedAttentionModel(int format, float scale) {
    lmc_model_params p = lmc_model_params_default();
    p.config.d_model = 16;
    p.config.n_layers = 1;
    p.config.n_heads = 2;
    p.config.context = 40;
    p.seed = 11;
    lmc_model *f = nullptr;
    lmc_exact_model *m = nullptr;
    if (lmc_model_create(&p, &f) != LMC_OK) return nullptr;
    float *w = lmc_model_params_data(f);
    for (size_t i = 0; i < lmc_model_num_tensors(&p.config); i++) {
        lmc_tensor_desc d;
        if (lmc_model_tensor_desc(&p.config, i, &d) != LMC_OK) break;
        const std::string name = d.name;
        if (name.size() > 3 && (name.compare(name.size() - 3, 3, ".wq") == 0 || name.compare(name.size() - 3, 3, ".wk") == 0))
            for (size_t k = 0; k < d.size; k++) w[d.offset + k] *= scale;
    }
    lmc_status st = lmc_exact_quantize_format(f, format, &m);
    lmc_model_destroy(f);
    return st == LMC_OK ? m : nullptr;
}

}  // namespace

// Every test runs for both coding model formats: lmc-exact-1 (64-bit products) and lmc-exact-2
// (int16 operands, products in pairs: its own decoding row, exd2_*).
class ExactBatched : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Formats, ExactBatched, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int> &i) { return FormatName(i.param); });

// The tiny model at its full context (64 keys: 8 blocks of 8) next to short windows, on PoCL
// pthread and basic with batches 1, 2, 3, 5 and work-groups of the driver's choice, 1, 4 and 3.
TEST_P(ExactBatched, RowsEqualTheOracleOnPthreadAndBasic) {
    ModelPtr m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m) << lmc_last_error();
    const std::vector<size_t> lens = {64, 17, 1, 40, 9};
    for (const char *d : {"pthread", "basic"}) Sweep(m.get(), d, lens, 64, {{1, 0}, {2, 1}, {5, 4}, {3, 3}});
}

// oclgrind interprets: short windows, two cases.
TEST_P(ExactBatched, RowsEqualTheOracleOnOclgrind) {
    ModelPtr m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    Sweep(m.get(), "oclgrind", {12, 9, 1}, 16, {{3, 0}, {2, 4}});
}

// Lane tails: C, 4C and the head size are not multiples of 8.
TEST_P(ExactBatched, OddShapedModelRowsEqualTheOracle) {
    ModelPtr m(OddModel(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m) << lmc_last_error();
    Sweep(m.get(), "pthread", {24, 5, 13}, 24, {{3, 0}, {2, 3}});
    Sweep(m.get(), "oclgrind", {11, 3}, 11, {{2, 0}});
    // a context that is not a multiple of 8: the device caches hold 24 positions per channel
    // (blocks of 8), the last block partly unused, and windows of 21 and 19 fill it partly
    ModelPtr m21(FreshModel(12, 1, 3, 21, 6, GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m21) << lmc_last_error();
    Sweep(m21.get(), "pthread", {21, 19, 4}, 21, {{3, 0}, {2, 3}});
    Sweep(m21.get(), "oclgrind", {21, 3}, 21, {{2, 0}});
    // heads of an odd number of channels (5 and 3): lmc-exact-2's K cache pairs the channels, the
    // last pair of a head half padding
    ModelPtr m5(FreshModel(10, 1, 2, 24, 9, GetParam()), lmc_exact_model_destroy), m3(FreshModel(6, 2, 2, 16, 10, GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m5 && m3) << lmc_last_error();
    Sweep(m5.get(), "pthread", {24, 13}, 24, {{2, 0}, {2, 3}});
    Sweep(m3.get(), "pthread", {16, 7, 2}, 16, {{3, 0}});
    Sweep(m5.get(), "oclgrind", {9, 2}, 9, {{2, 0}});
}

// The heads of the 800k and 3.2m presets (d_model 128 and 256, 8 heads: 16 and 32 channels, so
// exb_attend()'s channel loops and the decode step's int16 weights at those widths), one layer at
// a short context (40: five blocks of 8 keys, the last 8-key block of a window of 37 partly
// masked): rows equal the oracle's on pthread, basic and oclgrind, whole-window and incremental.
// The perturbed decode step on the 16-channel model is the negative control: the same comparison
// reports its incremental rows.
TEST_P(ExactBatched, PresetHeadWidthModelsRowsEqualTheOracle) {
    ModelPtr m16(FreshModel(128, 1, 8, 40, 7, GetParam()), lmc_exact_model_destroy);
    ModelPtr m32(FreshModel(256, 1, 8, 40, 8, GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m16 && m32) << lmc_last_error();
    for (const lmc_exact_model *m : {m16.get(), m32.get()}) {
        for (const char *d : {"pthread", "basic"}) Sweep(m, d, {40, 37, 9}, 40, {{2, 0}, {3, 1}});
        Sweep(m, "oclgrind", {10, 3}, 10, {{2, 0}});
    }
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    lmc_predictor *dec = MakePred(m16.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB_DECODE 1\n");
    ASSERT_TRUE(dec);
    Counts cd = Compare(m16.get(), dec, {40, 37}, 40);
    EXPECT_EQ(cd.whole, 0u);
    EXPECT_GT(cd.incremental, 0u);
    lmc_exact_predictor_destroy(dec);
    lmc_device_destroy(dev);
}

// Saturated and large queries and keys (SaturatedAttentionModel() at 4000 and 300): the rows equal
// the oracle's on pthread, basic and oclgrind (4000) or pthread and basic (300), whole-window and
// incremental. For lmc-exact-2, the 64-bit score lanes perturbed (LMC_EXACT_PERTURB_WIDE_SCORE) are
// reported in this model's whole-window rows (encoding's exb_attend4) and incremental rows
// (decoding's exd2_attend) and in none of the tiny model's: the saturated model reaches the 64-bit
// lanes, an ordinary one runs on the 32-bit lanes alone, and both agree with the oracle.
TEST_P(ExactBatched, SaturatedScoresEqualTheOracle) {
    ModelPtr sat(SaturatedAttentionModel(GetParam(), 4000.0f), lmc_exact_model_destroy);
    ModelPtr large(SaturatedAttentionModel(GetParam(), 300.0f), lmc_exact_model_destroy), tiny(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(sat && large && tiny) << lmc_last_error();
    for (const char *d : {"pthread", "basic"})
        for (const lmc_exact_model *m : {sat.get(), large.get()}) Sweep(m, d, {40, 37, 9}, 40, {{2, 0}, {3, 1}});
    Sweep(sat.get(), "oclgrind", {10, 3}, 10, {{2, 0}});
    if (GetParam() != 2) return;
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    for (const lmc_exact_model *m : {sat.get(), tiny.get()}) {
        lmc_predictor *wide = MakePred(m, dev, 2, 0, "#define LMC_EXACT_PERTURB_WIDE_SCORE 1\n");
        ASSERT_TRUE(wide);
        const uint32_t W = m == sat.get() ? 40 : 64;
        Counts c = Compare(m, wide, {W, 17}, W);
        if (m == sat.get()) {
            EXPECT_GT(c.whole, 0u) << "encoding (exb_attend4) must reach the 64-bit score lanes";
            EXPECT_GT(c.incremental, 0u) << "decoding (exd2_attend) must reach the 64-bit score lanes";
        } else {
            EXPECT_EQ(c.whole + c.incremental, 0u) << "the tiny model's scores must all be on the 32-bit lanes";
        }
        lmc_exact_predictor_destroy(wide);
    }
    lmc_device_destroy(dev);
}

// On each GPU of the machine (none in CI: skipped), where the driver's work-groups and the
// calibrated sizes differ most from a CPU's: the tiny model at its full context, the odd-shaped
// model and the preset head widths (16 and 32 channels) at batches 1 to 5 and work-groups of the
// driver's choice, 1, 3, 4 and 32; every row equals the oracle's. Negative control: the perturbed
// decode step, on the GPU, is reported by the same comparison.
TEST_P(ExactBatched, RowsEqualTheOracleOnEachGpu) {
    const std::vector<std::string> gpus = lmc_test::GpuDeviceNames();
    if (gpus.empty()) GTEST_SKIP() << "no GPU on this machine";
    ModelPtr tiny(LoadTiny(GetParam()), lmc_exact_model_destroy), odd(OddModel(GetParam()), lmc_exact_model_destroy);
    ModelPtr m16(FreshModel(128, 1, 8, 40, 7, GetParam()), lmc_exact_model_destroy);
    ModelPtr m32(FreshModel(256, 1, 8, 40, 8, GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(tiny && odd && m16 && m32) << lmc_last_error();
    for (const std::string &g : gpus) {
        Sweep(tiny.get(), g, {64, 17, 1, 40, 9}, 64, {{1, 0}, {5, 0}, {2, 1}, {5, 4}, {3, 3}, {4, 32}});
        Sweep(odd.get(), g, {24, 5, 13}, 24, {{3, 0}, {2, 3}});
        for (const lmc_exact_model *m : {m16.get(), m32.get()}) Sweep(m, g, {40, 37, 9}, 40, {{2, 0}, {3, 1}, {3, 32}});
        lmc_device *dev = nullptr;
        ASSERT_EQ(lmc_device_create(&lmc_test::Devices()[lmc_test::FindDevice(g)], &dev), LMC_OK) << lmc_last_error();
        lmc_predictor *dec = MakePred(m16.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB_DECODE 1\n");
        ASSERT_TRUE(dec);
        Counts cd = Compare(m16.get(), dec, {40, 37}, 40);
        EXPECT_EQ(cd.whole, 0u) << g;
        EXPECT_GT(cd.incremental, 0u) << g << ": the perturbed decode step must be reported";
        lmc_exact_predictor_destroy(dec);
        lmc_device_destroy(dev);
    }
}

// Negative controls: the same comparison reports a kernel that rounds requantisations down, and
// one that does so on the whole-window path only (then the incremental rows still agree), or only
// in exb_attend4() (encoding) or only in exb_decode (decoding).
TEST_P(ExactBatched, PerturbedKernelsAreDetected) {
    ModelPtr m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    const std::vector<size_t> lens = {64, 17};
    lmc_predictor *all = MakePred(m.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB 1\n");
    lmc_predictor *whole = MakePred(m.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB_WHOLE 1\n");
    ASSERT_TRUE(all && whole);
    Counts a = Compare(m.get(), all, lens, 64), w = Compare(m.get(), whole, lens, 64);
    EXPECT_GT(a.whole, 0u);
    EXPECT_GT(a.incremental, 0u);
    EXPECT_GT(w.whole, 0u);
    EXPECT_EQ(w.incremental, 0u);
    lmc_exact_predictor_destroy(all);
    lmc_exact_predictor_destroy(whole);
    // one kernel at a time: the 4-row attention blocks of encoding, the one-launch decode step
    lmc_predictor *a4 = MakePred(m.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB_ATTEND4 1\n");
    lmc_predictor *dec = MakePred(m.get(), dev, 2, 3, "#define LMC_EXACT_PERTURB_DECODE 1\n");
    ASSERT_TRUE(a4 && dec);
    Counts c4 = Compare(m.get(), a4, lens, 64), cd = Compare(m.get(), dec, lens, 64);
    EXPECT_GT(c4.whole, 0u);
    EXPECT_EQ(c4.incremental, 0u);
    EXPECT_EQ(cd.whole, 0u);
    EXPECT_GT(cd.incremental, 0u);
    lmc_exact_predictor_destroy(a4);
    lmc_exact_predictor_destroy(dec);
    // lmc-exact-2's operands requantised with lmc-exact-1's shifts (kernels that forget the
    // format in one place): both paths' rows are reported
    if (GetParam() == 2) {
        lmc_predictor *one = MakePred(m.get(), dev, 2, 0, "#define LMC_EXACT_PERTURB_FORMAT 1\n");
        ASSERT_TRUE(one);
        Counts c1 = Compare(m.get(), one, lens, 64);
        EXPECT_GT(c1.whole, 0u);
        EXPECT_GT(c1.incremental, 0u);
        lmc_exact_predictor_destroy(one);
    }
    lmc_device_destroy(dev);
}

// Encoding's chunk (LMC_EXACT_CHUNK_ROWS, which the calibration's choice also sets) splits a call's
// windows into chunks of whole windows: one window a chunk (64 and 100 rows: the rows round down
// to whole windows of 64), 3 windows (192: the 5 windows of a call as 3 + 2) and all of them at
// once (the default, 2048). Every row equals the oracle's on pthread and basic, at work-groups of
// the driver's choice and 4.
TEST_P(ExactBatched, EncodingChunkSizesGiveTheOraclesRows) {
    ModelPtr m(LoadTiny(GetParam()), lmc_exact_model_destroy);
    ASSERT_TRUE(m) << lmc_last_error();
    const char *old = getenv("LMC_EXACT_CHUNK_ROWS");
    std::string old_value = old ? old : "";
    const std::vector<size_t> lens = {64, 17, 1, 40, 9, 64, 33};
    for (const char *rows : {"64", "100", "192", "2048"}) {
        setenv("LMC_EXACT_CHUNK_ROWS", rows, 1);
        std::printf("LMC_EXACT_CHUNK_ROWS=%s\n", rows);
        for (const char *d : {"pthread", "basic"}) Sweep(m.get(), d, lens, 64, {{5, 0}, {7, 4}});
    }
    if (old) setenv("LMC_EXACT_CHUNK_ROWS", old_value.c_str(), 1);
    else unsetenv("LMC_EXACT_CHUNK_ROWS");
}

// max_windows 0: the batch comes from a calibration on the device (decode steps timed at candidate
// batches up to 128 MiB of K/V), cached per device and model shape in the cache folder (here a
// fresh one): the first predictor calibrates, the next reads the cache; LMC_EXACT_BATCH overrides
// both. Whatever the choice, the bytes equal cpu-ref's and decode (no timing is asserted).
TEST_P(ExactBatched, AutomaticBatchSizeIsCalibratedCachedAndCodesTheSameBytes) {
    char tmpl[] = "/tmp/lmc-test-calib-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    const std::string dir = tmpl;
    const char *old = getenv("LMC_CACHE_DIR");
    std::string old_value = old ? old : "";
    setenv("LMC_CACHE_DIR", dir.c_str(), 1);
    unsetenv("LMC_EXACT_BATCH");
    ModelPtr m(LoadTiny(GetParam()), lmc_exact_model_destroy), d(nullptr, lmc_exact_model_destroy);
    ASSERT_TRUE(m);
    lmc_exact_model *dm = nullptr;
    ASSERT_EQ(lmc_exact_model_open("default", &dm), LMC_OK) << lmc_last_error();
    d.reset(dm);
    lmc_device *dev = nullptr, *ref = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", dev);
    ASSERT_EQ(lmc_device_open("cpu-ref", &ref), LMC_OK);
    lmc_predictor *pa = MakePred(m.get(), dev, 0, 0), *pd = MakePred(d.get(), dev, 0, 0), *pr = MakePred(m.get(), ref, 1, 0);
    ASSERT_TRUE(pa && pd && pr);
    EXPECT_STREQ(lmc_exact_predictor_batch_source(pa), "calibrated");
    EXPECT_STREQ(lmc_exact_predictor_batch_source(pd), "calibrated");
    EXPECT_GE(pa->max_windows, 1u);
    EXPECT_LE(pa->max_windows, 64u);
    EXPECT_GE(pd->max_windows, 1u);
    EXPECT_LE(pd->max_windows, 32u); // 128 MiB of K/V at >= 4 MiB a window (200k: 4, 800k: 8)
    std::printf("calibrated batch on pthread: tiny %zu windows, default %zu\n", pa->max_windows, pd->max_windows);
    // the work-group and chunk chosen with it: among the candidates (a power of 4 up to 256; whole
    // windows of the context up to twice the default's 2048 rows, or the default)
    size_t wg = 0, chunk = 0, wg2 = 0, chunk2 = 0;
    lmc_exact_predictor_sizes(pa, &wg, &chunk);
    EXPECT_TRUE(wg == 1 || wg == 4 || wg == 16 || wg == 64 || wg == 256) << wg;
    EXPECT_TRUE(chunk == 2048 || (chunk % 64 == 0 && chunk >= 64 && chunk <= 2 * 2048)) << chunk;
    std::printf("calibrated sizes on pthread: tiny: decode work-group %zu, chunk %zu rows\n", wg, chunk);
    lmc_predictor *again = MakePred(m.get(), dev, 0, 0);
    ASSERT_TRUE(again);
    EXPECT_STREQ(lmc_exact_predictor_batch_source(again), "cached");
    EXPECT_EQ(again->max_windows, pa->max_windows);
    lmc_exact_predictor_sizes(again, &wg2, &chunk2);
    EXPECT_EQ(wg2, wg);
    EXPECT_EQ(chunk2, chunk);
    lmc_exact_predictor_destroy(again);
    setenv("LMC_EXACT_BATCH", "3", 1);
    lmc_predictor *env = MakePred(m.get(), dev, 0, 0);
    ASSERT_TRUE(env);
    EXPECT_STREQ(lmc_exact_predictor_batch_source(env), "env");
    EXPECT_EQ(env->max_windows, 3u);
    lmc_exact_predictor_destroy(env);
    setenv("LMC_EXACT_BATCH", "65", 1);
    lmc_exact_predictor_params bad = lmc_exact_predictor_params_default();
    lmc_predictor *none = nullptr;
    EXPECT_EQ(lmc_exact_predictor_create(m.get(), dev, &bad, &none), LMC_ERR_INVALID_ARGUMENT);
    unsetenv("LMC_EXACT_BATCH");
    if (old) setenv("LMC_CACHE_DIR", old_value.c_str(), 1);
    else unsetenv("LMC_CACHE_DIR");
    std::vector<uint8_t> in = Input(0, 70 * 16 + 3);
    lmc_status st;
    std::vector<uint8_t> got = Compress(pa, in, 16, &st);
    ASSERT_EQ(st, LMC_OK) << lmc_last_error();
    EXPECT_EQ(got, Compress(pr, in, 16, &st));
    EXPECT_EQ(Decompress(pa, got, in.size(), &st), in);
    for (lmc_predictor *p : {pa, pd, pr}) lmc_exact_predictor_destroy(p);
    lmc_device_destroy(dev);
    lmc_device_destroy(ref);
    std::string rm = "rm -rf '" + dir + "'";
    EXPECT_EQ(std::system(rm.c_str()), 0);
}
