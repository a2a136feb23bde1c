// test_cli_coding_slow.cpp : (ctest label `slow`) random input through the built-in model grows
// by at most 0.5% (its windows are stored as they are); and 10 MB through
// `cat | lmc compress | lmc decompress` with bounded memory. The peak RSS of the pipeline's processes (wait4() of the shell
// that waited for them) is compared with the same pipeline on a fifth of the input (2 MB, where
// every batch is already full): the fixed part (OpenCL runtime, LLVM, the model, the batches) is
// the same in both, so the difference is what grows with the input (the container's index: 4
// bytes per window), and it must stay well under the input's size (a quarter of it): nothing
// holds the whole input, the whole stream or the whole output.
// The golden tiny model with 64-byte windows keeps the forward passes cheap (about 400 KB/s on
// PoCL's pthread device, 120 KB/s on cpu-ref). Sanitizer and Debug builds (LMC_TEST_SMALL) pipe 1 MB
// on PoCL's pthread device and skip the RSS bound: ASan's quarantine keeps freed memory on
// purpose.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "test_env.h"

namespace {

std::string Read(const std::string &path) { return lmc_test::ReadFile(path); }

struct PipeRun {
    int status = -1;
    long max_rss_kib = 0;
};

// Run `cmd` under /bin/sh in a child and return its status and the peak RSS of it and every
// process it waited for (wait4 reports the child's own and its children's maximum).
PipeRun RunMeasured(const std::string &cmd) {
    PipeRun r;
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), (char *)nullptr);
        _exit(127);
    }
    struct rusage ru;
    if (pid > 0 && wait4(pid, &r.status, 0, &ru) == pid) r.max_rss_kib = ru.ru_maxrss;
    return r;
}

TEST(CliCodingSlow, TenMegabytesThroughPipesInBoundedMemory) {
#ifdef LMC_TEST_SMALL
    const size_t big = 1000 * 1000;
    // No RSS bound here: PoCL's pthread device (uninstrumented kernels) when present, for speed.
    const std::string device = lmc_test::FindDevice("pthread") >= 0 ? "pthread" : "cpu-ref";
#else
    const size_t big = 10 * 1000 * 1000;
    // The batched OpenCL kernels (about 400 KB/s with this model) when PoCL's pthread device is
    // there, else cpu-ref.
    const std::string device = lmc_test::FindDevice("pthread") >= 0 ? "pthread" : "cpu-ref";
#endif
    const size_t small = big / 5; // past the first batches: the steady state
    lmc_test::TempDir tmp;
    {
        // Text-like bytes from a fixed generator.
        std::ofstream f(tmp / "big", std::ios::binary);
        uint32_t x = 12345;
        std::string block(1 << 16, '\0');
        for (size_t done = 0; done < big; done += block.size()) {
            for (auto &c : block) {
                x = x * 1664525u + 1013904223u;
                c = (char)("etaoin shrdlu cmfwyp\n"[(x >> 24) % 21]);
            }
            f.write(block.data(), (std::streamsize)std::min(block.size(), big - done));
        }
    }
    ASSERT_EQ(truncate((tmp / "big").c_str(), (off_t)big), 0);
    std::string data = Read(tmp / "big");
    std::ofstream(tmp / "small", std::ios::binary).write(data.data(), (std::streamsize)small);
    const std::string lmc = std::string(LMC_BINARY_DIR) + "/lmc";
    const std::string m = " -m " + std::string(LMC_SOURCE_DIR) + "/test/golden/tiny.exact.safetensors --device " + device;
    auto pipeline = [&](const std::string &in, const std::string &out) {
        return "cat " + in + " | " + lmc + " compress -q -W 64" + m + " | " + lmc + " -d -q" + m + " > " + out;
    };
    // A first run fills the kernel caches (lmc's and PoCL's), so that compilation's memory
    // weighs the same in both measured runs.
    PipeRun warm = RunMeasured(pipeline(tmp / "small", tmp / "small.out"));
    ASSERT_TRUE(WIFEXITED(warm.status) && WEXITSTATUS(warm.status) == 0) << warm.status;
    PipeRun s = RunMeasured(pipeline(tmp / "small", tmp / "small.out"));
    ASSERT_TRUE(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0) << s.status;
    ASSERT_EQ(Read(tmp / "small.out"), data.substr(0, small));
    PipeRun b = RunMeasured(pipeline(tmp / "big", tmp / "big.out"));
    ASSERT_TRUE(WIFEXITED(b.status) && WEXITSTATUS(b.status) == 0) << b.status;
    EXPECT_TRUE(Read(tmp / "big.out") == data) << big << " bytes round trip through pipes";
    long grown_kib = b.max_rss_kib - s.max_rss_kib;
    std::printf("peak RSS: %ld KiB for %zu bytes, %ld KiB for %zu bytes (grew %ld KiB) on %s\n", s.max_rss_kib, small,
                b.max_rss_kib, big, grown_kib, device.c_str());
#ifndef LMC_TEST_SMALL
    EXPECT_LT(grown_kib, (long)(big / 4 / 1024)) << "memory grows with the input";
#endif
}

// The measurement: with the built-in model (`-m default`, 200k, 2048-byte windows),
// `lmc compress` of 256 KiB of random bytes writes at most 100.5% of the input: every window is
// stored, so the file is exactly FORMAT.md §7's largest stream, 262144 + 128 * 4.125 + 94 =
// 262766 bytes (100.24%; version 1 wrote about 157%). bytes(range(256)) * 40 (10240 bytes, 141%
// in version 1) is stored too: 20 bytes of framing (0.2%) and the stream's 92 fixed bytes. Both
// decode to their input (without running the model: stored windows only).
TEST(CliCodingSlow, RandomInputGrowsAtMostHalfAPercentWithTheBuiltinModel) {
    const std::string device = lmc_test::FindDevice("pthread") >= 0 ? "pthread" : "cpu-ref";
    lmc_test::TempDir tmp;
    std::string random(262144, '\0'), ramp;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (auto &c : random) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = (char)(x >> 32);
    }
    for (int k = 0; k < 40; k++)
        for (int c = 0; c < 256; c++) ramp.push_back((char)c);
    std::ofstream(tmp / "random", std::ios::binary).write(random.data(), (std::streamsize)random.size());
    std::ofstream(tmp / "ramp", std::ios::binary).write(ramp.data(), (std::streamsize)ramp.size());
    auto r = lmc_test::RunLmc("compress --json -m default --device " + device + " " + tmp / "random " + tmp / "ramp");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::printf("%s\n", r.out.c_str());
    struct stat st;
    ASSERT_EQ(stat((tmp / "random.lmc").c_str(), &st), 0);
    EXPECT_LE((double)st.st_size, 1.005 * (double)random.size());
    EXPECT_EQ(st.st_size, 262766);
    EXPECT_NE(r.out.find("\"windows\": 128, \"stored_windows\": 128}"), std::string::npos) << r.out;
    ASSERT_EQ(stat((tmp / "ramp.lmc").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 10240 + 5 * 4 + 92);
    EXPECT_LE((double)(st.st_size - 92), 1.005 * (double)ramp.size()) << "framing beyond the fixed bytes";
    EXPECT_NE(r.out.find("\"windows\": 5, \"stored_windows\": 5}"), std::string::npos) << r.out;
    auto d = lmc_test::RunLmc("decompress -f --device " + device + " " + tmp / "random.lmc " + tmp / "ramp.lmc");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_TRUE(Read(tmp / "random") == random);
    EXPECT_TRUE(Read(tmp / "ramp") == ramp);
}

}  // namespace
