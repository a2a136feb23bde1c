// test_train_data_cli.cpp : `lmc train --data KIND:PATH` / `--eval-data KIND:PATH` on small
// generated PNG and WAV files (nothing of ../shared/data). Proves: image: and audio: train on the
// very stream `lmc eval` codes (the run's byte count is lmc_dataset_open's whole chunks of the same
// folders, several specs adding up); every window of every step starts at a 2048-byte chunk
// boundary and fits in the data, with --window below 2048 and at 2048 (the LMC_TEST_WINDOW_LOG
// hook records lmc_trainer_peek_windows, the step's own draw), while text: and plain paths still
// start windows at any byte (the control that the hook does not just print multiples of 2048);
// the same seed gives the same model bytes, and a run killed by SIGKILL and resumed with the same
// specs draws the same windows and ends with the uninterrupted run's model; --eval-data image:
// evaluates; bad specs (unknown kind, empty path, random:, a plain path beside image:) exit 2 with a
// message naming the spec, unreadable data (missing folder, no whole patch) exits 1 naming it.
#include <png.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "lmc/data.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;

// Three PNGs: 128x64 RGB (4 patches), 64x32 gray (1 patch), 100x40 RGB (1 patch; the right and
// bottom remainders dropped) and a 20x20 one with no whole patch: 6 chunks in all.
std::string MakeImages(const lmc_test::TempDir &dir) {
    std::string images = dir / "images";
    std::system(("mkdir -p '" + images + "'").c_str());
    auto rgb = [](uint32_t w, uint32_t h, unsigned seed) {
        std::vector<uint16_t> s(size_t(w) * h * 3);
        for (size_t i = 0; i < s.size(); i++) s[i] = uint16_t((i * 7 + seed * 13 + (i / 191) * 5) & 255);
        return s;
    };
    std::vector<uint16_t> gray(64 * 32);
    for (size_t i = 0; i < gray.size(); i++) gray[i] = uint16_t((i / 64 * 8 + i % 64) & 255);
    EXPECT_EQ(lmc_fixture::WritePng(images + "/a.png", 128, 64, PNG_COLOR_TYPE_RGB, 8, rgb(128, 64, 1)), "");
    EXPECT_EQ(lmc_fixture::WritePng(images + "/b.png", 64, 32, PNG_COLOR_TYPE_GRAY, 8, gray), "");
    EXPECT_EQ(lmc_fixture::WritePng(images + "/c.png", 100, 40, PNG_COLOR_TYPE_RGB, 8, rgb(100, 40, 2)), "");
    EXPECT_EQ(lmc_fixture::WritePng(images + "/d.png", 20, 20, PNG_COLOR_TYPE_RGB, 8, rgb(20, 20, 3)), "");
    return images;
}

// Two WAVs: 16 kHz mono 16-bit of 3 chunks + 100 samples, 8 kHz stereo 8-bit (resampled to
// 2 * 1100 = 2200 samples at 16 kHz, 1 chunk): 4 chunks in all.
std::string MakeAudio(const lmc_test::TempDir &dir) {
    std::string audio = dir / "audio";
    std::system(("mkdir -p '" + audio + "'").c_str());
    std::vector<int32_t> mono(3 * 2048 + 100), stereo(2 * 1100);
    for (size_t i = 0; i < mono.size(); i++) mono[i] = int32_t((i * 977) % 60000) - 30000;
    for (size_t i = 0; i < stereo.size(); i++) stereo[i] = int32_t((i * 31) % 256);
    EXPECT_EQ(lmc_fixture::WriteWav(audio + "/a.wav", 1, 16000, 16, mono), "");
    EXPECT_EQ(lmc_fixture::WriteWav(audio + "/b.wav", 2, 8000, 8, stereo), "");
    return audio;
}

size_t DatasetBytes(const std::string &spec) {
    lmc_dataset *ds = nullptr;
    EXPECT_EQ(lmc_dataset_open(spec.c_str(), nullptr, &ds), LMC_OK) << lmc_last_error();
    size_t n = ds ? lmc_dataset_chunk_count(ds) * LMC_CHUNK_BYTES : 0;
    lmc_dataset_destroy(ds);
    return n;
}

long JsonInt(const std::string &json, const std::string &key) {
    std::smatch m;
    std::regex re("\"" + key + "\": ([0-9]+)");
    return std::regex_search(json, m, re) ? std::stol(m[1].str()) : -1;
}

// The hook's log as step -> window starts (a step drawn twice, before a kill and after the
// resume, must draw the same windows both times).
std::map<long, std::vector<size_t>> ReadWindowLog(const std::string &path, bool *consistent = nullptr) {
    std::map<long, std::vector<size_t>> first, steps;
    std::istringstream in(lmc_test::ReadFile(path));
    long step = 0, prev = -1;
    size_t start = 0;
    if (consistent) *consistent = true;
    while (in >> step >> start) {
        if (step != prev && steps.count(step)) {  // the step again (a resumed run): compare below
            first[step] = steps[step];
            steps[step].clear();
        }
        prev = step;
        steps[step].push_back(start);
    }
    for (auto &f : first)
        if (consistent && f.second != steps[f.first]) *consistent = false;
    return steps;
}

const char *kTiny =
    " --config tiny --batch 3 --steps 8 --lr 3e-3 --warmup 2 --seed 5 --checkpoint-every 4"
    " --device cpu-ref";

// Every start a multiple of 2048 with a whole window inside n bytes; returns how many distinct.
size_t CheckAligned(const std::map<long, std::vector<size_t>> &log, size_t n, size_t T, long steps,
                    size_t batch) {
    EXPECT_EQ(log.size(), size_t(steps));
    std::map<size_t, int> distinct;
    for (auto &s : log) {
        EXPECT_EQ(s.second.size(), batch) << "step " << s.first;
        for (size_t start : s.second) {
            EXPECT_EQ(start % LMC_CHUNK_BYTES, 0u) << "step " << s.first << " window at " << start;
            EXPECT_LE(start + T, n) << "step " << s.first;
            distinct[start]++;
        }
    }
    return distinct.size();
}

TEST(TrainData, ImageAndAudioWindowsStartAtChunkBoundaries) {
    lmc_test::TempDir dir;
    std::string images = MakeImages(dir), audio = MakeAudio(dir);
    size_t n_img = DatasetBytes("image:" + images), n_aud = DatasetBytes("audio:" + audio);
    ASSERT_EQ(n_img, 6u * 2048);
    ASSERT_EQ(n_aud, 4u * 2048);
    // Window 64 < 2048: a window is the first 64 bytes of a chunk; eval on image data too.
    auto r =
        RunLmc("train --data image:" + images + " --data audio:" + audio + " --eval-data image:" + images +
                   " --eval-every 4 --eval-windows 3" + kTiny + " --json -o " + (dir / "m.safetensors"),
               "", "LMC_TEST_WINDOW_LOG=" + (dir / "w.log"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(JsonInt(r.out, "data_bytes"), long(n_img + n_aud)) << r.out;
    EXPECT_EQ(JsonInt(r.out, "window_align"), 2048) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\"eval_bits_per_byte\": [0-9]+\\.[0-9]+"))) << r.out;
    EXPECT_NE(r.err.find("windows start at 2048-byte chunk boundaries"), std::string::npos) << r.err;
    auto log = ReadWindowLog(dir / "w.log");
    EXPECT_GE(CheckAligned(log, n_img + n_aud, 64, 8, 3), 4u) << "the windows should spread over the chunks";
    // The same seed, the same model bytes.
    auto again =
        RunLmc("train --data image:" + images + " --data audio:" + audio + " --eval-data image:" + images +
               " --eval-every 4 --eval-windows 3" + kTiny + " -q -o " + (dir / "m2.safetensors"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(lmc_test::ReadFile(dir / "m.safetensors"), lmc_test::ReadFile(dir / "m2.safetensors"));

    // Window = context = 2048: one whole chunk per window, at its start.
    auto full = RunLmc("train --data audio:" + audio +
                           " --config tiny --context 2048 --batch 2 --steps 3"
                           " --warmup 1 --device cpu-ref -q -o " +
                           (dir / "f.safetensors"),
                       "", "LMC_TEST_WINDOW_LOG=" + (dir / "f.log"));
    ASSERT_EQ(full.exit_code, 0) << full.err;
    EXPECT_GE(CheckAligned(ReadWindowLog(dir / "f.log"), n_aud, 2048, 3, 2), 2u);
}

// Control: text: (the same loader, chunked text) and plain paths keep sampling at any byte, so
// the aligned starts above are the alignment's doing, not the hook's.
TEST(TrainData, TextAndPlainPathsSampleAnyOffset) {
    lmc_test::TempDir dir;
    std::string text;
    for (int i = 0; text.size() < 3 * 2048 + 500; i++)
        text += "line " + std::to_string(i * 7919 % 1000) + " of text\n";
    lmc_test::WriteFile(dir / "t.txt", text);
    for (std::string spec : {"text:" + (dir / "t.txt"), dir / "t.txt"}) {
        std::string log = dir / "w.log";
        std::remove(log.c_str());
        auto r = RunLmc("train --data " + spec + kTiny + " --json -o " + (dir / "m.safetensors"), "",
                        "LMC_TEST_WINDOW_LOG=" + log);
        ASSERT_EQ(r.exit_code, 0) << spec << ": " << r.err;
        EXPECT_EQ(JsonInt(r.out, "window_align"), 1) << r.out;
        EXPECT_EQ(JsonInt(r.out, "data_bytes"), long(spec[0] == 't' ? 3 * 2048 : text.size())) << spec;
        size_t unaligned = 0;
        for (auto &s : ReadWindowLog(log))
            for (size_t start : s.second) unaligned += start % 2048 != 0;
        EXPECT_GT(unaligned, 20u) << spec << ": text windows start at any byte";
    }
}

// Killed by SIGKILL after step 7 (checkpoint at 4) and resumed with the same specs: the redone
// steps 5..7 draw the same windows, every step's windows equal the uninterrupted run's, and so
// does the model file.
TEST(TrainData, ResumedImageRunIsExact) {
    lmc_test::TempDir dir;
    std::string images = MakeImages(dir);
    std::string cmd = "train --data image:" + images + kTiny + " -q -o ";
    auto whole = RunLmc(cmd + (dir / "u.safetensors"), "", "LMC_TEST_WINDOW_LOG=" + (dir / "u.log"));
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    auto killed = RunLmc(cmd + (dir / "k.safetensors"), "",
                         "LMC_TEST_KILL_AT_STEP=7 LMC_TEST_WINDOW_LOG=" + (dir / "k.log"));
    EXPECT_EQ(killed.exit_code, 128 + 9) << killed.err;
    auto resumed =
        RunLmc(cmd + (dir / "k.safetensors") + " --resume", "", "LMC_TEST_WINDOW_LOG=" + (dir / "k.log"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    bool consistent = false;
    auto k = ReadWindowLog(dir / "k.log", &consistent);
    EXPECT_TRUE(consistent) << "steps redone after the resume drew other windows";
    EXPECT_EQ(k, ReadWindowLog(dir / "u.log"));
    CheckAligned(k, 6 * 2048, 64, 8, 3);
    std::string u = lmc_test::ReadFile(dir / "u.safetensors");
    ASSERT_FALSE(u.empty());
    EXPECT_EQ(u, lmc_test::ReadFile(dir / "k.safetensors")) << "the resumed image run's model differs";
}

TEST(TrainData, BadSpecsAreClearErrors) {
    lmc_test::TempDir dir;
    std::string images = MakeImages(dir);
    lmc_test::WriteFile(dir / "t.txt", std::string(5000, 'a'));
    std::string out = " --config tiny --steps 1 --device cpu-ref -o " + (dir / "x.safetensors");
    struct Case {
        std::string args, message;
        int code;
    } cases[] = {
        {"--data video:" + images, "unknown data kind 'video'", 2},
        {"--data image:", "the path after ':' is missing", 2},
        {"--data random:4M", "unknown data kind 'random'", 2},
        {"--data " + (dir / "t.txt") + " --data image:" + images,
         "a plain path cannot join image: or audio:", 2},
        {"--data image:" + images + " --eval-data " + (dir / "t.txt") + " --eval-data audio:" + images,
         "--eval-data: a plain path cannot join", 2},
        {"--data image:" + (dir / "missing"), dir / "missing", 1},
        {"--data text:" + (dir / "t.txt") + " --eval-data image:" + (dir / "images/d.png"),
         "no whole 2048-byte chunk", 1},
    };
    for (const Case &c : cases) {
        auto r = RunLmc("train " + c.args + out);
        EXPECT_EQ(r.exit_code, c.code) << c.args << ": " << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
        EXPECT_FALSE(lmc_test::FileExists(dir / "x.safetensors")) << c.args;
    }
}

}  // namespace
