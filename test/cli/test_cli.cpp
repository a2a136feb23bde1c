// test_cli.cpp : the lmc program as a user meets it: --version, --help, exit codes, and
// `lmc devices` with its selection options (DESIGN.md §6).
#include <string>

#include "test_env.h"

namespace {

using lmc_test::RunLmc;
using lmc_test::Count;

TEST(Cli, VersionPrintsTheLibraryVersion) {
    auto r = RunLmc("--version");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, std::string("lmc ") + lmc_version_string() + "\n");
}

TEST(Cli, HelpListsTheCommands) {
    auto r = RunLmc("--help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage: lmc <command>"), std::string::npos);
    EXPECT_NE(r.out.find("devices"), std::string::npos);
    auto sub = RunLmc("help devices");
    EXPECT_EQ(sub.exit_code, 0);
    EXPECT_NE(sub.out.find("Usage: lmc devices"), std::string::npos);
}

TEST(Cli, NoArgumentsOrUnknownCommandIsAUsageError) {
    auto none = RunLmc("");
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("Usage"), std::string::npos);
    auto unknown = RunLmc("frobnicate");
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
    EXPECT_EQ(unknown.out, "");
}

TEST(CliDevices, HelpAndBadOptions) {
    auto help = RunLmc("devices --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--devices LIST"), std::string::npos);
    auto bad = RunLmc("devices --frobnicate");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("unknown option '--frobnicate'"), std::string::npos) << bad.err;
    auto missing = RunLmc("devices --device");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("needs a value"), std::string::npos) << missing.err;
}

TEST(CliDevices, JsonListsEveryDeviceAndCpuRef) {
    auto r = RunLmc("devices --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.front(), '[');
    EXPECT_EQ(Count(r.out, "\"selector\""), lmc_test::Devices().size());
    EXPECT_NE(r.out.find("\"selector\": \"cpu-ref\""), std::string::npos);
    EXPECT_EQ(Count(r.out, "\"default\": true"), 1u);
    for (const char *key : {"\"platform\"", "\"name\"", "\"vendor\"", "\"driver_version\"",
                            "\"opencl_c_version\"", "\"compute_units\"", "\"global_mem_bytes\"",
                            "\"fp32_denormals\"", "\"fp32_fma\"", "\"fp32_correctly_rounded_div_sqrt\""})
        EXPECT_NE(r.out.find(key), std::string::npos) << key;
}

TEST(CliDevices, TableMarksTheDefault) {
    auto r = RunLmc("devices");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("SELECTOR"), std::string::npos);
    EXPECT_NE(r.out.find("cpu-ref"), std::string::npos);
    auto chosen = RunLmc("devices --device cpu-ref");
    EXPECT_EQ(Count(chosen.out, "\n"), 2u) << "header and one row:\n" << chosen.out;
}

TEST(CliDevices, LmcDeviceSetsTheDefault) {
    auto r = RunLmc("devices --json", "", "LMC_DEVICE=cpu-ref");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"selector\": \"cpu-ref\", \"platform\": \"lmc\""), std::string::npos);
    EXPECT_EQ(Count(r.out, "\"default\": true"), 1u);
    size_t cpu_ref = r.out.find("\"selector\": \"cpu-ref\"");
    EXPECT_NE(r.out.find("\"default\": true", cpu_ref), std::string::npos) << r.out;

    auto bad = RunLmc("devices", "", "LMC_DEVICE=no-such-device");
    EXPECT_EQ(bad.exit_code, 0) << "the list still shows, to help fix the variable";
    EXPECT_NE(bad.err.find("LMC_DEVICE=no-such-device"), std::string::npos) << bad.err;
}

TEST(CliDevices, SelectionErrorsExitNonZeroWithTheList) {
    auto unknown = RunLmc("devices --device no-such-device");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("no device matches 'no-such-device'"), std::string::npos) << unknown.err;
    EXPECT_NE(unknown.err.find("cpu-ref"), std::string::npos) << "the message lists the devices";
    EXPECT_EQ(unknown.out, "");
    auto both = RunLmc("devices --device cpu-ref --devices all");
    EXPECT_EQ(both.exit_code, 2);
}

TEST(CliDevices, CheckOnCpuRefIsExact) {
    auto r = RunLmc("devices --check --json --device cpu-ref");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"exact\": true"), std::string::npos) << r.out;
}

TEST(CliDevices, CheckOnEveryRequiredDevice) {
    for (const auto &name : lmc_test::RequiredDevices()) {
        auto r = RunLmc("devices --check --json --device " + name);
        EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
        EXPECT_NE(r.out.find("\"exact\": true"), std::string::npos) << name << ": " << r.out;
    }
}

}  // namespace
