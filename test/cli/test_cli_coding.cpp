// test_cli_coding.cpp : `lmc compress` / `lmc decompress` / `lmc -d` / `lmc verify` as a user
// meets them (DESIGN.md §6): edge lengths round-trip through files and pipes; the zstd habits
// (-c, -o, -f, -k, --rm, several files, -d); windows the model cannot shrink are stored as they
// are, and --json / -v say how many; every corruption of a .lmc file (of coded and of stored
// frames), a wrong model, a missing device, an unreadable input and an existing output give a
// clear message naming the file, a non-zero exit and no output or temporary file;
// SIGINT/SIGTERM mid-write leave nothing and the exit status is the signal's; verify prints the
// device table and exits 0 only when every device decodes the file to the same bytes.
// All runs use the golden `tiny` coding model (context 64) with -W 64 windows on small inputs,
// so the suite stays fast on cpu-ref and PoCL.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "frame_kinds.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;

const std::string kModel = std::string(LMC_SOURCE_DIR) + "/test/golden/tiny.exact.safetensors";
const std::string kTinyId = "1064ef74e44a4aa2e129cb45394ba4e6fcf1a333d7e8719239fee59886cf2a5b";
// The fast settings: the tiny model, 64-byte windows, the plain-C reference device.
const std::string kFast = " -m " + kModel + " --device cpu-ref ";

std::string Read(const std::string &path) { return lmc_test::ReadFile(path); }

void Write(const std::string &path, const std::string &s) { lmc_test::WriteFile(path, s); }

bool Exists(const std::string &p) { return lmc_test::FileExists(p); }

// The names in a folder, "." and ".." left out, sorted.
std::vector<std::string> List(const std::string &dir) {
    std::vector<std::string> names;
    if (DIR *d = opendir(dir.c_str())) {
        while (struct dirent *e = readdir(d))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
        closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Run a shell command line (for pipes); returns its exit status as RunLmc does.
int Shell(const std::string &cmd) {
    int status = system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Lmc() { return std::string(LMC_BINARY_DIR) + "/lmc"; }

// Text the tiny model codes to about half its size (its coded windows), from `at` on.
std::string Text(size_t n, size_t at = 0) {
    static const std::string t = "In the beginning the Transformer predicted every next byte, and the coder wrote it down. ";
    std::string s;
    while (s.size() < at + n) s += t;
    return s.substr(at, n);
}

// Deterministic bytes, two thirds of them random: the tiny model cannot shrink a 64-byte window
// of them, so the writer stores it as it is.
std::string Sample(size_t n, uint32_t seed = 1) {
    std::string s(n, '\0');
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        s[i] = (char)((x >> 24) % 3 == 0 ? "the quick brown fox "[(x >> 8) % 20] : (x >> 16) & 0xff);
    }
    return s;
}

// Every edge length round-trips through files (compress, then `lmc -d`) and through pipes
// (stdin to stdout, `cat | lmc compress | lmc decompress`), the decoded bytes equal to the input.
TEST(CliCoding, EdgeLengthsRoundTripThroughFilesAndPipes) {
    std::string all256;
    for (int c = 0; c < 256; c++) all256.push_back((char)c);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"empty", ""}, {"one_byte", "x"}, {"one_window", Sample(64)}, {"window_plus_one", Sample(65)},
        {"all_256_values", all256}};
    lmc_test::TempDir tmp;
    for (const auto &c : cases) {
        SCOPED_TRACE(c.first);
        std::string in = tmp / c.first;
        Write(in, c.second);
        auto enc = RunLmc("compress -W 64" + kFast + in);
        ASSERT_EQ(enc.exit_code, 0) << enc.err;
        ASSERT_TRUE(Exists(in + ".lmc"));
        EXPECT_TRUE(enc.out.empty()) << "a file output writes nothing on stdout";
        ASSERT_EQ(0, remove(in.c_str()));
        auto dec = RunLmc("-d" + kFast + in + ".lmc");
        ASSERT_EQ(dec.exit_code, 0) << dec.err;
        EXPECT_EQ(Read(in), c.second);
        EXPECT_TRUE(Exists(in + ".lmc")) << "the input is kept by default";
        // Pipes: the same stream bytes as the file, and back.
        std::string piped = tmp / (c.first + ".pipe");
        ASSERT_EQ(Shell("cat " + in + " | " + Lmc() + " compress -W 64" + kFast + "> " + piped + ".lmc"), 0);
        EXPECT_EQ(Read(piped + ".lmc"), Read(in + ".lmc")) << "stdin/stdout and file give the same stream";
        ASSERT_EQ(Shell("cat " + piped + ".lmc | " + Lmc() + " decompress" + kFast + "> " + piped), 0);
        EXPECT_EQ(Read(piped), c.second);
    }
}

// The zstd habits: -c writes to stdout and keeps the input; -o names the output; -k is
// accepted; several inputs each go to their own output; `lmc compress -d` decompresses;
// conflicting options are usage errors (exit 2) that write nothing.
TEST(CliCoding, ZstdHabits) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(100, 2));
    Write(tmp / "b", Sample(130, 3));
    auto c = RunLmc("compress -c -W 64" + kFast + tmp / "a");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_GT(c.out.size(), 60u);
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "b"})) << "-c creates no file";
    auto several = RunLmc("compress -k -q -W 64" + kFast + tmp / "a " + tmp / "b");
    ASSERT_EQ(several.exit_code, 0) << several.err;
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "a.lmc", "b", "b.lmc"}));
    EXPECT_EQ(Read(tmp / "a.lmc"), c.out);
    auto o = RunLmc("compress -d" + kFast + "-o " + tmp / "b.out " + tmp / "b.lmc");
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(Read(tmp / "b.out"), Read(tmp / "b"));
    auto dc = RunLmc("decompress -c" + kFast + tmp / "a.lmc " + tmp / "b.lmc");
    ASSERT_EQ(dc.exit_code, 0) << dc.err;
    EXPECT_EQ(dc.out, Read(tmp / "a") + Read(tmp / "b")) << "decoded outputs concatenate on stdout";
    auto before = List(tmp.path);
    EXPECT_EQ(RunLmc("compress -o x" + kFast + tmp / "a " + tmp / "b").exit_code, 2);
    EXPECT_EQ(RunLmc("compress -c" + kFast + tmp / "a " + tmp / "b").exit_code, 2)
        << ".lmc streams do not concatenate";
    EXPECT_EQ(RunLmc("compress -c -o x" + kFast + tmp / "a").exit_code, 2);
    EXPECT_EQ(RunLmc("compress -W 0" + kFast + tmp / "a").exit_code, 2);
    EXPECT_EQ(RunLmc("compress -W 65" + kFast + tmp / "a").exit_code, 2) << "wider than the model's context";
    EXPECT_EQ(RunLmc("compress --frobnicate " + tmp / "a").exit_code, 2);
    auto nosuffix = RunLmc("decompress" + kFast + tmp / "a");
    EXPECT_EQ(nosuffix.exit_code, 1);
    EXPECT_NE(nosuffix.err.find("no .lmc suffix"), std::string::npos) << nosuffix.err;
    EXPECT_EQ(List(tmp.path), before) << "failed runs create nothing";
}

// --json: stdout holds only a JSON array with one object per input (bytes, rate, speed, or the
// error that was also printed on stderr); it needs file outputs (exit 2 with stdout).
TEST(CliCoding, JsonRecordsEachInput) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(120, 14));
    auto r = RunLmc("compress --json -W 64" + kFast + tmp / "a " + tmp / "missing");
    EXPECT_EQ(r.exit_code, 1) << "one input failed";
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.front(), '[');
    EXPECT_EQ(r.out.substr(r.out.size() - 2), "]\n");
    std::string lmc_size = std::to_string(Read(tmp / "a.lmc").size());
    EXPECT_NE(r.out.find("{\"input\": \"" + tmp / "a" + "\", \"output\": \"" + tmp / "a.lmc" +
                         "\", \"ok\": true, \"input_bytes\": 120, \"output_bytes\": " + lmc_size + ", \"rate\": "),
              std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"bytes_per_s\": "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"ok\": false, \"error\": \"" + tmp / "missing" + ": No such file"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find(tmp / "missing"), std::string::npos) << "the error is on stderr too";
    auto d = RunLmc("-d --json" + kFast + "-o " + tmp / "a.out " + tmp / "a.lmc");
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.out.find("\"input_bytes\": " + lmc_size + ", \"output_bytes\": 120"), std::string::npos) << d.out;
    EXPECT_EQ(Read(tmp / "a.out"), Read(tmp / "a"));
    EXPECT_EQ(RunLmc("compress --json" + kFast, "abc").exit_code, 2) << "stdout is taken by the JSON";
}

// A file of text, random bytes and text (64-byte windows: coded, coded, stored, stored, coded,
// coded) is stored exactly where the model cannot shrink it, and --json and -v say so; random
// bytes are all stored, so the file is the input plus the framing of FORMAT.md §7 (3 bytes per
// 64-byte window, 92 per stream) and no more; every file decodes to its input.
TEST(CliCoding, StoredWindowsWhereTheModelCannotShrink) {
    lmc_test::TempDir tmp;
    const std::string mixed = Text(128) + Sample(128, 4) + Text(100, 128);
    std::string random(4096, '\0');
    uint32_t x = 7;
    for (auto &c : random) c = (char)((x = x * 1103515245u + 12345u) >> 23);
    Write(tmp / "mixed", mixed);
    Write(tmp / "random", random);
    auto r = RunLmc("compress --json -W 64" + kFast + tmp / "mixed " + tmp / "random");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"windows\": 6, \"stored_windows\": 2}"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"output_bytes\": " + std::to_string(4096 + 64 * 3 + 92) + ","), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"windows\": 64, \"stored_windows\": 64}"), std::string::npos) << r.out;
    std::string z = Read(tmp / "mixed.lmc");
    EXPECT_EQ(lmc_test::FrameKinds(std::vector<uint8_t>(z.begin(), z.end())), "CCSSCC");
    auto d = RunLmc("decompress --json" + kFast + "-o " + tmp / "mixed.out " + tmp / "mixed.lmc");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.out.find("\"stored_windows\": 2"), std::string::npos) << d.out;
    EXPECT_EQ(Read(tmp / "mixed.out"), mixed);
    ASSERT_EQ(RunLmc("decompress" + kFast + "-o " + tmp / "random.out " + tmp / "random.lmc").exit_code, 0);
    EXPECT_EQ(Read(tmp / "random.out"), random);
    auto v = RunLmc("compress -v -f -W 64" + kFast + tmp / "mixed");
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_NE(v.err.find(", 2 of 6 windows stored\n"), std::string::npos) << v.err;
    Write(tmp / "text", Text(200));
    auto t = RunLmc("compress -v -W 64" + kFast + tmp / "text");
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_EQ(t.err.find("stored"), std::string::npos) << "nothing stored, nothing said: " << t.err;
}

// An existing output is refused without -f (exit 1, the file untouched, the message says -f);
// with -f it is replaced, for compress and decompress alike.
TEST(CliCoding, ExistingOutputNeedsForce) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(90, 4));
    Write(tmp / "a.lmc", "precious");
    auto refused = RunLmc("compress -W 64" + kFast + tmp / "a");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find(tmp / "a.lmc"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("already exists"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("-f"), std::string::npos) << refused.err;
    EXPECT_EQ(Read(tmp / "a.lmc"), "precious");
    auto forced = RunLmc("compress -f -W 64" + kFast + tmp / "a");
    ASSERT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_NE(Read(tmp / "a.lmc"), "precious");
    Write(tmp / "out", "also precious");
    auto refused_d = RunLmc("-d" + kFast + "-o " + tmp / "out " + tmp / "a.lmc");
    EXPECT_EQ(refused_d.exit_code, 1);
    EXPECT_EQ(Read(tmp / "out"), "also precious");
    ASSERT_EQ(RunLmc("-d -f" + kFast + "-o " + tmp / "out " + tmp / "a.lmc").exit_code, 0);
    EXPECT_EQ(Read(tmp / "out"), Read(tmp / "a"));
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "a.lmc", "out"})) << "no temporary file left";
}

// --rm deletes the input only when its output is complete: after a success; never after a
// failed decode or a refused output.
TEST(CliCoding, RmRemovesTheInputOnlyOnSuccess) {
    lmc_test::TempDir tmp;
    const std::string data = Sample(150, 5);
    Write(tmp / "a", data);
    auto ok = RunLmc("compress --rm -W 64" + kFast + tmp / "a");
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a.lmc"}));
    // A refused output: the input stays.
    Write(tmp / "a", "in the way");
    EXPECT_EQ(RunLmc("decompress --rm" + kFast + tmp / "a.lmc").exit_code, 1);
    EXPECT_TRUE(Exists(tmp / "a.lmc"));
    ASSERT_EQ(0, remove((tmp / "a").c_str()));
    // A failed decode (a flipped payload bit): the input stays, no output.
    std::string bad = Read(tmp / "a.lmc");
    bad[64] = (char)(bad[64] ^ 0x04);
    Write(tmp / "bad.lmc", bad);
    EXPECT_EQ(RunLmc("decompress --rm" + kFast + tmp / "bad.lmc").exit_code, 1);
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a.lmc", "bad.lmc"}));
    // -c writes to stdout: --rm is ignored there, as zstd does.
    auto c = RunLmc("decompress --rm -c" + kFast + tmp / "a.lmc");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_EQ(c.out, data);
    EXPECT_TRUE(Exists(tmp / "a.lmc"));
    ASSERT_EQ(RunLmc("decompress --rm" + kFast + tmp / "a.lmc").exit_code, 0);
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "bad.lmc"}));
    EXPECT_EQ(Read(tmp / "a"), data);
}

// A stream of several windows with a short last one, and where its parts are (FORMAT.md).
struct Stream {
    std::string bytes;
    size_t index_offset = 0;
    std::vector<lmc_test::FrameRecord> frames;
};

Stream MakeStream(const lmc_test::TempDir &tmp) {
    // Windows 64 (text: coded), 64 (random: stored), 64 and 8 (text: coded).
    Write(tmp / "src", Text(64) + Sample(64, 6) + Text(72, 64));
    auto r = RunLmc("compress -c -W 64" + kFast + tmp / "src");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Stream s;
    s.bytes = r.out;
    if (s.bytes.size() < 76) return s;
    const unsigned char *t = (const unsigned char *)s.bytes.data() + s.bytes.size() - 16;
    for (int i = 7; i >= 0; i--) s.index_offset = s.index_offset << 8 | t[i];
    s.frames = lmc_test::Frames(std::vector<uint8_t>(s.bytes.begin(), s.bytes.end()));
    return s;
}

// Every corruption of the codec's list, decoded through the CLI, is a non-zero exit with a
// message that names the file and the kind of damage, and leaves no output and no temporary
// file; stdout output (-c) of a corrupt stream says that what it wrote is incomplete.
TEST(CliCoding, EveryCorruptionIsAClearErrorWithNoOutput) {
    lmc_test::TempDir tmp;
    Stream s = MakeStream(tmp);
    ASSERT_GT(s.index_offset, 80u);
    ASSERT_LT(s.index_offset, s.bytes.size() - 16);
    ASSERT_EQ(s.frames.size(), 4u);
    ASSERT_EQ(std::string() + s.frames[0].kind + s.frames[1].kind + s.frames[2].kind + s.frames[3].kind, "CSCC");
    const size_t n = s.bytes.size(), idx = s.index_offset;
    const lmc_test::FrameRecord coded = s.frames[0], stored = s.frames[1];
    ASSERT_EQ(s.bytes[stored.offset] & 3, 3) << "tag 1 + 4P + 2K: bit 1 of its first byte is the kind";
    ASSERT_EQ(s.bytes[coded.offset] & 3, 1);
    ASSERT_EQ(stored.payload_offset, stored.offset + 2);
    auto flip = [&](size_t at, int mask = 0x01) {
        std::string b = s.bytes;
        b[at] = (char)(b[at] ^ mask);
        return b;
    };
    // The stored frame's tag rewritten for 63 bytes (1 + 4 * 63 + 2, the same two-byte varint).
    std::string short_stored = s.bytes;
    short_stored[stored.offset] = (char)(255 | 0x80);
    short_stored[stored.offset + 1] = (char)(255 >> 7);
    struct Case {
        std::string name, bytes, expect;
    };
    const std::vector<Case> cases = {
        {"empty", "", "truncated"},
        {"foreign", "GIF89a, certainly not an lmc stream at all", "format"},
        {"truncated_header", s.bytes.substr(0, 30), "truncated"},
        {"truncated_frame", s.bytes.substr(0, 75), "truncated"},
        {"truncated_index", s.bytes.substr(0, idx + 3), "truncated"},
        {"truncated_trailer", s.bytes.substr(0, n - 5), ""},
        {"flipped_header", flip(16), "checksum"},
        {"flipped_header_crc", flip(57), "checksum"},
        {"flipped_payload", flip(62), ""},
        {"truncated_stored_frame", s.bytes.substr(0, stored.payload_offset + 10), "truncated"},
        {"flipped_stored_payload", flip(stored.payload_offset + 5), "checksum"},
        {"flipped_stored_kind", flip(stored.offset, 0x02), "corrupt"},
        {"flipped_coded_kind", flip(coded.offset, 0x02), "corrupt"},
        {"stored_length", short_stored, "corrupt"},
        {"flipped_group_crc", flip(idx - 2), "checksum"},
        {"flipped_index", flip(idx + 5), ""},
        {"flipped_index_crc", flip(n - 18), ""},
        {"flipped_trailer", flip(n - 10), ""},
        {"flipped_trailer_magic", flip(n - 1), ""},
        {"extra_byte", s.bytes + "x", "corrupt"},
    };
    for (const auto &c : cases) {
        SCOPED_TRACE(c.name);
        std::string path = tmp / (c.name + ".lmc");
        Write(path, c.bytes);
        auto r = RunLmc("decompress" + kFast + path);
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_EQ(lmc_test::Count(r.err, "\n"), 1u) << "one line: " << r.err;
        EXPECT_NE(r.err.find(path), std::string::npos) << "names the file: " << r.err;
        if (!c.expect.empty()) {
            EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
        }
        EXPECT_FALSE(Exists(tmp / c.name)) << "no output left";
        auto v = RunLmc("verify --devices cpu-ref -m " + kModel + " " + path);
        EXPECT_EQ(v.exit_code, 1) << v.out;
        EXPECT_NE(v.out.find("FAIL"), std::string::npos) << v.out;
    }
    for (const auto &f : List(tmp.path)) EXPECT_EQ(f.find("lmc-tmp"), std::string::npos) << f;
    // To stdout: bytes go out only after their group's CRC matched, so a stream whose only
    // group is damaged writes nothing ...
    auto piped = RunLmc("decompress -c" + kFast + tmp / "flipped_group_crc.lmc");
    EXPECT_EQ(piped.exit_code, 1);
    EXPECT_EQ(piped.out, "");
    // ... and one cut after its first checked group (65536 bytes with W = 64) says that what
    // went out is incomplete.
    // PoCL's pthread device when present: its kernels run uninstrumented under ASan.
    const std::string longer = " -m " + kModel + " --device " +
                               (lmc_test::FindDevice("pthread") >= 0 ? "pthread " : "cpu-ref ");
    Write(tmp / "long", Sample(65536 + 100, 12));
    auto whole = RunLmc("compress -c -W 64" + longer + tmp / "long");
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    Write(tmp / "cut.lmc", whole.out.substr(0, whole.out.size() - 200));
    auto cut = RunLmc("decompress -c" + longer + tmp / "cut.lmc");
    EXPECT_EQ(cut.exit_code, 1);
    EXPECT_EQ(cut.out, Sample(65536 + 100, 12).substr(0, 65536)) << "only checked bytes went out";
    EXPECT_NE(cut.err.find("the 65536 bytes written to stdout are incomplete"), std::string::npos) << cut.err;
}

// A file made with one model and decoded with another (-m default, the built-in) is refused
// before any output: the message gives the model id the file needs and says -m must name it;
// without -m, no built-in has the tiny model's id and the message says to name it with -m.
TEST(CliCoding, WrongModelSaysWhichModelTheFileNeeds) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(70, 7));
    ASSERT_EQ(RunLmc("compress -W 64" + kFast + tmp / "a").exit_code, 0);
    ASSERT_EQ(0, remove((tmp / "a").c_str()));
    auto wrong = RunLmc("decompress -m default --device cpu-ref " + tmp / "a.lmc");
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("wrong model"), std::string::npos) << wrong.err;
    EXPECT_NE(wrong.err.find(kTinyId), std::string::npos) << "the id the file needs: " << wrong.err;
    EXPECT_NE(wrong.err.find("-m must name"), std::string::npos) << wrong.err;
    auto none = RunLmc("decompress --device cpu-ref " + tmp / "a.lmc");
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find(kTinyId), std::string::npos) << none.err;
    EXPECT_NE(none.err.find("-m"), std::string::npos) << none.err;
    auto missing = RunLmc("decompress -m " + tmp / "no-such-model --device cpu-ref " + tmp / "a.lmc");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no-such-model"), std::string::npos) << missing.err;
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a.lmc"}));
}

// A missing or unknown device, an unreadable input and a folder as input are clear errors
// naming what is wrong, with no output file.
TEST(CliCoding, BadDeviceAndUnreadableInputAreClearErrors) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(10, 8));
    auto dev = RunLmc("compress -m " + kModel + " --device no-such-device " + tmp / "a");
    EXPECT_EQ(dev.exit_code, 1);
    EXPECT_NE(dev.err.find("no such device"), std::string::npos) << dev.err;
    EXPECT_NE(dev.err.find("cpu-ref"), std::string::npos) << "the detail lists the devices: " << dev.err;
    auto missing = RunLmc("compress" + kFast + tmp / "nope");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find(tmp / "nope"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("No such file"), std::string::npos) << missing.err;
    ASSERT_EQ(0, mkdir((tmp / "dir").c_str(), 0755));
    auto folder = RunLmc("compress" + kFast + tmp / "dir");
    EXPECT_EQ(folder.exit_code, 1);
    EXPECT_NE(folder.err.find("folder"), std::string::npos) << folder.err;
    // One bad input among good ones: the good ones are done, the exit says failure.
    auto mixed = RunLmc("compress -W 64" + kFast + tmp / "nope " + tmp / "a");
    EXPECT_EQ(mixed.exit_code, 1);
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "a.lmc", "dir"}));
}

// Start `lmc args` with stdin from a pipe we hold open; return its pid and the pipe's write end.
pid_t Spawn(const std::string &args, int *stdin_write) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execl("/bin/sh", "sh", "-c", ("exec " + Lmc() + " " + args).c_str(), (char *)nullptr);
        _exit(127);
    }
    close(fds[0]);
    *stdin_write = fds[1];
    return pid;
}

// Ctrl-C (and SIGTERM) while lmc is writing its output from a slow pipe: the temporary file
// existed (so the signal came mid-write) and is gone, no output exists, and the exit status
// is death by that signal, as a shell needs to stop a script.
TEST(CliCoding, InterruptMidWriteLeavesNothing) {
    for (int sig : {SIGINT, SIGTERM}) {
        SCOPED_TRACE(strsignal(sig));
        lmc_test::TempDir tmp;
        int w = -1;
        pid_t pid = Spawn("compress -W 64" + kFast + "-o " + tmp / "out.lmc", &w);
        ASSERT_GT(pid, 0);
        const std::string chunk = Sample(4096, 9);
        ASSERT_EQ(write(w, chunk.data(), chunk.size()), (ssize_t)chunk.size());
        // Wait, however long the device and model take on a loaded machine, until the temporary
        // output exists (lmc cannot finish: it waits for the rest of its stdin) or lmc ends.
        bool saw_tmp = false, ended = false;
        int status = 0;
        while (!saw_tmp && !ended) {
            for (const auto &f : List(tmp.path)) saw_tmp |= f.find(".out.lmc.lmc-tmp-") == 0;
            if (!saw_tmp) {
                ended = waitpid(pid, &status, WNOHANG) == pid;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, not a deadline
            }
        }
        ASSERT_FALSE(ended) << "lmc ended before writing, status " << status;
        EXPECT_TRUE(saw_tmp) << "the output was being written under a temporary name";
        ASSERT_EQ(write(w, chunk.data(), chunk.size()), (ssize_t)chunk.size());  // more, slowly
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        kill(pid, sig);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        close(w);
        ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << status;
        EXPECT_EQ(WTERMSIG(status), sig);
        EXPECT_EQ(List(tmp.path), std::vector<std::string>{}) << "no temporary or output file";
    }
}

// --help for each command, `lmc help verify`, and `lmc -d --help` being decompress's help.
TEST(CliCoding, HelpForEachCommand) {
    auto c = RunLmc("compress --help");
    EXPECT_EQ(c.exit_code, 0);
    for (const char *opt : {"-c,", "-o,", "-f,", "-k,", "--rm", "-q,", "-v,", "-W,", "-d,", "--device"})
        EXPECT_NE(c.out.find(opt), std::string::npos) << opt;
    auto d = RunLmc("-d --help");
    EXPECT_EQ(d.exit_code, 0);
    EXPECT_NE(d.out.find("Usage: lmc decompress"), std::string::npos) << d.out;
    auto v = RunLmc("help verify");
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("Usage: lmc verify FILE.lmc"), std::string::npos) << v.out;
    EXPECT_NE(RunLmc("--help").out.find("verify"), std::string::npos);
    EXPECT_EQ(RunLmc("verify").exit_code, 2);
}

// The -v summary line: input and output bytes, the rate and the speed.
TEST(CliCoding, VerboseSummaryLine) {
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(128, 10));
    auto r = RunLmc("compress -v -W 64" + kFast + tmp / "a");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string size = std::to_string(Read(tmp / "a.lmc").size());
    EXPECT_NE(r.err.find("128 -> " + size + " bytes ("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("bits/byte"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/s"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(kTinyId), std::string::npos) << "-v names the model: " << r.err;
    auto q = RunLmc("-d -q -c" + kFast + tmp / "a.lmc");
    EXPECT_EQ(q.err, "") << "-q is quiet";
}

// Run `lmc args` on a pseudo-terminal (util-linux `script`, Essential on Debian): stdout and
// stderr are then a terminal, as for a user at a shell. Returns the exit code and the screen.
lmc_test::CommandResult OnTerminal(const std::string &args) {
    lmc_test::TempDir tmp;
    std::string cmd = "script -qec \"" + Lmc() + " " + args + "\" /dev/null > " + tmp / "screen" + " 2>&1 < /dev/null";
    lmc_test::CommandResult r;
    r.exit_code = Shell(cmd);
    r.out = Read(tmp / "screen");
    return r;
}

// On a terminal: progress (bytes, bytes/s, ETA) is drawn and cleared, a summary line follows;
// compressed data is never written to the terminal (nor read from it) unless -f.
TEST(CliCoding, TerminalProgressAndRefusals) {
    if (Shell("script -qec true /dev/null > /dev/null 2>&1") != 0) GTEST_SKIP() << "no working `script` (util-linux)";
    lmc_test::TempDir tmp;
    Write(tmp / "a", Sample(3000, 13));
    auto p = OnTerminal("compress -W 64" + kFast + tmp / "a");
    EXPECT_EQ(p.exit_code, 0) << p.out;
    EXPECT_NE(p.out.find("/ 2.9 KiB (100%)"), std::string::npos) << "bytes done of the total: " << p.out;
    EXPECT_NE(p.out.find("ETA 0:00:00"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("\r\033[K"), std::string::npos) << "the progress line is cleared";
    EXPECT_NE(p.out.find("3000 -> " + std::to_string(Read(tmp / "a.lmc").size()) + " bytes"), std::string::npos)
        << "summary line: " << p.out;
    auto quiet = OnTerminal("-d -q -f" + kFast + tmp / "a.lmc");
    EXPECT_EQ(quiet.exit_code, 0) << quiet.out;
    EXPECT_EQ(quiet.out, "") << "-q: no progress, no summary";
    auto refused = OnTerminal("compress -c" + kFast + tmp / "a");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.out.find("refusing to write compressed data to a terminal"), std::string::npos) << refused.out;
    EXPECT_EQ(refused.out.find("\x89LMC"), std::string::npos);
    std::string cmd = "script -qec \"" + Lmc() + " -d -c" + kFast + "\" /dev/null 2>&1 < /dev/null";
    EXPECT_EQ(Shell(cmd + " | grep -q 'stdin is a terminal'"), 0) << "decompress refuses to read a terminal";
}

// verify: one OK row per covered device plus cpu-ref, all with the SHA-256 of the original,
// exit 0; --json holds the same; a corrupt file makes every row FAIL and the exit 1.
TEST(CliVerify, EveryDeviceDecodesToTheSameBytes) {
    lmc_test::TempDir tmp;
    // Two windows, coded and stored: oclgrind takes about 1 s per coded window.
    const std::string data = Text(64) + Sample(36, 11);
    Write(tmp / "a", data);
    ASSERT_EQ(RunLmc("compress -W 64" + kFast + tmp / "a").exit_code, 0);
    uint8_t digest[32];
    char hex[65];
    lmc_sha256(data.data(), data.size(), digest);
    lmc_sha256_hex(digest, hex);
    std::string devices = "cpu-ref";
    size_t rows = 1;
    for (const auto &name : lmc_test::CoveredDeviceNames()) {
        if (lmc_test::FindDevice(name) < 0) {
            if (lmc_test::IsRequired(name)) ADD_FAILURE() << "required device '" << name << "' missing";
            continue;
        }
        devices += "," + name;
        rows++;
    }
    auto r = RunLmc("verify --devices " + devices + " -m " + kModel + " " + tmp / "a.lmc");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("DEVICE"), std::string::npos) << r.out;
    EXPECT_EQ(lmc_test::Count(r.out, " OK "), rows) << r.out;
    EXPECT_EQ(lmc_test::Count(r.out, hex), rows) << r.out;
    EXPECT_NE(r.out.find("all " + std::to_string(rows) + " devices decode it to the same 100 bytes"), std::string::npos) << r.out;
    auto json = RunLmc("verify --json --devices cpu-ref -m " + kModel + " " + tmp / "a.lmc");
    EXPECT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.out.front(), '{');
    EXPECT_NE(json.out.find("\"ok\": true, \"agree\": true"), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"model_id\": \"" + kTinyId + "\""), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"sha256\": \"" + std::string(hex) + "\""), std::string::npos) << json.out;
    // Without -m the model is the built-in the header names; no built-in is the tiny model.
    auto nomodel = RunLmc("verify --devices cpu-ref " + tmp / "a.lmc");
    EXPECT_EQ(nomodel.exit_code, 1);
    EXPECT_NE(nomodel.err.find(kTinyId), std::string::npos) << nomodel.err;
    auto baddev = RunLmc("verify --devices no-such-device " + tmp / "a.lmc");
    EXPECT_EQ(baddev.exit_code, 1);
    EXPECT_NE(baddev.err.find("no such device"), std::string::npos) << baddev.err;
    std::string bad = Read(tmp / "a.lmc");
    bad[70] = (char)(bad[70] ^ 0x40);
    Write(tmp / "bad.lmc", bad);
    auto corrupt = RunLmc("verify --devices " + devices + " -m " + kModel + " " + tmp / "bad.lmc");
    EXPECT_EQ(corrupt.exit_code, 1);
    EXPECT_EQ(lmc_test::Count(corrupt.out, " FAIL "), rows) << corrupt.out;
    EXPECT_NE(corrupt.out.find("FAILED"), std::string::npos) << corrupt.out;
    EXPECT_EQ(List(tmp.path), (std::vector<std::string>{"a", "a.lmc", "bad.lmc"})) << "verify writes nothing";
}

}  // namespace
