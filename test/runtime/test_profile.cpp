// test_profile.cpp : per-kernel profiling (runtime/device/profile.h), the tool behind `lmc bench
// train --profile`. Proves: profiling changes no result (the model after 2 steps of the tiny
// config is the same bytes with it on and off); on, every launched kernel and every CLBlast call
// shows up under its label with calls and time; after end the queue is as before and profiling
// is off; misuse is refused, never crashes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "lmc/train.h"
#include "profile.h"
#include "test_env.h"

namespace {

bool IsSimulator(const std::string &dev) { return dev.find("oclgrind") != std::string::npos; }

lmc_train_params TinyParams(bool simulator) {
    lmc_train_params p = lmc_train_params_default();
    EXPECT_EQ(lmc_model_config_preset("tiny", &p.config), LMC_OK);
    p.batch = simulator ? 1 : 2;  // oclgrind interprets: the smallest shapes only
    p.window = simulator ? 5 : 24;
    p.steps = 8;
    p.warmup = 2;
    p.seed = 5;
    return p;
}

std::string Data() {
    std::string s;
    for (int i = 0; i < 3000; i++) s += (char)('a' + (i * 7 + i / 13) % 26);
    return s;
}

// The model file after `steps` steps from scratch; profiled with `profile`, its ops in *ops.
std::string TwoSteps(lmc_device *dev, const lmc_train_params &p, bool profile, std::vector<lmc_profile_op> *ops) {
    std::string data = Data(), bytes;
    lmc_trainer *t = nullptr;
    EXPECT_EQ(lmc_trainer_create(dev, &p, &t), LMC_OK) << lmc_last_error();
    if (!t) return bytes;
    if (profile) {
        EXPECT_EQ(lmc_device_profile_begin(dev), LMC_OK) << lmc_last_error();
    }
    for (int s = 0; s < 2; s++)
        EXPECT_EQ(lmc_trainer_step(t, (const uint8_t *)data.data(), data.size(), nullptr), LMC_OK)
            << lmc_last_error();
    if (profile) {
        lmc_profile_op *got = nullptr;
        size_t n = 0;
        EXPECT_EQ(lmc_device_profile_end(dev, &got, &n), LMC_OK) << lmc_last_error();
        ops->assign(got, got + n);
        std::free(got);
    }
    lmc_model *m = nullptr;
    EXPECT_EQ(lmc_trainer_model(t, &m), LMC_OK);
    uint8_t *img = nullptr;
    size_t size = 0;
    EXPECT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    bytes.assign((const char *)img, size);
    std::free(img);
    lmc_model_destroy(m);
    lmc_trainer_destroy(t);
    return bytes;
}

const lmc_profile_op *Find(const std::vector<lmc_profile_op> &ops, const std::string &prefix) {
    for (const auto &op : ops)
        if (std::string(op.label).rfind(prefix, 0) == 0) return &op;
    return nullptr;
}

class TrainerProfile : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerProfile, SameModelBytesOnOrOffAndEveryKernelSeen) {
    lmc_device *dev = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), dev);
    lmc_train_params p = TinyParams(IsSimulator(GetParam()));
    std::vector<lmc_profile_op> ops, none;
    std::string off = TwoSteps(dev, p, false, &none);
    std::string on = TwoSteps(dev, p, true, &ops);
    EXPECT_FALSE(lmc_device_profiling(dev));
    std::string off_again = TwoSteps(dev, p, false, &none);  // the queue restored after end
    ASSERT_FALSE(off.empty());
    EXPECT_EQ(on, off) << "profiling changed the trained model";
    EXPECT_EQ(off_again, off);
    // Control: the comparison can fail (another seed, another model).
    p.seed = 6;
    EXPECT_NE(TwoSteps(dev, p, false, &none), off);

    for (const char *k : {"embed_fwd", "attention_fused_fwd", "attention_fused_bwd_q", "attention_fused_bwd_kv",
                          "layernorm_fwd", "gelu_bwd", "logsoftmax_xent_fwd", "adam_step", "fill (zero)", "matmul_tile "}) {
        const lmc_profile_op *op = Find(ops, k);
        ASSERT_NE(op, nullptr) << k << " not profiled";
        EXPECT_GT(op->calls, 0u) << k;
        EXPECT_GE(op->seconds, 0.0) << k;
    }
    const lmc_profile_op *adam = Find(ops, "adam_step");
    size_t n_tensors = lmc_model_num_tensors(&p.config);
    EXPECT_EQ(adam->calls, 2 * n_tensors);  // one launch a tensor a step
    EXPECT_EQ(adam->items, 2.0 * (double)lmc_model_config_num_params(&p.config));
    const lmc_profile_op *gemm = Find(ops, "matmul_tile ");  // the products: own tiled kernels (CLBlast only for widths not a multiple of 4)
    EXPECT_GT(gemm->flops, 0.0);
    EXPECT_GT(gemm->bytes, 0.0);
    double total = 0;
    for (const auto &op : ops) total += op.seconds;
    EXPECT_GT(total, 0.0);
    lmc_device_destroy(dev);
}

std::vector<std::string> ProfileDevices() { return lmc_test::CoveredDeviceNames(); }

INSTANTIATE_TEST_SUITE_P(Devices, TrainerProfile, ::testing::ValuesIn(ProfileDevices()),
                         [](const ::testing::TestParamInfo<std::string> &p) {
                             std::string s = p.param;
                             for (auto &ch : s)
                                 if (!isalnum((unsigned char)ch)) ch = '_';
                             return s;
                         });

TEST(TrainerProfileApi, MisuseIsRefused) {
    lmc_profile_op *ops = nullptr;
    size_t n = 7;
    EXPECT_EQ(lmc_device_profile_begin(nullptr), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(lmc_device_profile_end(nullptr, &ops, &n), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(ops, nullptr);
    lmc_device *ref = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &ref), LMC_OK);
    EXPECT_EQ(lmc_device_profile_begin(ref), LMC_ERR_INVALID_ARGUMENT);  // no queue to profile
    EXPECT_FALSE(lmc_device_profiling(ref));
    EXPECT_EQ(lmc_device_profile_event(ref), nullptr);
    lmc_device_profile_record(ref, "nothing", 1, 0, 0);  // off: a no-op
    lmc_device_destroy(ref);
}

TEST(TrainerProfileApi, EmptySpanAndRestart) {
    lmc_device *dev = nullptr;
    if (lmc_device_open("pthread", &dev) != LMC_OK) GTEST_SKIP() << "no PoCL pthread device";
    ASSERT_EQ(lmc_device_profile_begin(dev), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_device_profile_begin(dev), LMC_OK) << lmc_last_error();  // a restart
    EXPECT_TRUE(lmc_device_profiling(dev));
    lmc_profile_op *ops = nullptr;
    size_t n = 7;
    ASSERT_EQ(lmc_device_profile_end(dev, &ops, &n), LMC_OK) << lmc_last_error();
    EXPECT_EQ(n, 0u);
    std::free(ops);
    EXPECT_FALSE(lmc_device_profiling(dev));
    EXPECT_EQ(lmc_device_profile_end(dev, &ops, &n), LMC_ERR_INVALID_ARGUMENT);  // already off
    ASSERT_EQ(lmc_device_profile_begin(dev), LMC_OK);
    lmc_device_destroy(dev);  // destroyed while on: no leak (ASan)
}

}  // namespace
