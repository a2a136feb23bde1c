// test_env.h : what every lmc test suite shares: the devices CI requires, skipping with a reason
// on a developer machine, and running the lmc program.
//
// LMC_REQUIRE_DEVICES (a comma list of selector substrings, e.g. "pthread,basic,oclgrind") turns
// a missing device from a skip into a failure, so that in CI a cross-device test can never pass
// by skipping (DESIGN.md §8).
#ifndef LMC_TEST_ENV_H
#define LMC_TEST_ENV_H

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lmc/lmc.h"

namespace lmc_test {

// The device list of this machine, cached for the process.
const std::vector<lmc_device_info> &Devices();

// Selector substrings named by LMC_REQUIRE_DEVICES (empty when unset).
std::vector<std::string> RequiredDevices();

// Whether `name` (a selector substring) is in LMC_REQUIRE_DEVICES.
bool IsRequired(const std::string &name);

// The index in Devices() of the device whose selector is `name` ("cpu-ref", "P.D"), else of the
// one device whose "platform name" contains `name`, or -1.
int FindDevice(const std::string &name);

// The selectors ("P.D") of this machine's GPUs (OpenCL devices of type GPU; not oclgrind, which
// reports one), for the tests that sweep batch and work-group sizes on each, two identical cards
// included: empty on a machine without one (CI's), where those tests skip.
std::vector<std::string> GpuDeviceNames();

// Every OpenCL device of this machine plus cpu-ref (cpu-ref last).
std::vector<lmc_device_info> AllDevices();

// The names of the devices the cross-device tests cover: the required ones, else the usual three.
std::vector<std::string> CoveredDeviceNames();

struct CommandResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Run `args` (a shell command line after the lmc program's path) with optional stdin text and
// environment assignments (`env`, e.g. "LMC_DEVICE=cpu-ref") before the program.
CommandResult RunLmc(const std::string &args, const std::string &stdin_text = "",
                     const std::string &env = "");

// The real corpora (docs/PAPER.md, "Data"): $LMC_DATA_DIR, else ../shared/data from the
// repository root; "" when that folder does not exist (tests then GTEST_SKIP with a message).
std::string DataDir();

// A fresh empty directory under the system temp folder; removed by the caller if wanted.
std::string MakeTempDir();

// A temporary directory removed with everything in it when the object goes; dir / "name" is a
// path inside it.
struct TempDir {
    std::string path = MakeTempDir();
    TempDir() = default;
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    ~TempDir();
    std::string operator/(const std::string &name) const { return path + "/" + name; }
};

// How many times `needle` occurs in `haystack` (overlaps counted).
size_t Count(const std::string &haystack, const std::string &needle);

// The whole file at `path` as bytes ("" when it cannot be read); write `bytes` to `path`;
// whether `path` exists (any kind of file).
std::string ReadFile(const std::string &path);
void WriteFile(const std::string &path, const std::string &bytes);
bool FileExists(const std::string &path);

}  // namespace lmc_test

// Open device `name` into `out` (lmc_device *), or skip the test (fail when it is required).
#define LMC_OPEN_DEVICE_OR_SKIP(name, out)                                                       \
    do {                                                                                         \
        int lmc_idx_ = lmc_test::FindDevice(name);                                               \
        if (lmc_idx_ < 0) {                                                                      \
            if (lmc_test::IsRequired(name)) FAIL() << "required device '" << (name) << "' missing"; \
            GTEST_SKIP() << "device '" << (name) << "' not present on this machine";             \
        }                                                                                        \
        ASSERT_EQ(lmc_device_create(&lmc_test::Devices()[lmc_idx_], &(out)), LMC_OK)             \
            << lmc_last_error();                                                                 \
    } while (0)

#endif  // LMC_TEST_ENV_H
