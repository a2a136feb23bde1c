// test_cli_bench_coding.cpp : `lmc bench coding --json` on a tiny input with the frozen tiny
// coding model: one JSON object with the keys its readers rely on (positive rates, the round trip
// checked inside), the PyTorch side either measured or skipped with a note, and clean failures:
// a device that does not exist exits 1 with a message and no JSON, bad options exit 2. No timing
// assertions (speed targets live in the benchmark).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "test_env.h"

namespace {
const std::string kTiny = std::string(LMC_SOURCE_DIR) + "/test/golden/tiny.exact.safetensors";

double Number(const std::string &json, const char *key) {
    std::regex re(std::string("\"") + key + "\": ([0-9.eE+-]+)");
    std::smatch m;
    if (!std::regex_search(json, m, re)) return -1;
    return std::stod(m[1].str());
}
}  // namespace

TEST(CliBenchCoding, JsonHasRatesAndThePyTorchSide) {
    lmc_test::CommandResult r =
        lmc_test::RunLmc("bench coding --json --device pthread --bytes 300 --torch-windows 1 -m '" + kTiny + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.front(), '{');
    for (const char *key : {"compress_bytes_per_s", "decompress_bytes_per_s", "peak_rss_bytes", "batch_windows"})
        EXPECT_GT(Number(r.out, key), 0.0) << key << " in " << r.out;
    EXPECT_EQ(Number(r.out, "bytes"), 300.0) << r.out;
    // the device's share: the model's ops per byte, the peak probe of the same run, the fractions
    for (const char *key : {"model_flops_per_byte", "peak_gflops", "compress_fraction_of_peak", "decompress_fraction_of_peak"})
        EXPECT_GT(Number(r.out, key), 0.0) << key << " in " << r.out;
    EXPECT_NE(r.out.find("\"batch_source\": \""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"device\": \"pthread"), std::string::npos) << r.out;
    // PyTorch (the tiny float model beside the coding model) measured, or skipped with a reason
    if (r.out.find("\"pytorch_forward_tokens_per_s\": null") != std::string::npos) {
        EXPECT_NE(r.out.find("\"pytorch_note\": \""), std::string::npos) << r.out;
        std::printf("PyTorch side skipped here: %s\n", r.out.c_str());
    } else {
        EXPECT_GT(Number(r.out, "pytorch_forward_tokens_per_s"), 0.0) << r.out;
        EXPECT_GT(Number(r.out, "compress_vs_pytorch"), 0.0) << r.out;
        EXPECT_GT(Number(r.out, "decompress_vs_pytorch"), 0.0) << r.out;
    }
}

// --profile: per kernel and direction a share, rates and launches per coded byte, in the JSON.
TEST(CliBenchCoding, ProfileListsKernelsPerDirection) {
    lmc_test::CommandResult r =
        lmc_test::RunLmc("bench coding --json --profile --device pthread --bytes 300 --torch-windows 0 -m '" + kTiny + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char *part : {"\"profile\": {\"compress\": [", "\"decompress\": [", "\"kernel\": \"attention\"",
                             "\"launches_per_byte\": ", "\"gops\": ", "\"kernel\": \"other\""})
        EXPECT_NE(r.out.find(part), std::string::npos) << part << " in " << r.out;
    lmc_test::CommandResult text =
        lmc_test::RunLmc("bench coding --profile --device pthread --bytes 300 --torch-windows 0 -m '" + kTiny + "'");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("launch/B"), std::string::npos) << text.out;
}

TEST(CliBenchCoding, BadDeviceAndOptionsFailCleanly) {
    lmc_test::CommandResult r = lmc_test::RunLmc("bench coding --json --device no-such-device --bytes 300 -m '" + kTiny + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("no-such-device"), std::string::npos) << r.err;
    EXPECT_EQ(lmc_test::RunLmc("bench coding --bytes 0").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench coding --torch-windows x").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench coding --json -m /no/such/model").exit_code, 1);
    lmc_test::CommandResult help = lmc_test::RunLmc("bench coding --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("pytorch_forward_tokens_per_s"), std::string::npos);
}
