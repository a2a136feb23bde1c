// test_baselines_corpus.cpp : on the real corpora (skipped when DataDir() is ""), the unchunked
// gzip, lzma2 and flac rates of lmc_baseline_measure agree with Debian's `gzip -9`, `xz -6` and
// `flac --best` run on the same bytes, within 0.5 percentage points. Bounded in time: the first
// 1 MiB (512 chunks) of the text eval slice, the images and the audio.
//
// `flac` is told the raw format lmc uses (8-bit unsigned mono at 16 kHz, so byte b is sample
// b - 128) and `--no-padding`: the CLI otherwise reserves an 8 KiB empty PADDING block for later
// tag edits, which is not compression (0.8 points on 1 MiB).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "lmc/baseline.h"
#include "lmc/data.h"
#include "test_env.h"

namespace {

constexpr size_t kChunks = 512;

// Size in bytes of the stdout of `command < path`, or -1.
long OutputSize(const std::string &command, const std::string &path) {
    std::string cmd = command + " < '" + path + "' | wc -c";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) return -1;
    long n = -1;
    if (fscanf(p, "%ld", &n) != 1) n = -1;
    int rc = pclose(p);
    return rc == 0 ? n : -1;
}

struct Case {
    const char *dataset;  // under DataDir()
    const char *compressor;
    const char *tool;
};

class CorpusAgreement : public ::testing::TestWithParam<Case> {};

TEST_P(CorpusAgreement, UnchunkedRateMatchesTheDebianTool) {
    const Case c = GetParam();
    const std::string dir = lmc_test::DataDir();
    if (dir.empty()) GTEST_SKIP() << "no corpora: set LMC_DATA_DIR or provide ../shared/data";
    std::string spec = std::string(c.dataset) + dir + (strchr(c.dataset, 't') == c.dataset ? "/text/eval"
                                                       : c.dataset[0] == 'i'            ? "/images"
                                                                                        : "/audio");
    lmc_dataset_params p = lmc_dataset_params_default();
    p.max_chunks = kChunks;
    lmc_dataset *ds = nullptr;
    ASSERT_EQ(lmc_dataset_open(spec.c_str(), &p, &ds), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_dataset_chunk_count(ds), kChunks);
    const size_t raw = kChunks * LMC_CHUNK_BYTES;
    std::string tmp = lmc_test::MakeTempDir(), path = tmp + "/bytes";
    {
        std::ofstream f(path, std::ios::binary);
        f.write((const char *)lmc_dataset_bytes(ds), (std::streamsize)raw);
    }
    lmc_baseline_result r;
    ASSERT_EQ(lmc_baseline_measure(lmc_baseline_find(c.compressor), lmc_dataset_bytes(ds), kChunks,
                                   LMC_CHUNK_BYTES, 1.0, nullptr, nullptr, &r),
              LMC_OK)
        << lmc_last_error();
    lmc_dataset_destroy(ds);
    long tool = OutputSize(c.tool, path);
    ASSERT_EQ(system(("rm -rf '" + tmp + "'").c_str()), 0);
    ASSERT_GT(tool, 0) << "could not run: " << c.tool;
    double theirs = 100.0 * (double)tool / (double)raw, ours = 100.0 * r.unchunked_rate;
    RecordProperty("ours_percent", std::to_string(ours));
    RecordProperty("tool_percent", std::to_string(theirs));
    printf("  %s on %.*s: lmc %.3f%%, tool %.3f%%\n", c.compressor, (int)strlen(c.dataset) - 1, c.dataset, ours, theirs);
    EXPECT_NEAR(ours, theirs, 0.5) << c.compressor << " on " << spec << " vs `" << c.tool << "`";
}

const char *const kGzip = "gzip -9 -c";
const char *const kXz = "xz -6 -c";
const char *const kFlac =
    "flac --best --no-padding --silent --force-raw-format --endian=little --sign=unsigned --channels=1 "
    "--bps=8 --sample-rate=16000 -c - 2>/dev/null";

std::string CaseName(const ::testing::TestParamInfo<Case> &p) {
    std::string d = p.param.dataset;
    return d.substr(0, d.size() - 1) + "_" + p.param.compressor;
}

INSTANTIATE_TEST_SUITE_P(Real, CorpusAgreement,
                         ::testing::Values(Case{"text:", "gzip", kGzip}, Case{"text:", "lzma2", kXz},
                                           Case{"text:", "flac", kFlac}, Case{"image:", "gzip", kGzip},
                                           Case{"image:", "lzma2", kXz}, Case{"image:", "flac", kFlac},
                                           Case{"audio:", "gzip", kGzip}, Case{"audio:", "lzma2", kXz},
                                           Case{"audio:", "flac", kFlac}),
                         CaseName);

}  // namespace
