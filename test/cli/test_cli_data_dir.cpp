// test_cli_data_dir.cpp : where `lmc eval` looks for the corpora, and the corpus names it takes.
// The data folder is $LMC_DATA_DIR, else $XDG_DATA_HOME/lmc/data or ~/.local/share/lmc/data
// (where scripts/fetch-data.sh writes), else the development fallback ../shared/data; the names
// enwik8, enwik9, librispeech-test-clean and kodak resolve to the text, audio and image readers
// on DIR/NAME, and a missing one names the script that fetches it. HOME and XDG_DATA_HOME are
// pointed at temporary folders, so the user's own data never takes part.
#include <png.h>

#include <string>
#include <vector>

#include "data_fixtures.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;
using lmc_test::TempDir;

// The environment of a run: no LMC_DATA_DIR or XDG_DATA_HOME from the caller, HOME = `home`.
std::string Env(const std::string &home, const std::string &more = "") {
    return "-u LMC_DATA_DIR -u XDG_DATA_HOME HOME='" + home + "'" + (more.empty() ? "" : " " + more);
}

void MakeDir(const std::string &path) { ASSERT_EQ(system(("mkdir -p '" + path + "'").c_str()), 0) << path; }

// DIR/enwik8/enwik8 with `chunks` whole chunks of text.
void MakeEnwik8(const std::string &dir, int chunks) {
    MakeDir(dir + "/enwik8");
    ASSERT_EQ(lmc_fixture::WriteBytes(dir + "/enwik8/enwik8", std::string((size_t)chunks * 2048, 'e')), "");
}

TEST(CliDataDir, TheUsersDataFolderIsFoundUnderHome) {
    TempDir t;
    std::string data = t / "home/.local/share/lmc/data";
    MakeEnwik8(data, 2);
    auto r = RunLmc("eval --compressor gzip --dataset enwik8 --json", "", Env(t / "home"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + data + "/enwik8\", \"raw_bytes\": 4096, \"chunks\": 2"),
              std::string::npos)
        << r.out;
}

TEST(CliDataDir, XdgDataHomeWinsOverHomeAndARelativeOneIsIgnored) {
    TempDir t;
    MakeEnwik8(t / "home/.local/share/lmc/data", 1);
    MakeEnwik8(t / "xdg/lmc/data", 3);
    auto r = RunLmc("eval --compressor gzip --dataset enwik8 --json", "", Env(t / "home", "XDG_DATA_HOME='" + (t / "xdg") + "'"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + (t / "xdg") + "/lmc/data/enwik8\""), std::string::npos) << r.out;
    // The XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored.
    auto rel = RunLmc("eval --compressor gzip --dataset enwik8 --json", "", Env(t / "home", "XDG_DATA_HOME=xdg"));
    ASSERT_EQ(rel.exit_code, 0) << rel.err;
    EXPECT_NE(rel.out.find("\"dataset\": \"text:" + (t / "home") + "/.local/share/lmc/data/enwik8\""), std::string::npos)
        << rel.out;
}

TEST(CliDataDir, LmcDataDirWinsOverTheUsersFolder) {
    TempDir t;
    MakeEnwik8(t / "home/.local/share/lmc/data", 1);
    MakeEnwik8(t / "mine", 2);
    auto r = RunLmc("eval --compressor gzip --dataset enwik8 --json", "",
                    "HOME='" + (t / "home") + "' LMC_DATA_DIR='" + (t / "mine") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + (t / "mine") + "/enwik8\""), std::string::npos) << r.out;
}

TEST(CliDataDir, EachCorpusNameTakesItsReader) {
    TempDir t;
    std::string data = t.path;
    MakeEnwik8(data, 1);
    MakeDir(data + "/enwik9");
    ASSERT_EQ(lmc_fixture::WriteBytes(data + "/enwik9/enwik9", std::string(2 * 2048 + 5, 'n')), "");
    // kodak: two 128x32 gray images, 2 patches each; librispeech: a WAV of 3 chunks and a text
    // file the audio reader must pass over, in the archive's SPEAKER/CHAPTER layout.
    MakeDir(data + "/kodak");
    std::vector<uint16_t> px(128 * 32, 9);
    ASSERT_EQ(lmc_fixture::WritePng(data + "/kodak/kodim01.png", 128, 32, PNG_COLOR_TYPE_GRAY, 8, px), "");
    ASSERT_EQ(lmc_fixture::WritePng(data + "/kodak/kodim02.png", 128, 32, PNG_COLOR_TYPE_GRAY, 8, px), "");
    MakeDir(data + "/librispeech-test-clean/test-clean/1/2");
    ASSERT_EQ(lmc_fixture::WriteWav(data + "/librispeech-test-clean/test-clean/1/2/1-2-0000.wav", 1, 16000, 16,
                                    std::vector<int32_t>(3 * 2048, 300)),
              "");
    ASSERT_EQ(lmc_fixture::WriteBytes(data + "/librispeech-test-clean/test-clean/1/2/1-2.trans.txt", "1-2-0000 A\n"), "");
    auto r = RunLmc("eval --compressor gzip --dataset enwik8,enwik9,kodak,librispeech-test-clean --json", "",
                    "LMC_DATA_DIR='" + data + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + data + "/enwik8\", \"raw_bytes\": 2048, \"chunks\": 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + data + "/enwik9\", \"raw_bytes\": 4096, \"chunks\": 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"image:" + data + "/kodak\", \"raw_bytes\": 8192, \"chunks\": 4"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"audio:" + data + "/librispeech-test-clean\", \"raw_bytes\": 6144, \"chunks\": 3"),
              std::string::npos)
        << r.out;
}

TEST(CliDataDir, AMissingCorpusNamesTheScriptThatFetchesIt) {
    TempDir t;
    auto r = RunLmc("eval --compressor gzip --dataset kodak", "", "LMC_DATA_DIR='" + t.path + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--dataset kodak: the data folder " + t.path + " has no kodak/ folder"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("scripts/fetch-data.sh kodak"), std::string::npos) << r.err;
    // A bad compressor is still a usage error found before any data is looked for.
    auto bad = RunLmc("eval --compressor nosuch --dataset kodak", "", "LMC_DATA_DIR='" + t.path + "'");
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    // A name that is not a corpus is a spec as before (here a malformed one: usage error).
    auto spec = RunLmc("eval --compressor gzip --dataset enwik7", "", "LMC_DATA_DIR='" + t.path + "'");
    EXPECT_EQ(spec.exit_code, 2) << spec.err;
}

TEST(CliDataDir, AllFallsBackToTheFetchedFoldersWithoutTheDevelopmentLayout) {
    TempDir t;
    MakeEnwik8(t.path, 1);
    MakeDir(t / "kodak");
    std::vector<uint16_t> px(64 * 32, 7);
    ASSERT_EQ(lmc_fixture::WritePng(t / "kodak/kodim01.png", 64, 32, PNG_COLOR_TYPE_GRAY, 8, px), "");
    MakeDir(t / "librispeech-test-clean");
    ASSERT_EQ(lmc_fixture::WriteWav(t / "librispeech-test-clean/a.wav", 1, 16000, 16, std::vector<int32_t>(2048, 5)), "");
    auto r = RunLmc("eval --compressor gzip --dataset all --chunks 1 --json", "", "LMC_DATA_DIR='" + t.path + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + t.path + "/enwik8\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"image:" + t.path + "/kodak\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"audio:" + t.path + "/librispeech-test-clean\""), std::string::npos) << r.out;
    // enwik9, when there, is the paper's text set and comes before enwik8.
    MakeDir(t / "enwik9");
    ASSERT_EQ(lmc_fixture::WriteBytes(t / "enwik9/enwik9", std::string(2048, 'n')), "");
    auto r9 = RunLmc("eval --compressor gzip --dataset all --chunks 1 --json", "", "LMC_DATA_DIR='" + t.path + "'");
    ASSERT_EQ(r9.exit_code, 0) << r9.err;
    EXPECT_NE(r9.out.find("\"dataset\": \"text:" + t.path + "/enwik9\""), std::string::npos) << r9.out;
}

TEST(CliDataDir, HelpSaysWhereTheDataIsAndHowToGetIt) {
    auto r = RunLmc("eval --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("~/.local/share/lmc/data"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("scripts/fetch-data.sh"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("librispeech-test-clean"), std::string::npos) << r.out;
}

}  // namespace
