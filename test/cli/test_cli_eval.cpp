// test_cli_eval.cpp : `lmc eval` as a user meets it (DESIGN.md §6): options and errors, the JSON
// rows with the names echoed and the rates equal to the library's measurement, --chunks, --mask7,
// the Table 1 layout with the paper's figures, and `--dataset all` over LMC_DATA_DIR (pointed at
// generated fixtures, so this runs without the real corpora).
#include <png.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "lmc/baseline.h"
#include "lmc/codec.h"
#include "lmc/data.h"
#include "lmc/model.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;
using lmc_test::TempDir;
using lmc_test::Count;

// The number after `"key": ` in the n-th JSON object of `json` (objects start with '{').
double JsonNumber(const std::string &json, size_t object, const std::string &key) {
    size_t pos = 0;
    for (size_t i = 0; i <= object; i++) {
        pos = json.find('{', pos + (i ? 1 : 0));
        if (pos == std::string::npos) return -1;
    }
    size_t k = json.find("\"" + key + "\": ", pos);
    if (k == std::string::npos || k > json.find('}', pos)) return -1;
    return std::strtod(json.c_str() + k + key.size() + 4, nullptr);
}

// A 3-chunk text file of mildly compressible bytes with some >= 128.
std::string MakeText(const TempDir &dir) {
    std::string s;
    for (int i = 0; i < 3 * 2048 + 100; i++) s += (char)("lossless byte models \xC3\xA9 "[(i * 7) % 24]);
    EXPECT_EQ(lmc_fixture::WriteBytes(dir / "t.txt", s), "");
    return dir / "t.txt";
}

lmc_baseline_result Measure(const char *compressor, const std::string &spec, size_t max_chunks, int mask7) {
    lmc_dataset_params p = lmc_dataset_params_default();
    p.max_chunks = max_chunks;
    p.mask7 = mask7;
    lmc_dataset *ds = nullptr;
    lmc_baseline_result r{};
    EXPECT_EQ(lmc_dataset_open(spec.c_str(), &p, &ds), LMC_OK) << lmc_last_error();
    if (!ds) return r;
    EXPECT_EQ(lmc_baseline_measure(lmc_baseline_find(compressor), lmc_dataset_bytes(ds), lmc_dataset_chunk_count(ds),
                                   LMC_CHUNK_BYTES, mask7 ? lmc_mask_scale(8, 1) : 1.0, nullptr, nullptr, &r),
              LMC_OK);
    lmc_dataset_destroy(ds);
    return r;
}

TEST(CliEval, HelpStatesTheProtocolAndWhereTheDataIs) {
    auto r = RunLmc("eval --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Usage: lmc eval --compressor LIST --dataset LIST"), std::string::npos);
    EXPECT_NE(r.out.find("LMC_DATA_DIR"), std::string::npos);
    EXPECT_NE(r.out.find("linear interpolation"), std::string::npos);
    EXPECT_NE(r.out.find("--mask7"), std::string::npos);
    auto listed = RunLmc("--help");
    EXPECT_NE(listed.out.find("eval"), std::string::npos);
}

TEST(CliEval, BadUsageExitsWith2AndMissingDataWith1) {
    TempDir dir;
    std::string text = MakeText(dir);
    auto none = RunLmc("eval");
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("--compressor LIST is required"), std::string::npos) << none.err;
    auto unknown = RunLmc("eval --compressor bzip2 --dataset text:" + text);
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown compressor 'bzip2'"), std::string::npos) << unknown.err;
    // Not a spec and not a corpus name (enwik9 is one now: test_cli_data_dir.cpp).
    auto spec = RunLmc("eval --compressor gzip --dataset enwik7");
    EXPECT_EQ(spec.exit_code, 2);
    EXPECT_NE(spec.err.find("text:PATH"), std::string::npos) << spec.err;
    auto chunks = RunLmc("eval --compressor gzip --dataset text:" + text + " --chunks 0");
    EXPECT_EQ(chunks.exit_code, 2);
    auto missing = RunLmc("eval --compressor gzip --dataset text:/nonexistent/lmc-eval");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("/nonexistent/lmc-eval"), std::string::npos) << missing.err;
    auto empty = RunLmc("eval --compressor gzip --dataset random:100");
    EXPECT_EQ(empty.exit_code, 1);
    EXPECT_NE(empty.err.find("no whole 2048-byte chunk"), std::string::npos) << empty.err;
    EXPECT_EQ(empty.out, "");
}

// lm: resolves built-in names and files; a name that is neither gives one clear error and no table.
TEST(CliEval, LmNamesResolveBuiltInsAndFilesOrFailClearly) {
    // `default` resolves (the failure is about the data, not the name): nothing is computed.
    auto r = RunLmc("eval --compressor gzip,lm:default --dataset random:100 --json");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no whole 2048-byte chunk"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    auto missing = RunLmc("eval --compressor lm:/nonexistent/m.safetensors --dataset random:4096 --json");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("lm:/nonexistent/m.safetensors"), std::string::npos) << missing.err;
    EXPECT_EQ(missing.out, "");
    auto unknown = RunLmc("eval --compressor lm:no-such-builtin --dataset random:4096 --json");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("lm:no-such-builtin"), std::string::npos) << unknown.err;
}

// A coding model's row is the .lmc stream `lmc compress` writes for the same chunks: its payload
// (the container's own count: no chunk of this text is stored, so it is the model's payload) over
// raw is chunked_rate, the whole file is file_rate; the adjusted rates add 2 bytes per parameter
// and the coding model file's size. The exact rate stays within 1% of the float model's ideal
// rate (the cost of exactness), and the row was decoded to check it. On random bytes, which the
// model cannot shrink, the file stores every chunk as it is: file_rate is that file's (just over
// 100%), while chunked_rate stays the model's own payload (above 100%, the paper's count), not the
// stored size.
TEST(CliEval, CodingModelRowIsTheLmcStreamOfItsChunks) {
    TempDir dir;
    std::string text = MakeText(dir), model = dir / "m.safetensors", coding = dir / "m.exact.safetensors";
    auto tr = RunLmc("train --data " + text + " --config tiny --context 2048 --window 64 --batch 4 --steps 20 --lr 1e-2 "
                     "--device cpu-ref -q -o " + model);
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    auto q = RunLmc("quantize " + model + " -o " + coding);
    ASSERT_EQ(q.exit_code, 0) << q.err;
    std::string two = dir / "two", packed = dir / "two.lmc";
    {
        FILE *in = fopen(text.c_str(), "rb"), *out = fopen(two.c_str(), "wb");
        ASSERT_TRUE(in && out);
        std::vector<char> buf(4096);
        ASSERT_EQ(fread(buf.data(), 1, buf.size(), in), buf.size());
        fwrite(buf.data(), 1, buf.size(), out);
        fclose(in);
        fclose(out);
    }
    auto c = RunLmc("compress " + two + " -m " + coding + " --device cpu-ref -o " + packed);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    std::vector<uint8_t> file;
    {
        FILE *f = fopen(packed.c_str(), "rb");
        ASSERT_NE(f, nullptr);
        int ch;
        while ((ch = fgetc(f)) != EOF) file.push_back((uint8_t)ch);
        fclose(f);
    }
    lmc_container_info info;
    ASSERT_EQ(lmc_container_info_read(file.data(), file.size(), &info), LMC_OK) << lmc_last_error();
    ASSERT_EQ(info.stored_windows, 0u) << "the text's chunks are coded: its payload is the model's";
    struct stat st_model;
    ASSERT_EQ(stat(coding.c_str(), &st_model), 0);
    lmc_model_config tiny;
    ASSERT_EQ(lmc_model_config_preset("tiny", &tiny), LMC_OK);
    double params = (double)lmc_model_config_num_params(&tiny);
    std::vector<std::string> devices = {"cpu-ref"};
    for (const std::string &d : lmc_test::CoveredDeviceNames())
        if (d.find("pthread") != std::string::npos) devices.push_back(d);
    for (const std::string &d : devices) {
        SCOPED_TRACE(d);
        auto r = RunLmc("eval --compressor lm:" + coding + ",lm:" + model + " --dataset text:" + text +
                        " --chunks 2 --json --device " + d);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(JsonNumber(r.out, 0, "raw_bytes"), 4096.0);
        double payload = JsonNumber(r.out, 0, "chunked_rate");
        EXPECT_NEAR(payload, (double)info.payload_bytes / 4096.0, 1e-6) << r.out;
        EXPECT_NEAR(JsonNumber(r.out, 0, "file_rate"), (double)file.size() / 4096.0, 1e-6) << r.out;
        EXPECT_NEAR(JsonNumber(r.out, 0, "adjusted_rate"), payload + 2.0 * params / 4096.0, 1e-6) << r.out;
        EXPECT_NEAR(JsonNumber(r.out, 0, "adjusted_file_rate"), ((double)file.size() + (double)st_model.st_size) / 4096.0,
                    1e-6) << r.out;
        EXPECT_EQ(JsonNumber(r.out, 0, "stored_chunks"), 0.0) << r.out;
        EXPECT_NE(r.out.find("\"stored_chunks\": null"), std::string::npos) << "a float model writes no file: " << r.out;
        double ideal = JsonNumber(r.out, 1, "chunked_rate");
        EXPECT_LT(payload, 0.95);  // the trained model does compress the text
        EXPECT_NEAR(payload, ideal, 0.01 * ideal) << r.out;
    }
    // Random bytes: the same chunks as eval's random:4096, through `lmc compress` too.
    lmc_dataset *ds = nullptr;
    lmc_dataset_params dp = lmc_dataset_params_default();
    ASSERT_EQ(lmc_dataset_open("random:4096", &dp, &ds), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_dataset_chunk_count(ds), 2u);
    std::string rnd = dir / "rnd";
    ASSERT_EQ(lmc_fixture::WriteBytes(rnd, std::string((const char *)lmc_dataset_bytes(ds), 4096)), "");
    lmc_dataset_destroy(ds);
    auto rc = RunLmc("compress " + rnd + " -m " + coding + " --device cpu-ref --json -o " + rnd + ".lmc");
    ASSERT_EQ(rc.exit_code, 0) << rc.err;
    EXPECT_NE(rc.out.find("\"windows\": 2, \"stored_windows\": 2}"), std::string::npos) << rc.out;
    struct stat st_rnd;
    ASSERT_EQ(stat((rnd + ".lmc").c_str(), &st_rnd), 0);
    auto rr = RunLmc("eval --compressor lm:" + coding + " --dataset random:4096 --json --device cpu-ref");
    ASSERT_EQ(rr.exit_code, 0) << rr.err;
    EXPECT_EQ(JsonNumber(rr.out, 0, "stored_chunks"), 2.0) << rr.out;
    EXPECT_NEAR(JsonNumber(rr.out, 0, "file_rate"), (double)st_rnd.st_size / 4096.0, 1e-6) << rr.out;
    EXPECT_EQ(st_rnd.st_size, 4096 + 2 * 4 + 92) << "stored: 2 bytes of tag and 2 of index a chunk";
    double model_rate = JsonNumber(rr.out, 0, "chunked_rate");
    EXPECT_GT(model_rate, 1.0) << "the model's own payload, not the stored chunks: " << rr.out;
    EXPECT_NEAR(JsonNumber(rr.out, 0, "adjusted_rate"), model_rate + 2.0 * params / 4096.0, 1e-6) << rr.out;
}

// The float-model row is the ideal code length of the Q16 rows through the codec's quantiser,
// recomputed here from the reference forward (lmc_model_logprobs) and lmc_quantize_row; the
// OpenCL forward (fused attention) gives the same rate; adjusted_rate adds 2 bytes per parameter.
TEST(CliEval, FloatModelRowIsTheIdealCodeLengthOfItsQ16Rows) {
    TempDir dir;
    std::string text = MakeText(dir), model = dir / "m.safetensors";
    auto tr = RunLmc("train --data " + text + " --config tiny --context 2048 --batch 1 --steps 2 --device cpu-ref -q -o " +
                     model);
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    lmc_model *m = nullptr;
    ASSERT_EQ(lmc_model_load(model.c_str(), &m), LMC_OK) << lmc_last_error();
    std::string bytes;
    {
        FILE *f = fopen(text.c_str(), "rb");
        ASSERT_NE(f, nullptr);
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        bytes.assign(buf, n);
    }
    double bits = 0;
    std::vector<float> logp(2048 * 256);
    for (int c = 0; c < 2; c++) {  // --chunks 2
        const uint8_t *chunk = (const uint8_t *)bytes.data() + c * 2048;
        ASSERT_EQ(lmc_model_logprobs(m, chunk, 2048, logp.data()), LMC_OK);
        for (int t = 0; t < 2048; t++) {
            int32_t q[256];
            uint32_t freq[256];
            for (int i = 0; i < 256; i++) q[i] = (int32_t)std::lrint((double)logp[t * 256 + i] * 65536.0);
            lmc_quantize_row(q, freq);
            bits += 16.0 - std::log2((double)freq[chunk[t]]);
        }
    }
    double params = (double)lmc_model_config_num_params(lmc_model_get_config(m));
    lmc_model_destroy(m);
    double want = bits / 8.0 / 4096.0;
    EXPECT_GT(want, 0.05);  // a real measurement, not zero
    std::vector<std::string> devices = {"cpu-ref"};
    for (const std::string &d : lmc_test::CoveredDeviceNames())
        if (d.find("pthread") != std::string::npos) devices.push_back(d);  // the fastest; basic: test_model_ops
    for (const std::string &d : devices) {
        SCOPED_TRACE(d);
        auto r = RunLmc("eval --compressor lm:" + model + " --dataset text:" + text + " --chunks 2 --json --device " + d);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(JsonNumber(r.out, 0, "raw_bytes"), 4096.0);
        double got = JsonNumber(r.out, 0, "chunked_rate");
        EXPECT_NEAR(got, want, d == "cpu-ref" ? 1e-6 : 1e-4 * want) << r.out;
        EXPECT_NEAR(JsonNumber(r.out, 0, "adjusted_rate"), got + 2.0 * params / 4096.0, 1e-5) << r.out;
        EXPECT_NE(r.out.find("\"file_rate\": null"), std::string::npos) << r.out;  // no file was written
        EXPECT_EQ(r.out.find("unchunked_rate"), std::string::npos) << r.out;
    }
}

TEST(CliEval, JsonRowsEchoTheNamesAndHoldTheLibraryRates) {
    TempDir dir;
    std::string text = MakeText(dir);
    auto r = RunLmc("eval --compressor gzip,zstd --dataset text:" + text + ",random:8192 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");  // no progress bar off a terminal
    ASSERT_EQ(r.out.front(), '[');
    EXPECT_EQ(Count(r.out, "{"), 4u);
    for (const char *key : {"\"compressor\"", "\"dataset\"", "\"raw_bytes\"", "\"chunked_rate\"",
                            "\"unchunked_rate\"", "\"seconds\""})
        EXPECT_EQ(Count(r.out, key), 4u) << key;
    EXPECT_EQ(Count(r.out, "\"compressor\": \"gzip\""), 2u);
    EXPECT_EQ(Count(r.out, "\"dataset\": \"text:" + text + "\""), 2u);
    EXPECT_EQ(Count(r.out, "\"dataset\": \"random:8192\""), 2u);
    // row order: compressor-major, datasets in the order given
    EXPECT_EQ(JsonNumber(r.out, 0, "raw_bytes"), 6144);
    EXPECT_EQ(JsonNumber(r.out, 1, "raw_bytes"), 8192);
    auto gz = Measure("gzip", "text:" + text, 0, 0);
    EXPECT_NEAR(JsonNumber(r.out, 0, "chunked_rate"), gz.chunked_rate, 1e-6);
    EXPECT_NEAR(JsonNumber(r.out, 0, "unchunked_rate"), gz.unchunked_rate, 1e-6);
    auto zs = Measure("zstd", "random:8192", 0, 0);
    EXPECT_NEAR(JsonNumber(r.out, 3, "chunked_rate"), zs.chunked_rate, 1e-6);
    EXPECT_GT(JsonNumber(r.out, 3, "chunked_rate"), 0.99);  // random bytes do not compress
}

TEST(CliEval, ChunksAndMask7ChangeTheRowsAsStated) {
    TempDir dir;
    std::string text = MakeText(dir);
    auto two = RunLmc("eval --compressor lzma2 --dataset text:" + text + " --chunks 2 --json");
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_EQ(JsonNumber(two.out, 0, "raw_bytes"), 4096);
    EXPECT_NEAR(JsonNumber(two.out, 0, "unchunked_rate"), Measure("lzma2", "text:" + text, 2, 0).unchunked_rate, 1e-6);
    auto masked = RunLmc("eval --compressor gzip --dataset text:" + text + " --mask7 --json");
    ASSERT_EQ(masked.exit_code, 0) << masked.err;
    auto m = Measure("gzip", "text:" + text, 0, 1);
    EXPECT_NEAR(JsonNumber(masked.out, 0, "chunked_rate"), m.chunked_rate, 1e-6);
    // the masked rate is 8/7 of the masked data's own compressed length
    EXPECT_DOUBLE_EQ(m.unchunked_rate * 7.0 / 8.0 * 6144.0, (double)m.unchunked_bytes);
}

TEST(CliEval, TableHasThePapersLayoutWithItsFiguresBesideOurs) {
    TempDir dir;
    std::string text = MakeText(dir);
    auto r = RunLmc("eval --compressor gzip,zstd --dataset text:" + text + ",random:4096");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("text (enwik9)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("random (random)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| whole | gzip |"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| 2048 | gzip |"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(48.1) |"), std::string::npos) << r.out;   // paper: gzip, 2048, enwik9
    EXPECT_NE(r.out.find("(100.1) |"), std::string::npos) << r.out;  // paper: gzip, 2048, random
    EXPECT_NE(r.out.find("(-) |"), std::string::npos) << r.out;      // zstd is not in the paper
    EXPECT_NE(r.out.find("MB/s"), std::string::npos) << r.out;
}

TEST(CliEval, DatasetAllReadsTheCorporaUnderLmcDataDir) {
    TempDir dir;
    ASSERT_EQ(system(("mkdir -p '" + (dir / "text/eval") + "' '" + (dir / "images") + "' '" + (dir / "audio") + "'").c_str()), 0);
    ASSERT_EQ(lmc_fixture::WriteBytes(dir / "text/eval/a.txt", std::string(4096, 'x')), "");
    std::vector<uint16_t> px(64 * 32, 7);
    ASSERT_EQ(lmc_fixture::WritePng(dir / "images/a.png", 64, 32, PNG_COLOR_TYPE_GRAY, 8, px), "");
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "audio/a.wav", 1, 16000, 16, std::vector<int32_t>(2048, 512)), "");
    auto r = RunLmc("eval --compressor flac --dataset all --chunks 1 --json", "", "LMC_DATA_DIR=" + dir.path);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Count(r.out, "{"), 4u) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"text:" + dir.path + "/text/eval\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"image:" + dir.path + "/images\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"audio:" + dir.path + "/audio\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"dataset\": \"random:4M\""), std::string::npos) << r.out;
    auto bad = RunLmc("eval --compressor flac --dataset all", "", "LMC_DATA_DIR=/nonexistent/lmc-data");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("LMC_DATA_DIR"), std::string::npos) << bad.err;
}

}  // namespace
