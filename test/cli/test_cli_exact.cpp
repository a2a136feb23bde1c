// test_cli_exact.cpp : `lmc quantize`, and the basic `lmc compress` / `lmc decompress` as a user
// runs them: files and pipes, -m FILE or the built-in default (found again by the header's id
// when decompressing), the same bytes on cpu-ref and PoCL, and clear errors with a non-zero exit
// (no output left behind) for a wrong model or a corrupt file.
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>

#include "test_env.h"

namespace {

using lmc_test::RunLmc;

std::string Golden(const std::string &f) { return std::string(LMC_SOURCE_DIR) + "/test/golden/" + f; }

std::string Read(const std::string &path) { return lmc_test::ReadFile(path); }

void Write(const std::string &path, const std::string &s) { lmc_test::WriteFile(path, s); }

bool Exists(const std::string &p) { return lmc_test::FileExists(p); }

const std::string kText = "Exact coding: every device writes the same bytes, and every device reads them back.\n";

// `lmc quantize` writes lmc-exact-2 by default and lmc-exact-1 when asked, byte for byte the
// committed tiny models of both formats; a foreign --format is a usage error writing nothing.
TEST(CliExact, QuantizeWritesTheCommittedTinyCodingModel) {
    lmc_test::TempDir tmp;
    const std::string &dir = tmp.path;
    auto d = RunLmc("quantize " + Golden("tiny.float.safetensors") + " -o " + dir + "/t2.safetensors");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.out.find("(lmc-exact-2)"), std::string::npos) << d.out;
    EXPECT_EQ(Read(dir + "/t2.safetensors"), Read(Golden("tiny.exact2.safetensors")));
    EXPECT_EQ(RunLmc("quantize --format lmc-exact-3 " + Golden("tiny.float.safetensors") + " -o " + dir + "/v.safetensors").exit_code, 2);
    EXPECT_FALSE(Exists(dir + "/v.safetensors"));
    auto r = RunLmc("quantize --format lmc-exact-1 " + Golden("tiny.float.safetensors") + " -o " + dir + "/t.safetensors");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("model id 1064ef74e44a4aa2e129cb45394ba4e6fcf1a333d7e8719239fee59886cf2a5b"), std::string::npos) << r.out;
    EXPECT_EQ(Read(dir + "/t.safetensors"), Read(Golden("tiny.exact.safetensors")));
    auto bad = RunLmc("quantize " + Golden("tiny.exact.safetensors") + " -o " + dir + "/u.safetensors");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_FALSE(Exists(dir + "/u.safetensors"));
    EXPECT_EQ(RunLmc("quantize " + Golden("tiny.float.safetensors")).exit_code, 2);
}

TEST(CliExact, FileRoundTripWithAModelFileOnCpuRefAndPthread) {
    lmc_test::TempDir tmp;
    const std::string &dir = tmp.path;
    Write(dir + "/a.txt", kText);
    std::string m = " -m " + Golden("tiny.exact.safetensors");
    auto c = RunLmc("compress --device cpu-ref" + m + " " + dir + "/a.txt");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    ASSERT_TRUE(Exists(dir + "/a.txt.lmc"));
    if (lmc_test::FindDevice("pthread") >= 0) {
        auto p = RunLmc("compress --device pthread -c" + m + " " + dir + "/a.txt");
        ASSERT_EQ(p.exit_code, 0) << p.err;
        EXPECT_EQ(p.out, Read(dir + "/a.txt.lmc")) << "pthread bytes differ from cpu-ref's";
    }
    auto d = RunLmc("decompress --device cpu-ref" + m + " -o " + dir + "/b.txt " + dir + "/a.txt.lmc");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(Read(dir + "/b.txt"), kText);
    // The output exists already: refused, not overwritten.
    auto again = RunLmc("decompress --device cpu-ref" + m + " -o " + dir + "/b.txt " + dir + "/a.txt.lmc");
    EXPECT_EQ(again.exit_code, 1);
}

TEST(CliExact, PipesWithTheBuiltinDefaultFoundByIdWhenDecompressing) {
    auto c = RunLmc("compress --device cpu-ref", kText);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    ASSERT_GT(c.out.size(), 60u);
    auto d = RunLmc("decompress --device cpu-ref", c.out);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(d.out, kText);
    auto named = RunLmc("compress --device cpu-ref -m default", kText);
    EXPECT_EQ(named.out, c.out);
}

TEST(CliExact, WrongModelAndCorruptInputAreClearErrors) {
    lmc_test::TempDir tmp;
    const std::string &dir = tmp.path;
    // A golden file (tiny model) with no -m: no built-in has its id.
    auto nomodel = RunLmc("decompress --device cpu-ref -o " + dir + "/x " + Golden("text.lmc"));
    EXPECT_EQ(nomodel.exit_code, 1);
    EXPECT_NE(nomodel.err.find("model"), std::string::npos) << nomodel.err;
    EXPECT_FALSE(Exists(dir + "/x"));
    // The wrong model named with -m.
    auto wrong = RunLmc("decompress --device cpu-ref -m default -o " + dir + "/y " + Golden("text.lmc"));
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("model"), std::string::npos) << wrong.err;
    EXPECT_FALSE(Exists(dir + "/y"));
    // A flipped payload byte: an error, and nothing left behind.
    std::string bad = Read(Golden("text.lmc"));
    bad[70] = (char)(bad[70] ^ 0x10);
    Write(dir + "/bad.lmc", bad);
    auto corrupt = RunLmc("decompress --device cpu-ref -m " + Golden("tiny.exact.safetensors") + " " + dir + "/bad.lmc");
    EXPECT_EQ(corrupt.exit_code, 1);
    EXPECT_FALSE(corrupt.err.empty());
    EXPECT_FALSE(Exists(dir + "/bad"));
    // Not a .lmc file at all.
    for (const std::string &junk : {std::string("hello, this is not lmc"), std::string(200, 'x')}) {
        auto foreign = RunLmc("decompress --device cpu-ref -c", junk);
        EXPECT_EQ(foreign.exit_code, 1);
        EXPECT_TRUE(foreign.out.empty());
        EXPECT_NE(foreign.err.find("format"), std::string::npos) << foreign.err;
    }
    // A missing model file.
    EXPECT_EQ(RunLmc("compress --device cpu-ref -m /nonexistent.safetensors -c", "abc").exit_code, 1);
}

}  // namespace
