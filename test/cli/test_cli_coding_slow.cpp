// test_cli_coding_slow.cpp : 10 MB through `cat | lmc compress | lmc decompress` with bounded
// memory (ctest label `slow`). The peak RSS of the pipeline's processes (wait4() of the shell
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

}  // namespace
