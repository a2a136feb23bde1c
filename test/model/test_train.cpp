// test_train.cpp : training on every device. Proves: a whole training step on each OpenCL device
// (loss, log-probabilities, every gradient, the weights after Adam) agrees with the plain-C
// reference within named tolerances, and is bit-for-bit repeatable on the device; the trainer
// gives identical losses and an identical model file for the same seed on the same device; a run
// checkpointed and resumed equals the uninterrupted run (==); corrupt checkpoints are refused;
// the learning-rate schedule; evaluation in bits per byte, its windows spread over the data;
// micro-batches (the data-parallel split of docs/scale-out.md): the same mean loss and nearly
// the same run as the whole batch, summed in the fixed pairwise tree, and version-1 checkpoints
// still resume.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "lmc/codec.h"
#include "lmc/train.h"
#include "model_cl.h"
#include "ref_model.h"
#include "rng.h"
#include "tensor_compare.h"
#include "test_env.h"

namespace {

// Whole-step tolerances (scaled error |got - want| / (1 + |want|)): the forward pass compounds
// per-op differences through the layers; gradients come back through all of them.
constexpr double kTolStepLoss = 1e-5;
constexpr double kTolStepLogp = 1e-4;
constexpr double kTolStepGrads = 1e-4;
constexpr double kTolStepWeights = 1e-5;

std::vector<std::string> StepDevices() { return lmc_test::CoveredDeviceNames(); }
std::vector<std::string> AllTrainDevices() {
    auto v = lmc_test::CoveredDeviceNames();
    v.push_back("cpu-ref");
    return v;
}

std::string Text(size_t n) {
    std::string s;
    const char *words[] = {"the ", "cat ", "sat ", "on ", "a ", "mat. ", "It ", "was ", "warm.\n"};
    lmc_rng rng;
    lmc_rng_seed(&rng, 77);
    while (s.size() < n) s += words[lmc_rng_below(&rng, 9)];
    s.resize(n);
    return s;
}

bool IsSimulator(const std::string &dev) { return dev.find("oclgrind") != std::string::npos; }

lmc_train_params TinyParams() {
    lmc_train_params p = lmc_train_params_default();
    EXPECT_EQ(lmc_model_config_preset("tiny", &p.config), LMC_OK);
    p.batch = 2;
    p.window = 24;
    p.steps = 8;
    p.warmup = 2;
    p.lr = 3e-3f;
    p.seed = 5;
    return p;
}

class OpenCLStep : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenCLStep, WholeStepMatchesReferenceAndRepeats) {
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), dev);
    lmc_model_config cfg;
    ASSERT_EQ(lmc_model_config_preset("tiny", &cfg), LMC_OK);
    const int B = 2, T = 11;  // T not a multiple of anything
    lmc_model_params mp = lmc_model_params_default();
    mp.config = cfg;
    mp.seed = 9;
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_model_create(&mp, &m), LMC_OK);
    size_t n = lmc_model_config_num_params(&cfg);
    std::vector<float> p0(lmc_model_params_cdata(m), lmc_model_params_cdata(m) + n);
    lmc_rng rng;
    lmc_rng_seed(&rng, 1);
    for (size_t i = 0; i < lmc_model_num_tensors(&cfg); i++) {  // make biases and LN matter
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        if (d.ndim == 1)
            for (size_t k = 0; k < d.size; k++) p0[d.offset + k] += (float)(0.2 * lmc_rng_normal(&rng));
    }
    std::string text = Text(B * T);
    const uint8_t *tok = (const uint8_t *)text.data();

    // Reference step.
    std::vector<float> rp = p0, rg(n), rm(n, 0.0f), rv(n, 0.0f);
    lmc_ref_acts *acts = nullptr;
    ASSERT_EQ(lmc_ref_acts_create(&cfg, B, T, &acts), LMC_OK);
    float rloss = 0;
    lmc_ref_forward(&cfg, rp.data(), tok, acts, &rloss);
    std::vector<float> rlogp(lmc_ref_acts_logp(acts), lmc_ref_acts_logp(acts) + (size_t)B * T * 256);
    lmc_ref_backward(&cfg, rp.data(), tok, acts, rg.data());
    lmc_ref_adam(rp.data(), rg.data(), rm.data(), rv.data(), n, 1e-2f, 0.9f, 0.999f, 1e-8f, 1);

    // Device step, twice from scratch.
    std::vector<float> got[2][3];  // grads, weights, logp
    float loss[2] = {0, 0};
    for (int run = 0; run < 2; run++) {
        lmc_cl_model *cm = nullptr;
        ASSERT_EQ(lmc_cl_model_create(dev, &cfg, B, T, &cm), LMC_OK) << lmc_last_error();
        ASSERT_EQ(lmc_cl_model_write(cm, LMC_CL_PARAMS, p0.data()), LMC_OK) << lmc_last_error();
        ASSERT_EQ(lmc_cl_model_forward(cm, tok, &loss[run]), LMC_OK) << lmc_last_error();
        got[run][2].resize((size_t)B * T * 256);
        ASSERT_EQ(lmc_cl_model_read_logp(cm, got[run][2].data()), LMC_OK);
        ASSERT_EQ(lmc_cl_model_backward(cm), LMC_OK) << lmc_last_error();
        got[run][0].resize(n);
        ASSERT_EQ(lmc_cl_model_read(cm, LMC_CL_GRADS, got[run][0].data()), LMC_OK);
        ASSERT_EQ(lmc_cl_model_adam(cm, 1e-2f, 0.9f, 0.999f, 1e-8f, 1), LMC_OK) << lmc_last_error();
        got[run][1].resize(n);
        ASSERT_EQ(lmc_cl_model_read(cm, LMC_CL_PARAMS, got[run][1].data()), LMC_OK);
        lmc_cl_model_destroy(cm);
    }
    EXPECT_TRUE(lmc_test::TensorNear("loss", &loss[0], &rloss, 1, kTolStepLoss));
    EXPECT_TRUE(lmc_test::TensorNear("logp", got[0][2], rlogp, kTolStepLogp));
    for (size_t i = 0; i < lmc_model_num_tensors(&cfg); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        EXPECT_TRUE(lmc_test::TensorNear(std::string("grad ") + d.name, got[0][0].data() + d.offset,
                                         rg.data() + d.offset, d.size, kTolStepGrads));
        // Weights after Adam's first step move by ±lr wherever the gradient is not tiny, so a
        // gradient of the wrong sign shows up here too.
        EXPECT_TRUE(lmc_test::TensorNear(std::string("weights ") + d.name, got[0][1].data() + d.offset,
                                         rp.data() + d.offset, d.size, kTolStepWeights));
    }
    // Negative control: the same comparison sees a step taken on other data.
    EXPECT_FALSE(lmc_test::TensorNear("grads vs zero", got[0][0], std::vector<float>(n, 0.0f), kTolStepGrads));
    // Run to run on one device: identical bits.
    EXPECT_EQ(loss[0], loss[1]);
    for (int k = 0; k < 3; k++) EXPECT_EQ(std::memcmp(got[0][k].data(), got[1][k].data(), got[0][k].size() * 4), 0);
    lmc_ref_acts_destroy(acts);
    lmc_model_destroy(m);
    lmc_device_destroy(dev);
}

INSTANTIATE_TEST_SUITE_P(Devices, OpenCLStep, ::testing::ValuesIn(StepDevices()),
                         [](const ::testing::TestParamInfo<std::string> &p) { return p.param; });

class Trainer : public ::testing::TestWithParam<std::string> {};

std::vector<float> TrainSteps(lmc_device *dev, const lmc_train_params &p, const std::string &data, long steps,
                       std::string *model_bytes) {
    lmc_trainer *t = nullptr;
    EXPECT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK) << lmc_last_error();
    std::vector<float> losses;
    for (long s = 0; s < steps && t; s++) {
        float l = 0;
        EXPECT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), &l), LMC_OK) << lmc_last_error();
        losses.push_back(l);
    }
    lmc_model *m = nullptr;
    EXPECT_EQ(lmc_trainer_model(t, &m), LMC_OK);
    uint8_t *img = nullptr;
    size_t size = 0;
    EXPECT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    model_bytes->assign((const char *)img, size);
    std::free(img);
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    return losses;
}

TEST_P(Trainer, SameSeedSameLossesAndModelFile) {
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), dev);
    lmc_train_params p = TinyParams();
    long steps = 5;
    if (IsSimulator(GetParam())) {  // oclgrind interprets: the smallest shapes only
        p.batch = 1;
        p.window = 5;
        steps = 2;
    }
    std::string data = Text(2000), a, b, c;
    auto l1 = TrainSteps(dev, p, data, steps, &a);
    auto l2 = TrainSteps(dev, p, data, steps, &b);
    EXPECT_EQ(l1, l2);
    EXPECT_EQ(a, b) << "model files differ";
    p.seed = 6;  // control: another seed, another run
    auto l3 = TrainSteps(dev, p, data, steps, &c);
    EXPECT_NE(l1, l3);
    EXPECT_NE(a, c);
    lmc_device_destroy(dev);
}

TEST_P(Trainer, ResumedRunEqualsUninterruptedRun) {
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), dev);
    lmc_train_params p = TinyParams();
    int half = 3;
    if (IsSimulator(GetParam())) {
        p.batch = 1;
        p.window = 5;
        half = 2;
    }
    std::string data = Text(2000), straight;
    auto all = TrainSteps(dev, p, data, 2 * half, &straight);
    std::string dir = lmc_test::MakeTempDir(), ckpt = dir + "/run.ckpt";
    std::vector<float> losses;
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK);
    for (int s = 0; s < half; s++) {
        float l = 0;
        ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), &l), LMC_OK);
        losses.push_back(l);
    }
    ASSERT_EQ(lmc_trainer_checkpoint(t, ckpt.c_str()), LMC_OK) << lmc_last_error();
    lmc_trainer_destroy(t);  // the process state is gone; only the checkpoint remains
    t = nullptr;
    ASSERT_EQ(lmc_trainer_resume(dev, ckpt.c_str(), &t), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_trainer_steps_done(t), half);
    for (int s = 0; s < half; s++) {
        float l = 0;
        ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), &l), LMC_OK);
        losses.push_back(l);
    }
    EXPECT_EQ(losses, all);
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_trainer_model(t, &m), LMC_OK);
    uint8_t *img = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    EXPECT_EQ(std::string((const char *)img, size), straight) << "resumed model differs";
    std::free(img);
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    std::system(("rm -rf '" + dir + "'").c_str());
    lmc_device_destroy(dev);
}

INSTANTIATE_TEST_SUITE_P(Devices, Trainer, ::testing::ValuesIn(AllTrainDevices()),
                         [](const ::testing::TestParamInfo<std::string> &p) {
                             std::string s = p.param;
                             for (auto &ch : s)
                                 if (ch == '-') ch = '_';
                             return s;
                         });

TEST(TrainerCpuRef, CorruptCheckpointsAreRefused) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK);
    std::string dir = lmc_test::MakeTempDir(), ckpt = dir + "/c";
    ASSERT_EQ(lmc_trainer_checkpoint(t, ckpt.c_str()), LMC_OK);
    lmc_trainer_destroy(t);
    FILE *f = std::fopen(ckpt.c_str(), "rb");
    std::string bytes;
    for (int ch; (ch = std::fgetc(f)) != EOF;) bytes += (char)ch;
    std::fclose(f);
    auto try_load = [&](const std::string &content) {
        FILE *o = std::fopen((dir + "/x").c_str(), "wb");
        std::fwrite(content.data(), 1, content.size(), o);
        std::fclose(o);
        lmc_trainer *r = nullptr;
        lmc_status st = lmc_trainer_resume(dev, (dir + "/x").c_str(), &r);
        EXPECT_EQ(r == nullptr, st != LMC_OK);
        lmc_trainer_destroy(r);
        return st;
    };
    EXPECT_EQ(try_load(bytes), LMC_OK);
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 0x10;
    EXPECT_EQ(try_load(flipped), LMC_ERR_CHECKSUM);
    EXPECT_EQ(try_load(bytes.substr(0, bytes.size() - 9)), LMC_ERR_TRUNCATED);
    EXPECT_EQ(try_load(bytes.substr(0, 20)), LMC_ERR_TRUNCATED);
    EXPECT_EQ(try_load("hello, not a checkpoint at all"), LMC_ERR_FORMAT);
    std::string version = bytes;
    version[8] = 9;
    EXPECT_EQ(try_load(version), LMC_ERR_VERSION);
    std::system(("rm -rf '" + dir + "'").c_str());
    lmc_device_destroy(dev);
}

TEST(TrainerCpuRef, LearningRateSchedule) {
    lmc_train_params p = lmc_train_params_default();
    p.lr = 1.0f;
    p.warmup = 10;
    p.steps = 110;
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 1), 0.1f);
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 10), 1.0f);
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 60), 0.55f);  // half way: 0.1 + 0.9 * 0.5
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 110), 0.1f);
    p.schedule = LMC_SCHEDULE_CONSTANT;
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 5), 0.5f);
    EXPECT_FLOAT_EQ(lmc_train_lr(&p, 100), 1.0f);
}

// A fresh model predicts about uniformly (8 bits per byte); after training on a repetitive text
// it predicts that text much better.
TEST(TrainerCpuRef, EvalBitsPerByteFalls) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    p.steps = 60;
    p.lr = 1e-2f;
    p.batch = 4;
    std::string data = Text(3000);
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK);
    double before = 0, after = 0;
    ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)data.data(), data.size(), 8, &before), LMC_OK);
    for (int s = 0; s < 60; s++) ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), nullptr), LMC_OK);
    ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)data.data(), data.size(), 8, &after), LMC_OK);
    // Untrained: about uniform over 256 bytes (8 bits; the random init's logits spread it to
    // 8.51 on the 8 windows spread over these 3000 bytes), well above what 60 steps reach.
    EXPECT_NEAR(before, 8.0, 1.0);
    EXPECT_LT(after, 3.5) << "before " << before;
    EXPECT_EQ(lmc_trainer_eval(t, (const uint8_t *)data.data(), 10, 8, &after), LMC_ERR_INVALID_ARGUMENT);
    lmc_trainer_destroy(t);
    lmc_device_destroy(dev);
}

// With more windows in the data than max_windows, the evaluated windows are spread evenly over
// the whole data (window w is slot w * slots / max_windows of the non-overlapping slots), not
// its first windows: the held-out number of a folder of several kinds of text covers them all.
// Each window's bits/byte are measured on its own (max_windows 1 over exactly its bytes) and
// the means compared; control: the first max_windows windows give another mean (the data's
// halves differ), and all windows (max_windows 0) are the mean over every slot.
TEST(TrainerCpuRef, EvalSpreadsItsWindowsOverTheData) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK);
    std::string data = Text(1200);
    for (int s = 0; s < 8; s++) ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), nullptr), LMC_OK);
    // 10 slots of T = 24 bytes: 5 of the trained text, then 5 of digits, + 7 bytes that fit no window.
    const size_t T = 24;
    std::string eval = data.substr(0, 5 * T);
    for (size_t i = 0; i < 5 * T + 7; i++) eval += (char)('0' + i * 7 % 10);
    std::vector<double> slot(10);
    for (size_t j = 0; j < 10; j++)
        ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)eval.data() + j * T, T, 1, &slot[j]), LMC_OK);
    double spread = 0, all = 0, first = 0, got = 0;
    for (size_t w = 0; w < 4; w++) spread += slot[w * 10 / 4] / 4;  // slots 0, 2, 5, 7
    for (size_t j = 0; j < 10; j++) all += slot[j] / 10;
    for (size_t j = 0; j < 4; j++) first += slot[j] / 4;
    ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)eval.data(), eval.size(), 4, &got), LMC_OK);
    EXPECT_NEAR(got, spread, 1e-9);
    EXPECT_GT(std::fabs(first - spread), 0.1) << "control: the first four windows are all trained text";
    ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)eval.data(), eval.size(), 0, &got), LMC_OK);
    EXPECT_NEAR(got, all, 1e-9);
    ASSERT_EQ(lmc_trainer_eval(t, (const uint8_t *)eval.data(), eval.size(), 10, &got), LMC_OK);
    EXPECT_NEAR(got, all, 1e-9) << "max_windows = slots: every slot once";
    lmc_trainer_destroy(t);
    lmc_device_destroy(dev);
}

// lmc_trainer_create_from starts from the given weights exactly (the copy is the model, bit for
// bit, before any step), takes a context different from the model's (positions are computed), and
// refuses a model of another shape. A step then moves the weights (they are being trained).
TEST(TrainerCpuRef, CreateFromStartsAtTheGivenWeights) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    lmc_model_params mp = lmc_model_params_default();
    mp.config = p.config;
    mp.config.context = 32;  // the initial model's context differs from the run's (64)
    mp.seed = 99;            // and its weights from what p.seed would initialise
    lmc_model *init = nullptr;
    ASSERT_EQ(lmc_model_create(&mp, &init), LMC_OK);
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create_from(dev, &p, init, &t), LMC_OK) << lmc_last_error();
    lmc_model *start = nullptr;
    ASSERT_EQ(lmc_trainer_model(t, &start), LMC_OK);
    size_t n = lmc_model_config_num_params(&p.config);
    EXPECT_EQ(memcmp(lmc_model_params_cdata(start), lmc_model_params_cdata(init), n * sizeof(float)), 0);
    EXPECT_EQ(lmc_model_get_config(start)->context, p.config.context);
    std::string data = Text(2000);
    ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), nullptr), LMC_OK);
    lmc_model *after = nullptr;
    ASSERT_EQ(lmc_trainer_model(t, &after), LMC_OK);
    EXPECT_NE(memcmp(lmc_model_params_cdata(after), lmc_model_params_cdata(init), n * sizeof(float)), 0);
    lmc_trainer_destroy(t);
    lmc_train_params wider = p;
    wider.config.d_model = 32;
    t = nullptr;
    EXPECT_EQ(lmc_trainer_create_from(dev, &wider, init, &t), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(lmc_last_error()).find("d_model 16"), std::string::npos) << lmc_last_error();
    EXPECT_EQ(t, nullptr);
    lmc_model_destroy(after);
    lmc_model_destroy(start);
    lmc_model_destroy(init);
    lmc_device_destroy(dev);
}

// Window starts (cpu-ref; the draw is host code, the same for every device). align 1 is the draw
// every run made before alignment existed, pinned here literally (the trainer's generator seeded
// with seed ^ "rain" + 5eed, one lmc_rng_below(n - T + 1) per window), so plain-path runs keep
// their windows and their model bytes; lmc_trainer_step and lmc_trainer_step_aligned(1) give the
// same losses and model; peeking changes nothing; align 2048 gives chunk starts where a whole
// window fits; eval_aligned(2048) rates the first T bytes of each chunk; align 0 is refused.
TEST(TrainerWindows, AlignedDrawAndUnchangedPlainDraw) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    std::string data = Text(5 * 2048 + 100);
    size_t n = data.size(), T = (size_t)p.window;
    lmc_trainer *a = nullptr, *b = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &a), LMC_OK);
    ASSERT_EQ(lmc_trainer_create(dev, &p, &b), LMC_OK);
    lmc_rng old;
    lmc_rng_seed(&old, p.seed ^ 0x7261696e5eedull);
    std::vector<size_t> starts(p.batch), again(p.batch);
    std::vector<float> la, lb;
    for (int s = 0; s < 6; s++) {
        ASSERT_EQ(lmc_trainer_peek_windows(a, n, 1, starts.data()), LMC_OK);
        ASSERT_EQ(lmc_trainer_peek_windows(a, n, 1, again.data()), LMC_OK);
        EXPECT_EQ(starts, again) << "peeking moved the generator";
        for (int w = 0; w < p.batch; w++) EXPECT_EQ(starts[w], (size_t)lmc_rng_below(&old, n - T + 1)) << s;
        float l1 = 0, l2 = 0;
        ASSERT_EQ(lmc_trainer_step(a, (const uint8_t *)data.data(), n, &l1), LMC_OK);
        ASSERT_EQ(lmc_trainer_step_aligned(b, (const uint8_t *)data.data(), n, 1, &l2), LMC_OK);
        la.push_back(l1);
        lb.push_back(l2);
    }
    EXPECT_EQ(la, lb);
    lmc_model *ma = nullptr, *mb = nullptr;
    ASSERT_EQ(lmc_trainer_model(a, &ma), LMC_OK);
    ASSERT_EQ(lmc_trainer_model(b, &mb), LMC_OK);
    EXPECT_EQ(0, std::memcmp(lmc_model_params_cdata(ma), lmc_model_params_cdata(mb),
                             lmc_model_config_num_params(&p.config) * sizeof(float)));
    lmc_model_destroy(ma);
    lmc_model_destroy(mb);
    // align 2048: chunk starts only, all of the 5 whole-window positions reachable.
    std::vector<int> seen(6);
    for (int s = 0; s < 20; s++) {
        ASSERT_EQ(lmc_trainer_peek_windows(a, n, 2048, starts.data()), LMC_OK);
        for (size_t st : starts) {
            EXPECT_EQ(st % 2048, 0u);
            EXPECT_LE(st + T, n);
            seen[st / 2048]++;
        }
        ASSERT_EQ(lmc_trainer_step_aligned(a, (const uint8_t *)data.data(), n, 2048, nullptr), LMC_OK);
    }
    for (int c = 0; c < 6; c++) EXPECT_GT(seen[c], 0) << "chunk " << c << " never drawn";
    EXPECT_EQ(lmc_trainer_peek_windows(a, n, 0, starts.data()), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(lmc_trainer_step_aligned(a, (const uint8_t *)data.data(), n, 0, nullptr),
              LMC_ERR_INVALID_ARGUMENT);
    // eval: align 1 is lmc_trainer_eval; align 2048 equals consecutive windows of the chunk heads.
    double e1 = 0, e2 = 0, e3 = 0, e4 = 0;
    ASSERT_EQ(lmc_trainer_eval(a, (const uint8_t *)data.data(), n, 0, &e1), LMC_OK);
    ASSERT_EQ(lmc_trainer_eval_aligned(a, (const uint8_t *)data.data(), n, 1, 0, &e2), LMC_OK);
    EXPECT_EQ(e1, e2);
    std::string heads;
    for (size_t c = 0; c * 2048 + T <= n; c++) heads += data.substr(c * 2048, T);
    EXPECT_EQ(heads.size(), 6 * T);
    ASSERT_EQ(lmc_trainer_eval_aligned(a, (const uint8_t *)data.data(), n, 2048, 0, &e3), LMC_OK);
    ASSERT_EQ(lmc_trainer_eval(a, (const uint8_t *)heads.data(), heads.size(), 0, &e4), LMC_OK);
    EXPECT_EQ(e3, e4);
    EXPECT_NE(e1, e3);
    lmc_trainer_destroy(a);
    lmc_trainer_destroy(b);
    lmc_device_destroy(dev);
}

// The tree of lmc_train_tree_sum is ((r0 + r1) + (r2 + r3)) + r4, bit for bit; a left-to-right sum
// of the same rows differs (the control: the order is observable, so fixing it matters).
TEST(TrainMicroBatches, TreeSumIsTheFixedPairwiseTree) {
    const float r[5] = {1e8f, 1.0f, -1e8f, 1.0f, 0.5f};
    std::vector<float> rows(r, r + 5);
    lmc_train_tree_sum(rows.data(), 5, 1);
    float want = ((r[0] + r[1]) + (r[2] + r[3])) + r[4];
    float seq = (((r[0] + r[1]) + r[2]) + r[3]) + r[4];
    EXPECT_EQ(std::memcmp(&rows[0], &want, 4), 0) << rows[0] << " vs " << want;
    EXPECT_NE(want, seq) << "the control rows do not show the order";
    int first = -1, count = -1, total = 0;
    for (int rank = 0; rank < 3; rank++) {
        lmc_train_micro_range(8, rank, 3, &first, &count);
        EXPECT_EQ(first, total);
        total += count;
    }
    EXPECT_EQ(total, 8);
    lmc_train_micro_range(2, 0, 3, &first, &count);
    EXPECT_EQ(count, 0);  // more ranks than micro-batches: some ranks idle ([0,0), [0,1), [1,2))
}

// M micro-batches compute the whole batch's mean loss and gradient (each micro-batch's share
// scaled by 1/(B*T)): the first loss equals the whole batch's to float rounding, the run stays
// close, and it repeats exactly. On cpu-ref and every covered device.
TEST_P(Trainer, MicroBatchesGiveTheWholeBatchsRunAndRepeat) {
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), dev);
    lmc_train_params p = TinyParams();
    p.batch = 4;
    if (IsSimulator(GetParam())) p.window = 8;
    std::string data = Text(2000), whole_model, micro_model, again_model;
    auto whole = TrainSteps(dev, p, data, 3, &whole_model);
    p.micro_batches = 4;
    auto micro = TrainSteps(dev, p, data, 3, &micro_model);
    auto again = TrainSteps(dev, p, data, 3, &again_model);
    ASSERT_EQ(whole.size(), micro.size());
    EXPECT_NEAR(micro[0], whole[0], 1e-6 * std::fabs(whole[0]));
    for (size_t i = 0; i < whole.size(); i++) EXPECT_NEAR(micro[i], whole[i], 1e-4 * std::fabs(whole[i])) << i;
    EXPECT_EQ(micro, again);
    EXPECT_EQ(micro_model, again_model);
    lmc_device_destroy(dev);
}

// A version-1 checkpoint (before micro_batches) resumes as one micro-batch and continues the run
// exactly: the format is only ever extended.
TEST(TrainerCpuRef, VersionOneCheckpointResumes) {
    lmc_device *dev = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &dev), LMC_OK);
    lmc_train_params p = TinyParams();
    std::string data = Text(2000), straight;
    auto all = TrainSteps(dev, p, data, 4, &straight);
    lmc_trainer *t = nullptr;
    ASSERT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK);
    for (int s = 0; s < 2; s++) ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), nullptr), LMC_OK);
    std::string dir = lmc_test::MakeTempDir(), ckpt = dir + "/v2", v1 = dir + "/v1";
    ASSERT_EQ(lmc_trainer_checkpoint(t, ckpt.c_str()), LMC_OK);
    lmc_trainer_destroy(t);
    FILE *f = std::fopen(ckpt.c_str(), "rb");
    std::string bytes;
    for (int ch; (ch = std::fgetc(f)) != EOF;) bytes += (char)ch;
    std::fclose(f);
    ASSERT_EQ((unsigned char)bytes[8], 2u);
    // version 1: no micro_batches field (4 bytes after eps, at offset 84), its own CRC
    std::string old = bytes.substr(0, 84) + bytes.substr(88, bytes.size() - 88 - 4);
    old[8] = 1;
    uint32_t crc = lmc_crc32(0, old.data(), old.size());
    for (int k = 0; k < 4; k++) old += (char)(crc >> (8 * k));
    FILE *o = std::fopen(v1.c_str(), "wb");
    std::fwrite(old.data(), 1, old.size(), o);
    std::fclose(o);
    ASSERT_EQ(lmc_trainer_resume(dev, v1.c_str(), &t), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_trainer_params(t)->micro_batches, 1);
    std::vector<float> losses;
    for (int s = 0; s < 2; s++) {
        float l = 0;
        ASSERT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), &l), LMC_OK);
        losses.push_back(l);
    }
    EXPECT_EQ(losses, std::vector<float>(all.begin() + 2, all.end()));
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_trainer_model(t, &m), LMC_OK);
    uint8_t *img = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    EXPECT_EQ(std::string((const char *)img, size), straight);
    std::free(img);
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    std::system(("rm -rf '" + dir + "'").c_str());
    lmc_device_destroy(dev);
}

}  // namespace
