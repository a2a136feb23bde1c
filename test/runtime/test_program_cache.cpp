// test_program_cache.cpp : SHA-256 against the FIPS 180-4 examples, and the on-disk program
// binary cache: a second device loads the program from disk, results stay bit-identical, and a
// damaged cache file is rebuilt silently (program.h).
#include <stdlib.h>
#include <string.h>

#include <fstream>
#include <string>
#include <vector>

#include "lmc/sha256.h"
#include "program.h"
#include "test_env.h"

namespace {

std::string Hex(const void *data, size_t size) {
    uint8_t digest[32];
    char hex[65];
    lmc_sha256(data, size, digest);
    lmc_sha256_hex(digest, hex);
    return hex;
}

TEST(Sha256, FipsExamples) {
    EXPECT_EQ(Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(Hex(two_blocks, strlen(two_blocks)),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    std::string million(1000000, 'a');
    EXPECT_EQ(Hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotAtEverySplit) {
    std::string text(200, '\0');
    for (size_t i = 0; i < text.size(); i++) text[i] = (char)(i * 37 + 11);
    std::string want = Hex(text.data(), text.size());
    for (size_t split = 0; split <= text.size(); split += 7) {
        lmc_sha256_ctx ctx;
        lmc_sha256_init(&ctx);
        lmc_sha256_update(&ctx, text.data(), split);
        lmc_sha256_update(&ctx, text.data() + split, text.size() - split);
        uint8_t digest[32];
        char hex[65];
        lmc_sha256_final(&ctx, digest);
        lmc_sha256_hex(digest, hex);
        EXPECT_EQ(want, hex) << "split at " << split;
    }
}

class ProgramCache : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = lmc_test::MakeTempDir();
        ASSERT_FALSE(dir_.empty());
        const char *old = getenv("LMC_CACHE_DIR");
        had_old_ = old != nullptr;
        if (had_old_) old_ = old;
        setenv("LMC_CACHE_DIR", (dir_ + "/cache").c_str(), 1);
    }
    void TearDown() override {
        if (had_old_)
            setenv("LMC_CACHE_DIR", old_.c_str(), 1);
        else
            unsetenv("LMC_CACHE_DIR");
        std::string cleanup = "rm -rf '" + dir_ + "'";
        EXPECT_EQ(system(cleanup.c_str()), 0);
    }
    std::vector<std::string> CacheFiles() {
        std::vector<std::string> files;
        std::string cmd = "ls '" + dir_ + "/cache' 2>/dev/null";
        FILE *p = popen(cmd.c_str(), "r");
        char line[512];
        while (p && fgets(line, sizeof line, p)) {
            std::string name(line);
            if (!name.empty() && name.back() == '\n') name.pop_back();
            files.push_back(dir_ + "/cache/" + name);
        }
        if (p) pclose(p);
        return files;
    }
    std::string dir_, old_;
    bool had_old_ = false;
};

TEST_F(ProgramCache, SecondDeviceLoadsFromDiskAndStaysExact) {
    lmc_device *first = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", first);
    int exact = 0;
    ASSERT_EQ(lmc_device_check_exact(first, &exact, nullptr), LMC_OK) << lmc_last_error();
    EXPECT_TRUE(exact);
    EXPECT_EQ(first->programs_from_source, 1u);
    EXPECT_EQ(first->programs_from_disk, 0u);
    ASSERT_EQ(CacheFiles().size(), 1u) << "one program, one file";
    lmc_device_destroy(first);

    lmc_device *second = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", second);
    ASSERT_EQ(lmc_device_check_exact(second, &exact, nullptr), LMC_OK) << lmc_last_error();
    EXPECT_TRUE(exact) << "a program from the cache computes the same bits";
    EXPECT_EQ(second->programs_from_disk, 1u);
    EXPECT_EQ(second->programs_from_source, 0u);
    lmc_device_destroy(second);
}

TEST_F(ProgramCache, DamagedFileIsRebuiltSilently) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", device);
    cl_program program = nullptr;
    ASSERT_EQ(lmc_program_get(device, "probe", nullptr, &program), LMC_OK);
    lmc_device_destroy(device);
    auto files = CacheFiles();
    ASSERT_EQ(files.size(), 1u);
    for (int damage = 0; damage < 3; damage++) {
        {
            std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
            if (damage == 0) {
                f.seekp(60);  // inside the binary: the checksum no longer matches
                f.put('\x5a');
            } else if (damage == 1) {
                f.seekp(0);  // wrong magic
                f.put('X');
            }
        }
        if (damage == 2) std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "LMCPBIN1";  // truncated
        lmc_device *again = nullptr;
        LMC_OPEN_DEVICE_OR_SKIP("pthread", again);
        int exact = 0;
        ASSERT_EQ(lmc_device_check_exact(again, &exact, nullptr), LMC_OK) << lmc_last_error();
        EXPECT_TRUE(exact);
        EXPECT_EQ(again->programs_from_disk, 0u) << "damage " << damage;
        EXPECT_EQ(again->programs_from_source, 1u) << "damage " << damage;
        lmc_device_destroy(again);
    }
}

TEST_F(ProgramCache, OffMeansNoFiles) {
    setenv("LMC_CACHE_DIR", "off", 1);
    char dir[64];
    lmc_program_cache_dir(dir, sizeof dir);
    EXPECT_STREQ(dir, "");
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", device);
    cl_program program = nullptr;
    ASSERT_EQ(lmc_program_get(device, "probe", nullptr, &program), LMC_OK);
    EXPECT_EQ(device->programs_from_source, 1u);
    lmc_device_destroy(device);
    EXPECT_TRUE(CacheFiles().empty());
}

TEST_F(ProgramCache, AnotherPreambleIsAnotherFile) {
    lmc_device *device = nullptr;
    LMC_OPEN_DEVICE_OR_SKIP("pthread", device);
    cl_program a = nullptr, b = nullptr;
    ASSERT_EQ(lmc_program_get(device, "probe", nullptr, &a), LMC_OK);
    ASSERT_EQ(lmc_program_get(device, "probe", "#define LMC_TILE 8\n", &b), LMC_OK);
    lmc_device_destroy(device);
    EXPECT_EQ(CacheFiles().size(), 2u);
}

}  // namespace
