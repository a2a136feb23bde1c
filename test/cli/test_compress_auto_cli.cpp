// test_compress_auto_cli.cpp : `lmc compress -m auto`. Proves, against explicit `-m NAME` runs of
// every candidate built-in (LMC_AUTO_ALL=1 lets the interim snapshots compete, so there is a real
// choice; a built-in whose lmc-exact-2 twin NAME-x2 is built in never takes part):
// auto's output is byte for byte the output of the built-in whose .lmc of the input's first
// window is smallest, a generated speech-like tone (8-bit samples around 128, the audio-200k
// model's kind of data) making a non-default model win; a tie (random
// bytes, every model stores the window) goes to the newest built-in; only the first window
// counts (a tone window followed by prose still picks the tone's winner); stdin gives the same
// bytes as a file; the file decodes with plain `lmc decompress` (the header names the model);
// the choice is deterministic and the same on cpu-ref as on the OpenCL device; without
// LMC_AUTO_ALL no "interim*" built-in is chosen and one candidate is taken without a trial; an
// empty input takes the default built-in without a trial.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "lmc/exact.h"
#include "test_env.h"

namespace {

using lmc_test::ReadFile;
using lmc_test::RunLmc;
using lmc_test::TempDir;

// The device the runs use: PoCL's pthread device when there is one (fast), else cpu-ref.
std::string Device() {
    return lmc_test::FindDevice("pthread") >= 0 ? " --device pthread" : " --device cpu-ref";
}

// 8-bit unsigned samples of a slowly gliding tone with a little noise, around 128: what `lmc eval`
// makes of 16 kHz speech (DESIGN.md §6). The audio-200k built-in codes it far smaller than the
// text models do (asserted below).
std::string Tone(size_t n) {
    std::string s;
    unsigned x = 3;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        double t = (double)i / 16000.0;
        double v = 128.0 + 24.0 * std::sin(2 * 3.14159265358979 * (180.0 + 40.0 * t * 8) * t) + (double)(x >> 29) - 3.5;
        s += (char)(unsigned char)(v < 0 ? 0 : v > 255 ? 255 : (int)v);
    }
    return s;
}

// A JSON-like list (an input of the kind the general text model was trained on).
std::string Json(size_t n) {
    std::string s;
    char line[160];
    for (int i = 0; s.size() < n; i++) {
        std::snprintf(line, sizeof line,
                      "{\"id\": %d, \"name\": \"item%d\", \"value\": %d, \"tags\": [\"a%d\", \"b%d\"]},\n", i,
                      i * 7 % 100, i * i % 1000, i % 5, i % 3);
        s += line;
    }
    return s.substr(0, n);
}

std::string Prose(size_t n) {
    const char *words[] = {"the ", "model ", "codes ", "each ", "window ",
                           "of ",  "text ",  "from ",  "its ",  "start. "};
    std::string s;
    for (unsigned x = 7; s.size() < n;) {
        x = x * 1103515245u + 12345u;
        s += words[(x >> 16) % 10];
    }
    return s.substr(0, n);
}

struct Explicit {
    std::vector<std::string> names, files;
    size_t best = 0;  // index of the smallest output of the first window (ties: the later)
};

// Every built-in's .lmc of `input`, and which is smallest on `first` (the input's first window).
Explicit CompressEach(const TempDir &dir, const std::string &tag, const std::string &input,
                      const std::string &first) {
    Explicit e;
    lmc_test::WriteFile(dir / (tag + ".in"), input);
    lmc_test::WriteFile(dir / (tag + ".first"), first);
    size_t best_size = 0;
    bool any = false;
    for (size_t i = 0; i < lmc_builtin_model_count(); i++) {
        std::string name = lmc_builtin_model_name(i);
        bool twin = false; // NAME-x2 built in: NAME is no candidate (cli/model_auto.h)
        for (size_t k = 0; k < lmc_builtin_model_count(); k++) twin = twin || name + "-x2" == lmc_builtin_model_name(k);
        if (twin) continue;
        auto whole = RunLmc("compress -q -f" + Device() + " -m " + name + " " + (dir / (tag + ".in")) +
                            " -o " + (dir / (tag + "." + name + ".lmc")));
        EXPECT_EQ(whole.exit_code, 0) << whole.err;
        e.names.push_back(name);
        e.files.push_back(ReadFile(dir / (tag + "." + name + ".lmc")));
        size_t head_size = e.files.back().size();
        if (first != input) {
            auto head =
                RunLmc("compress -q -f" + Device() + " -m " + name + " -c " + (dir / (tag + ".first")));
            EXPECT_EQ(head.exit_code, 0) << head.err;
            head_size = head.out.size();
        }
        if (!any || head_size <= best_size) {
            best_size = head_size;
            e.best = e.names.size() - 1;
            any = true;
        }
    }
    return e;
}

// `lmc compress -m auto -v` of file `tag`.in under LMC_AUTO_ALL=1: its output bytes, -v's text.
std::string Auto(const TempDir &dir, const std::string &tag, std::string *err,
                 const std::string &env = "LMC_AUTO_ALL=1", const std::string &device = "") {
    auto r = RunLmc("compress -v -f" + (device.empty() ? Device() : device) + " -m auto " +
                        (dir / (tag + ".in")) + " -o " + (dir / (tag + ".auto.lmc")),
                    "", env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (err) *err = r.err;
    return ReadFile(dir / (tag + ".auto.lmc"));
}

TEST(CompressAuto, PicksTheSmallestFirstWindowAndDecodesPlainly) {
    ASSERT_GE(lmc_builtin_model_count(), 2u) << "a choice needs two built-ins";
    TempDir dir;
    std::string tone = Tone(2048);
    Explicit e = CompressEach(dir, "tone", tone, tone);
    EXPECT_NE(e.names[e.best], lmc_builtin_model_name(lmc_builtin_model_default()))
        << "the crafted input should make a model other than the default win";
    std::string err, got = Auto(dir, "tone", &err);
    EXPECT_EQ(got, e.files[e.best]) << "auto did not write " << e.names[e.best] << "'s file; " << err;
    EXPECT_NE(err.find("auto: " + e.names[e.best] + " (the first 2048 bytes coded in"), std::string::npos)
        << err;
    // Plain decompress: the header names the model.
    auto d = RunLmc("decompress -f" + Device() + " " + (dir / "tone.auto.lmc") + " -o " + (dir / "tone.out"));
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(ReadFile(dir / "tone.out"), tone);
    // stdin gives the same bytes; a second run too (deterministic).
    auto s = RunLmc("compress -q" + Device() + " -m auto -c", tone, "LMC_AUTO_ALL=1");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(s.out, got);
    EXPECT_EQ(Auto(dir, "tone", nullptr), got);
    // Prose: the default model wins there (a control that auto does not always pick one model).
    std::string prose = Prose(2048);
    Explicit p = CompressEach(dir, "prose", prose, prose);
    EXPECT_EQ(Auto(dir, "prose", &err), p.files[p.best]) << err;
    EXPECT_NE(p.best, e.best) << "the two inputs should pick different models";
}

TEST(CompressAuto, TiesGoToTheNewestAndOnlyTheFirstWindowCounts) {
    TempDir dir;
    std::string random;
    for (unsigned x = 1; random.size() < 2048;) {
        x = x * 1664525u + 1013904223u;
        random += char(x >> 24);
    }
    Explicit r = CompressEach(dir, "random", random, random);
    for (size_t i = 1; i < r.files.size(); i++)
        ASSERT_EQ(r.files[i].size(), r.files[0].size()) << "random bytes should be stored by every model";
    EXPECT_EQ(r.best, r.files.size() - 1);
    std::string err;
    EXPECT_EQ(Auto(dir, "random", &err), r.files.back()) << err;
    // A tone window, then prose: the choice is the tone window's winner (not the prose's).
    std::string tone = Tone(2048), mixed = tone + Prose(3 * 2048);
    Explicit m = CompressEach(dir, "mixed", mixed, tone);
    EXPECT_EQ(Auto(dir, "mixed", &err), m.files[m.best]) << err;
    EXPECT_NE(err.find("auto: " + m.names[m.best] + " "), std::string::npos) << err;
}

TEST(CompressAuto, SameOnCpuRefAndDefaultRules) {
    TempDir dir;
    std::string small = Json(300);
    lmc_test::WriteFile(dir / "small.in", small);
    std::string on_dev = Auto(dir, "small", nullptr),
                on_ref = Auto(dir, "small", nullptr, "LMC_AUTO_ALL=1", " --device cpu-ref");
    ASSERT_FALSE(on_dev.empty());
    EXPECT_EQ(on_dev, on_ref) << "the choice and the bytes must not depend on the device";
    // Without LMC_AUTO_ALL the interim snapshots stay out: the named pick is not one, and its
    // file is that model's own.
    std::string err, plain = Auto(dir, "small", &err, "LMC_AUTO_ALL=0");
    size_t at = err.find("auto: ");
    ASSERT_NE(at, std::string::npos) << err;
    std::string name = err.substr(at + 6, err.find(' ', at + 6) - at - 6);
    EXPECT_NE(name.rfind("interim", 0), 0u) << err;
    auto named = RunLmc("compress -q" + Device() + " -m " + name + " -c " + (dir / "small.in"));
    EXPECT_EQ(plain, named.out);
    size_t candidates = 0;
    for (size_t i = 0; i < lmc_builtin_model_count(); i++)
        candidates += std::string(lmc_builtin_model_name(i)).rfind("interim", 0) != 0;
    if (candidates == 1) {
        EXPECT_NE(err.find("the only candidate: no trial"), std::string::npos) << err;
    }
    // An empty input: no trial, the default built-in (a candidate here); it decodes to nothing.
    lmc_test::WriteFile(dir / "empty.in", "");
    std::string empty = Auto(dir, "empty", &err);
    EXPECT_NE(err.find(std::string("auto: ") + lmc_builtin_model_name(lmc_builtin_model_default()) +
                       " (empty input: no trial)"),
              std::string::npos)
        << err;
    auto d = RunLmc("decompress" + Device() + " -c " + (dir / "empty.auto.lmc"));
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, "");
    // decompress -m auto means what the header names.
    auto da = RunLmc("decompress" + Device() + " -m auto -c " + (dir / "small.auto.lmc"));
    EXPECT_EQ(da.exit_code, 0) << da.err;
    EXPECT_EQ(da.out, small);
}

}  // namespace
