// test_cli_bench_coding.cpp : `lmc bench coding --json` on a tiny input with the frozen tiny
// coding model: one JSON object with the keys its readers rely on (positive rates, the round trip
// checked inside), the PyTorch side either measured or skipped with a note, and clean failures:
// a device that does not exist exits 1 with a message and no JSON, bad options exit 2. No timing
// assertions (speed targets live in the benchmark).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

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

// --sweep: the automatic batch and each fixed one coded with a fresh predictor, each entry's
// batch as asked (fixed) or as chosen (auto, with its source), positive median rates, and the
// automatic entry's ratio to the best fixed one per direction; the ratio is the medians' quotient
// (checked here against the printed entries), not a timing bound.
TEST(CliBenchCoding, SweepReportsEachBatchAndTheAutomaticAgainstTheBest) {
    lmc_test::CommandResult r = lmc_test::RunLmc(
        "bench coding --json --device pthread --bytes 900 --torch-windows 0 --sweep 1,3 --rounds 2 -m '" + kTiny + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::regex entry("\\{\"batch\": \"(auto|fixed)\", \"batch_windows\": ([0-9]+), \"compress_bytes_per_s\": ([0-9.]+), "
                     "\"decompress_bytes_per_s\": ([0-9.]+)\\}");
    std::vector<std::string> kinds;
    std::vector<long> windows;
    std::vector<double> comp, decomp;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), entry), end; it != end; ++it) {
        kinds.push_back((*it)[1].str());
        windows.push_back(std::stol((*it)[2].str()));
        comp.push_back(std::stod((*it)[3].str()));
        decomp.push_back(std::stod((*it)[4].str()));
    }
    ASSERT_EQ(kinds.size(), 3u) << r.out;
    EXPECT_EQ(kinds[0], "auto");
    EXPECT_EQ(kinds[1], "fixed");
    EXPECT_EQ(windows[1], 1);
    EXPECT_EQ(windows[2], 3);
    EXPECT_GE(windows[0], 1);
    for (size_t i = 0; i < 3; i++) EXPECT_TRUE(comp[i] > 0 && decomp[i] > 0) << r.out;
    EXPECT_EQ(Number(r.out, "rounds"), 2.0) << r.out;
    const double best_c = std::max(comp[1], comp[2]), best_d = std::max(decomp[1], decomp[2]);
    EXPECT_NEAR(Number(r.out, "auto_vs_best_compress"), comp[0] / best_c, 1e-3) << r.out;
    EXPECT_NEAR(Number(r.out, "auto_vs_best_decompress"), decomp[0] / best_d, 1e-3) << r.out;
    EXPECT_EQ(Number(r.out, "best_compress_batch"), comp[1] >= comp[2] ? 1.0 : 3.0) << r.out;
    EXPECT_NE(r.out.find("\"auto_source\": \""), std::string::npos) << r.out;
    EXPECT_EQ(lmc_test::RunLmc("bench coding --sweep 0").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench coding --sweep 2,x").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench coding --sweep 1,2,3,4,5,6,7,8,9").exit_code, 2);
    EXPECT_EQ(lmc_test::RunLmc("bench coding --sweep 2 --rounds 0").exit_code, 2);
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
