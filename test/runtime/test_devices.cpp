// test_devices.cpp : device enumeration, selection (DESIGN.md §6) and the exactness probe
// across every OpenCL device and cpu-ref (DESIGN.md §3, §8).
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "program.h"
#include "ref_probe.h"
#include "test_env.h"

namespace {

// A synthetic device list, so that selection rules are tested whatever this machine has.
lmc_device_info MakeInfo(const char *selector, const char *platform, const char *name, bool gpu,
                         bool simulator) {
    lmc_device_info info;
    memset(&info, 0, sizeof info);
    info.kind = strcmp(selector, "cpu-ref") == 0 ? LMC_DEVICE_KIND_CPU_REF : LMC_DEVICE_KIND_OPENCL;
    snprintf(info.selector, sizeof info.selector, "%s", selector);
    snprintf(info.platform, sizeof info.platform, "%s", platform);
    snprintf(info.name, sizeof info.name, "%s", name);
    info.is_gpu = gpu;
    info.is_simulator = simulator;
    return info;
}

std::vector<lmc_device_info> SyntheticList() {
    return {MakeInfo("0.0", "Oclgrind", "Oclgrind Simulator", false, true),
            MakeInfo("1.0", "Portable Computing Language", "basic-skylake", false, false),
            MakeInfo("1.1", "Portable Computing Language", "pthread-skylake", false, false),
            MakeInfo("cpu-ref", "lmc", "cpu-ref", false, false)};
}

// Unsets LMC_DEVICE for one test and restores it after.
class ScopedEnv {
  public:
    ScopedEnv(const char *name, const char *value) : name_(name) {
        const char *old = getenv(name);
        had_ = old != nullptr;
        if (had_) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (had_)
            setenv(name_.c_str(), old_.c_str(), 1);
        else
            unsetenv(name_.c_str());
    }

  private:
    std::string name_, old_;
    bool had_ = false;
};

size_t Select(const std::vector<lmc_device_info> &list, const char *selector) {
    size_t index = 999;
    EXPECT_EQ(lmc_devices_select(list.data(), list.size(), selector, &index), LMC_OK)
        << selector << ": " << lmc_last_error();
    return index;
}

TEST(DeviceSelect, ByIndexSubstringAndCpuRef) {
    auto list = SyntheticList();
    EXPECT_EQ(Select(list, "1.1"), 2u);
    EXPECT_EQ(Select(list, "0.0"), 0u);
    EXPECT_EQ(Select(list, "cpu-ref"), 3u);
    EXPECT_EQ(Select(list, "pthread"), 2u);
    EXPECT_EQ(Select(list, "BASIC"), 1u) << "substrings are case-insensitive";
    EXPECT_EQ(Select(list, "oclgrind"), 0u) << "a simulator is selectable when named";
    EXPECT_EQ(Select(list, "language pthread"), 2u) << "the haystack is \"platform name\"";
}

TEST(DeviceSelect, UnknownSelectorListsTheDevices) {
    auto list = SyntheticList();
    size_t index = 0;
    EXPECT_EQ(lmc_devices_select(list.data(), list.size(), "nvidia", &index), LMC_ERR_DEVICE_NOT_FOUND);
    std::string detail = lmc_last_error();
    EXPECT_NE(detail.find("'nvidia'"), std::string::npos) << detail;
    EXPECT_NE(detail.find("pthread-skylake"), std::string::npos) << detail;
    EXPECT_NE(detail.find("cpu-ref"), std::string::npos) << detail;
    EXPECT_EQ(lmc_devices_select(list.data(), list.size(), "7.3", &index), LMC_ERR_DEVICE_NOT_FOUND);
    EXPECT_EQ(lmc_devices_select(list.data(), list.size(), "", &index), LMC_ERR_DEVICE_NOT_FOUND);
}

TEST(DeviceSelect, AmbiguousSelectorListsTheMatches) {
    auto list = SyntheticList();
    size_t index = 0;
    EXPECT_EQ(lmc_devices_select(list.data(), list.size(), "skylake", &index), LMC_ERR_DEVICE_AMBIGUOUS);
    std::string detail = lmc_last_error();
    EXPECT_NE(detail.find("basic-skylake"), std::string::npos) << detail;
    EXPECT_NE(detail.find("pthread-skylake"), std::string::npos) << detail;
    EXPECT_EQ(detail.find("Oclgrind Simulator"), std::string::npos) << "non-matches are not listed";
}

TEST(DeviceSelect, ManyAllExcludesSimulatorsAndDropsDuplicates) {
    auto list = SyntheticList();
    size_t idx[8], n = 0;
    ASSERT_EQ(lmc_devices_select_many(list.data(), list.size(), "all", idx, 8, &n), LMC_OK);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(idx[0], 1u);
    EXPECT_EQ(idx[1], 2u);
    EXPECT_EQ(idx[2], 3u);
    ASSERT_EQ(lmc_devices_select_many(list.data(), list.size(), "cpu-ref, oclgrind,1.1,cpu-ref", idx, 8, &n),
              LMC_OK);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(idx[0], 3u);
    EXPECT_EQ(idx[1], 0u);
    EXPECT_EQ(idx[2], 2u);
    EXPECT_EQ(lmc_devices_select_many(list.data(), list.size(), "cpu-ref,nope", idx, 8, &n),
              LMC_ERR_DEVICE_NOT_FOUND);
    EXPECT_EQ(lmc_devices_select_many(list.data(), list.size(), ",", idx, 8, &n), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(lmc_devices_select_many(list.data(), list.size(), "all", idx, 2, &n), LMC_ERR_BUFFER_TOO_SMALL);
}

TEST(DeviceSelect, DefaultOrder) {
    ScopedEnv no_env("LMC_DEVICE", nullptr);
    size_t index = 999;
    auto list = SyntheticList();
    ASSERT_EQ(lmc_devices_default(list.data(), list.size(), &index), LMC_OK);
    EXPECT_EQ(index, 2u) << "PoCL's pthread device comes before basic";

    auto with_gpu = list;
    with_gpu.insert(with_gpu.begin() + 1, MakeInfo("2.0", "NVIDIA CUDA", "NVIDIA H100", true, false));
    ASSERT_EQ(lmc_devices_default(with_gpu.data(), with_gpu.size(), &index), LMC_OK);
    EXPECT_EQ(index, 1u) << "a GPU comes first";

    std::vector<lmc_device_info> basic_only = {list[0], list[1], list[3]};
    ASSERT_EQ(lmc_devices_default(basic_only.data(), basic_only.size(), &index), LMC_OK);
    EXPECT_EQ(index, 1u) << "another PoCL device before cpu-ref";

    std::vector<lmc_device_info> simulator_only = {list[0], list[3]};
    ASSERT_EQ(lmc_devices_default(simulator_only.data(), simulator_only.size(), &index), LMC_OK);
    EXPECT_EQ(index, 1u) << "a simulator is never the default";
}

TEST(DeviceSelect, DefaultHonoursLmcDevice) {
    auto list = SyntheticList();
    size_t index = 999;
    {
        ScopedEnv env("LMC_DEVICE", "basic");
        ASSERT_EQ(lmc_devices_default(list.data(), list.size(), &index), LMC_OK);
        EXPECT_EQ(index, 1u);
    }
    {
        ScopedEnv env("LMC_DEVICE", "no-such-device");
        EXPECT_EQ(lmc_devices_default(list.data(), list.size(), &index), LMC_ERR_DEVICE_NOT_FOUND);
        EXPECT_NE(std::string(lmc_last_error()).find("LMC_DEVICE=no-such-device"), std::string::npos);
    }
}

TEST(DeviceList, CpuRefIsAlwaysListedLast) {
    const auto &devices = lmc_test::Devices();
    ASSERT_FALSE(devices.empty());
    EXPECT_STREQ(devices.back().selector, "cpu-ref");
    EXPECT_EQ(devices.back().kind, LMC_DEVICE_KIND_CPU_REF);
}

TEST(DeviceList, EverySelectorResolvesToItsOwnDevice) {
    const auto &devices = lmc_test::Devices();
    for (size_t i = 0; i < devices.size(); i++) {
        size_t index = 999;
        ASSERT_EQ(lmc_devices_select(devices.data(), devices.size(), devices[i].selector, &index), LMC_OK)
            << devices[i].selector;
        EXPECT_EQ(index, i);
    }
}

// Each device CI requires is enumerated, and a substring of its name selects exactly it.
class RequiredDevice : public ::testing::TestWithParam<std::string> {};

TEST_P(RequiredDevice, IsEnumeratedAndSelectable) {
    const std::string name = GetParam();
    int found = lmc_test::FindDevice(name);
    if (found < 0) {
        if (lmc_test::IsRequired(name)) FAIL() << "required device '" << name << "' not enumerated";
        GTEST_SKIP() << "device '" << name << "' not present on this machine";
    }
    const auto &devices = lmc_test::Devices();
    size_t index = 999;
    ASSERT_EQ(lmc_devices_select(devices.data(), devices.size(), name.c_str(), &index), LMC_OK)
        << lmc_last_error();
    EXPECT_EQ((int)index, found);
    EXPECT_EQ(devices[index].kind, LMC_DEVICE_KIND_OPENCL);
    EXPECT_GT(devices[index].compute_units, 0u);
    EXPECT_GT(devices[index].global_mem_bytes, 0u);
    EXPECT_NE(std::string(devices[index].opencl_c_version), "");
}

// The exactness probe: a fixed-order dot product must give cpu-ref's bits on every device.
TEST_P(RequiredDevice, FixedOrderDotMatchesCpuRefBitForBit) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), device);
    // Several shapes: K = 1, K not a multiple of any vector width, a long K.
    const size_t shapes[][2] = {{1, 1}, {3, 7}, {64, 257}, {256, 1031}};
    uint32_t state = 1;
    for (const auto &shape : shapes) {
        size_t rows = shape[0], K = shape[1];
        std::vector<float> a(rows * K), b(K), want(rows), got(rows);
        for (auto *v : {&a, &b})
            for (auto &x : *v) {
                state = state * 1664525u + 1013904223u;
                x = ((float)(state >> 8) / 16777216.0f * 2.0f - 1.0f) * (float)(1u << (state & 7u));
            }
        lmc_ref_probe_dot(a.data(), b.data(), rows, K, want.data());
        ASSERT_EQ(lmc_device_probe_dot(device, a.data(), b.data(), rows, K, 0, got.data()), LMC_OK)
            << lmc_last_error();
        size_t mismatches = 0;
        for (size_t r = 0; r < rows; r++)
            if (memcmp(&want[r], &got[r], sizeof(float)) != 0 && mismatches++ < 5)
                ADD_FAILURE() << GetParam() << " rows=" << rows << " K=" << K << " row " << r
                              << ": device " << got[r] << " vs cpu-ref " << want[r];
        EXPECT_EQ(mismatches, 0u) << "rows=" << rows << " K=" << K;
    }
    int exact = 0;
    ASSERT_EQ(lmc_device_check_exact(device, &exact, nullptr), LMC_OK) << lmc_last_error();
    EXPECT_TRUE(exact);
    lmc_device_destroy(device);
}

// A kernel with a syntax error fails with the compiler's build log in the error detail.
TEST_P(RequiredDevice, SyntaxErrorSurfacesTheBuildLog) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), device);
    const char *broken = "kernel void broken(global int *x) { x[0] = undeclared_name_42; }\n";
    cl_program program = nullptr;
    EXPECT_EQ(lmc_program_build_source(device, "broken.cl", broken, nullptr, &program), LMC_ERR_KERNEL_BUILD);
    EXPECT_EQ(program, nullptr);
    std::string detail = lmc_last_error();
    EXPECT_NE(detail.find("broken.cl"), std::string::npos) << detail;
    EXPECT_NE(detail.find("build log"), std::string::npos) << detail;
    EXPECT_NE(detail.find("undeclared_name_42"), std::string::npos)
        << "the compiler's own message, naming the culprit, must be in the detail:\n" << detail;
    lmc_device_destroy(device);
}

// Programs are cached per device: asking twice builds once.
TEST_P(RequiredDevice, ProgramsAreCachedInProcess) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP(GetParam(), device);
    cl_program first = nullptr, second = nullptr, other = nullptr;
    ASSERT_EQ(lmc_program_get(device, "probe", nullptr, &first), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_program_get(device, "probe", nullptr, &second), LMC_OK);
    EXPECT_EQ(first, second);
    ASSERT_EQ(lmc_program_get(device, "probe", "#define LMC_UNUSED_TUNABLE 1\n", &other), LMC_OK);
    EXPECT_NE(first, other) << "another preamble is another program";
    lmc_device_destroy(device);
}

INSTANTIATE_TEST_SUITE_P(Devices, RequiredDevice, ::testing::ValuesIn(lmc_test::CoveredDeviceNames()),
                         [](const ::testing::TestParamInfo<std::string> &param) { return param.param; });

// The negative control: with contraction allowed, at least one OpenCL device gives other bits
// than the strict reference. If no device did, the probe could not tell exact from inexact.
TEST(ExactnessProbe, ContractionIsDetectedOnSomeDevice) {
    int opencl_devices = 0, differing = 0, pocl = 0;
    std::string report;
    for (const auto &info : lmc_test::Devices()) {
        if (info.kind != LMC_DEVICE_KIND_OPENCL) continue;
        opencl_devices++;
        pocl += strstr(info.platform, "Portable Computing Language") != nullptr;
        lmc_device *device = nullptr;
        ASSERT_EQ(lmc_device_create(&info, &device), LMC_OK) << lmc_last_error();
        int exact = 0, fuses = 0;
        ASSERT_EQ(lmc_device_check_exact(device, &exact, &fuses), LMC_OK) << lmc_last_error();
        differing += fuses;
        report += std::string(info.selector) + " " + info.name + (fuses ? ": fuses\n" : ": strict\n");
        lmc_device_destroy(device);
    }
    if (opencl_devices == 0) {
        if (!lmc_test::RequiredDevices().empty()) FAIL() << "no OpenCL device, but some are required";
        GTEST_SKIP() << "no OpenCL device on this machine";
    }
    if (differing == 0 && pocl == 0) GTEST_SKIP() << "no device known to fuse multiply-adds:\n" << report;
    EXPECT_GT(differing, 0) << "contraction changed nothing anywhere; the probe is blind:\n" << report;
}

// The probe's inputs are sensitive: one rounding (fma) instead of two changes the sums. Without
// this, 'exact' above could pass on a device that fuses.
TEST(ExactnessProbe, InputsSeparateFusedFromUnfused) {
    lmc_device *device = nullptr;
    ASSERT_EQ(lmc_device_open("cpu-ref", &device), LMC_OK);
    int exact = 0, fuses = 0;
    ASSERT_EQ(lmc_device_check_exact(device, &exact, &fuses), LMC_OK);
    EXPECT_TRUE(exact);
    EXPECT_TRUE(fuses) << "cpu-ref's explicit fma must differ from the two-rounding sum";
    lmc_device_destroy(device);
}

// LMC_KERNEL_DIR replaces the embedded kernels with files from a folder laid out as cl/ is
// (device/probe.cl; common.cl at the top).
TEST(KernelSource, KernelDirOverridesEmbeddedCopies) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", device);
    std::string dir = lmc_test::MakeTempDir();
    ASSERT_FALSE(dir.empty());
    {
        std::ofstream(dir + "/common.cl") << "#pragma OPENCL FP_CONTRACT OFF\n";
        ASSERT_EQ(mkdir((dir + "/device").c_str(), 0700), 0);
        std::ofstream(dir + "/device/probe.cl")
            << "kernel void probe_dot(global const float *a, global const float *b,\n"
               "                      global float *out, int K) { out[get_global_id(0)] = 42.0f; }\n";
    }
    ScopedEnv env("LMC_KERNEL_DIR", dir.c_str());
    float a[2] = {1, 2}, b[1] = {3}, out[2] = {0, 0};
    ASSERT_EQ(lmc_device_probe_dot(device, a, b, 2, 1, 0, out), LMC_OK) << lmc_last_error();
    EXPECT_EQ(out[0], 42.0f);
    EXPECT_EQ(out[1], 42.0f);
    char *text = nullptr;
    unsetenv("LMC_KERNEL_DIR");
    ASSERT_EQ(lmc_program_source("probe", &text), LMC_OK);
    EXPECT_NE(std::string(text).find("probe_dot_contracted"), std::string::npos)
        << "without the variable the embedded copy is back";
    free(text);
    lmc_device_destroy(device);
    std::string cleanup = "rm -rf '" + dir + "'";
    EXPECT_EQ(system(cleanup.c_str()), 0);
}

TEST(KernelSource, UnknownKernelIsNotFound) {
    char *text = nullptr;
    EXPECT_EQ(lmc_program_source("no_such_kernel", &text), LMC_ERR_NOT_FOUND);
    EXPECT_EQ(text, nullptr);
    EXPECT_NE(std::string(lmc_last_error()).find("no_such_kernel"), std::string::npos);
}

TEST(Status, EveryCodeHasItsOwnString) {
    const lmc_status codes[] = {LMC_OK, LMC_ERR_INVALID_ARGUMENT, LMC_ERR_OUT_OF_MEMORY,
                                LMC_ERR_BUFFER_TOO_SMALL, LMC_ERR_UNSUPPORTED, LMC_ERR_INTERRUPTED,
                                LMC_ERR_IO, LMC_ERR_NOT_FOUND, LMC_ERR_FORMAT, LMC_ERR_CORRUPT,
                                LMC_ERR_TRUNCATED, LMC_ERR_VERSION, LMC_ERR_CHECKSUM, LMC_ERR_MODEL,
                                LMC_ERR_MODEL_MISMATCH, LMC_ERR_DEVICE_NOT_FOUND,
                                LMC_ERR_DEVICE_AMBIGUOUS, LMC_ERR_OPENCL, LMC_ERR_KERNEL_BUILD,
                                LMC_ERR_CLBLAST, LMC_ERR_VERIFY_MISMATCH};
    std::vector<std::string> seen;
    for (lmc_status code : codes) {
        std::string text = lmc_status_str(code);
        EXPECT_NE(text, "unknown status") << code;
        for (const auto &s : seen) EXPECT_NE(s, text);
        seen.push_back(text);
    }
    EXPECT_STREQ(lmc_status_str((lmc_status)-9999), "unknown status");
}

TEST(Status, LastErrorKeepsTheDetail) {
    EXPECT_EQ(lmc_set_error(LMC_ERR_CORRUPT, "frame %d at offset %d", 3, 1024), LMC_ERR_CORRUPT);
    EXPECT_STREQ(lmc_last_error(), "frame 3 at offset 1024");
    lmc_append_error(" (and more)");
    EXPECT_STREQ(lmc_last_error(), "frame 3 at offset 1024 (and more)");
    lmc_clear_error();
    EXPECT_STREQ(lmc_last_error(), "");
}

// Wrapping the previous detail in a new one is safe: the argument is read before it is replaced.
TEST(Status, SetErrorMayQuoteTheLastError) {
    lmc_set_error(LMC_ERR_IO, "disk full");
    EXPECT_EQ(lmc_set_error(LMC_ERR_IO, "writing out.lmc: %s", lmc_last_error()), LMC_ERR_IO);
    EXPECT_STREQ(lmc_last_error(), "writing out.lmc: disk full");
    lmc_append_error(" [%s]", lmc_last_error());
    EXPECT_STREQ(lmc_last_error(), "writing out.lmc: disk full [writing out.lmc: disk full]");
}

}  // namespace
