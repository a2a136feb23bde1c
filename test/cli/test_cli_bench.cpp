// test_cli_bench.cpp : `lmc bench`: the codec bench's JSON object carries the keys its readers
// rely on, with positive rates, and usage errors exit 2. (Speed targets live in the benchmark,
// never in a test.)
#include <gtest/gtest.h>

#include <regex>
#include <string>

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
}
