// test_cli_bench.cpp : `lmc bench`: the codec and train benches' JSON objects carry the keys
// their readers rely on (train on the tiny config, a few seconds), with positive rates, the
// train --profile table lists the kernels, and usage errors exit 2. (Speed targets live in the
// benchmark, never in a test: no timing is asserted here.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "test_env.h"

TEST(CliBench, CodecJsonHasRates) {
    lmc_test::CommandResult r = lmc_test::RunLmc("bench codec --json --symbols 20000");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char *key : {"encode_symbols_per_s", "decode_symbols_per_s", "bits_per_symbol"}) {
        std::regex re(std::string("\"") + key + "\": ([0-9.]+)");
        std::smatch m;
        ASSERT_TRUE(std::regex_search(r.out, m, re)) << key << " missing in " << r.out;
        EXPECT_GT(std::stod(m[1].str()), 0.0) << key;
    }
    EXPECT_EQ(r.out.front(), '{');
    EXPECT_NE(r.out.find("\"symbols\": 20000"), std::string::npos) << r.out;
}

TEST(CliBench, UsageErrorsExitTwo) {
    EXPECT_EQ(lmc_test::RunLmc("bench").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench nosuchbench").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench codec --symbols 0").exit_code, 2);
    lmc_test::CommandResult help = lmc_test::RunLmc("bench --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("codec"), std::string::npos);
    EXPECT_NE(help.out.find("train"), std::string::npos);
    EXPECT_NE(help.out.find("pytorch_tokens_per_s"), std::string::npos);
    EXPECT_EQ(lmc_test::RunLmc("bench train --steps 0").exit_code, 2);
    // train measures an OpenCL device: cpu-ref is refused before any work
    EXPECT_EQ(lmc_test::RunLmc("bench train --device cpu-ref").exit_code, 2);
    for (const char *key : {"model_flops_per_token", "mfu", "pytorch_version", "pytorch_variant", "--profile",
                            "--config", "--context", "--batch", "sdpa_compile", "12*L*T*C / 2"})
        EXPECT_NE(help.out.find(key), std::string::npos) << key << " not in the help";
}

TEST(CliBench, TrainBadOptionsExitTwo) {
    for (const char *args : {"bench train --config 1g", "bench train --config", "bench train --context 0",
                             "bench train --context 4096",  // past 200k's 2048
                             "bench train --config tiny --context 65", "bench train --batch 0",
                             "bench train --batch 65", "bench train --batch x", "bench train --variants sdpa,nope",
                             "bench train --variants ''", "bench train --python /no/such/python",
                             "bench train --profile extra"}) {
        lmc_test::CommandResult r = lmc_test::RunLmc(args);
        EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
        EXPECT_TRUE(r.out.empty()) << args;
    }
}

// The value after "key": in `json`, or "" when absent.
std::string JsonValue(const std::string &json, const std::string &key) {
    std::regex re("\"" + key + "\": (null|true|false|-?[0-9.e+-]+|\"[^\"]*\")");
    std::smatch m;
    return std::regex_search(json, m, re) ? m[1].str() : "";
}

TEST(CliBench, TrainJsonKeysAndProfileOnTiny) {
    lmc_test::CommandResult r = lmc_test::RunLmc(
        "bench train --config tiny --context 32 --batch 2 --steps 1 --no-pytorch --profile --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out.front(), '{');
    for (const char *key : {"tokens_per_s", "model_flops_per_token", "mfu", "peak_gflops", "peak_gbs", "gemm_gflops",
                            "gemm_model_gflops"})
        EXPECT_GT(std::stod("0" + JsonValue(r.out, key)), 0.0) << key << " in " << r.out;
    for (const char *key : {"pytorch_tokens_per_s", "pytorch_version", "pytorch_variant", "speedup", "pytorch_mfu"})
        EXPECT_EQ(JsonValue(r.out, key), "null") << key;  // --no-pytorch
    EXPECT_EQ(JsonValue(r.out, "config"), "\"tiny\"");
    EXPECT_EQ(JsonValue(r.out, "context"), "32");
    EXPECT_EQ(JsonValue(r.out, "batch"), "2");
    EXPECT_EQ(JsonValue(r.out, "steps"), "1");
    // tiny: C 16, L 2, T 32: 6 (2·12·16² + 256·16) + 12·2·32·16 / 2 = 61440 + 6144
    EXPECT_EQ(JsonValue(r.out, "model_flops_per_token"), "67584");
    EXPECT_NE(r.out.find("\"pytorch_notes\": [\"--no-pytorch"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"profile\": {\"steps\": 1"), std::string::npos) << r.out;
    for (const char *op : {"attention_fused_fwd", "attention_fused_bwd_kv", "adam_step", "layernorm_fwd"})
        EXPECT_NE(r.out.find(std::string("{\"op\": \"") + op + "\""), std::string::npos) << op;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\\{\"op\": \"(sgemm [NT][NT]|matmul_tile) [0-9]+x[0-9]+x[0-9]+\"")))
        << r.out;
    EXPECT_EQ(r.out.back(), '\n');
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line";

    // The table form names the same ops and the rest of the step.
    lmc_test::CommandResult t =
        lmc_test::RunLmc("bench train --config tiny --context 16 --batch 1 --steps 1 --no-pytorch --profile");
    ASSERT_EQ(t.exit_code, 0) << t.err;
    for (const char *s : {"tokens/s", "MFU", "attention_fused_bwd_q", "matmul_tile", "other (host", "GFLOP/s", "%peak"})
        EXPECT_NE(t.out.find(s), std::string::npos) << s << " in " << t.out;
}

// The PyTorch side on Debian's torch (a venv's torch.compile takes minutes to warm up: not in a
// test): the written attention runs; the sdpa variant runs on torch 2.x, else a note says why.
// Without torch at all the keys are null and a note says so: the test holds either way.
TEST(CliBench, TrainPyTorchPeerOnTiny) {
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
    lmc_test::CommandResult r = lmc_test::RunLmc(
        "bench train --config tiny --context 16 --batch 2 --steps 1 --variants sdpa,written "
        "--python /usr/bin/python3 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string tps = JsonValue(r.out, "pytorch_tokens_per_s");
    ASSERT_FALSE(tps.empty()) << r.out;
    EXPECT_EQ(JsonValue(r.out, "pytorch_python"), "\"/usr/bin/python3\"");
    if (tps == "null") {
        EXPECT_NE(r.out.find("the PyTorch side gave no result"), std::string::npos) << r.out;
        return;
    }
    EXPECT_GT(std::stod(tps), 0.0);
    EXPECT_GT(std::stod(JsonValue(r.out, "pytorch_mfu")), 0.0);
    EXPECT_NE(JsonValue(r.out, "pytorch_version"), "null");
    std::string variant = JsonValue(r.out, "pytorch_variant");
    EXPECT_TRUE(variant == "\"sdpa\"" || variant == "\"written\"" || variant == "\"written_per_window\"")
        << variant;
    EXPECT_NE(r.out.find("\"pytorch_variants\": {"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"written\": {\"tokens_per_s\": "), std::string::npos) << r.out;
}
