// test_exact_model.cpp : coding models (lmc-exact-1): `quantize` of the committed tiny float
// model reproduces the committed coding model byte for byte, the id is the SHA-256 of the
// canonical serialisation (runtime/exact/EXACT.md, re-implemented here), and the loader is strict.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>

#include "exact_test_util.h"
#include "test_env.h"

using namespace exact_test;

namespace {
std::vector<uint8_t> ReadFile(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
}  // namespace

TEST(ExactModel, QuantizeReproducesTheCommittedTinyModel) {
    lmc_model *fm = nullptr;
    ASSERT_EQ(lmc_model_load((GoldenDir() + "/tiny.float.safetensors").c_str(), &fm), LMC_OK) << lmc_last_error();
    lmc_exact_model *em = nullptr;
    ASSERT_EQ(lmc_exact_quantize(fm, &em), LMC_OK) << lmc_last_error();
    uint8_t *data = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_exact_model_serialize(em, &data, &size), LMC_OK);
    std::vector<uint8_t> committed = ReadFile(GoldenDir() + "/tiny.exact.safetensors");
    EXPECT_EQ(std::vector<uint8_t>(data, data + size), committed);
    free(data);
    lmc_exact_model_destroy(em);
    lmc_model_destroy(fm);
}

// The id re-derived from the file by the rule of runtime/exact/EXACT.md: metadata as sorted key=value
// lines, then each tensor in name order as "name\ndtype\nshape\n" and its bytes.
TEST(ExactModel, IdIsTheSha256OfTheCanonicalSerialisation) {
  for (int format : {1, 2}) {
    std::vector<uint8_t> f = ReadFile(GoldenDir() + (format == 2 ? "/tiny.exact2.safetensors" : "/tiny.exact.safetensors"));
    ASSERT_GT(f.size(), 8u);
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)f[k] << (8 * k);
    std::string hdr(f.begin() + 8, f.begin() + 8 + (long)hl);
    const uint8_t *body = f.data() + 8 + hl;
    // The writer's header is canonical: "name":{"data_offsets":[a,b],"dtype":"X","shape":[..]}.
    std::map<std::string, std::string> entries;  // name -> "dtype\nshape\n" + bytes
    size_t pos = hdr.find("}") + 1;              // after __metadata__
    while ((pos = hdr.find("\"", pos)) != std::string::npos) {
        size_t e = hdr.find("\"", pos + 1);
        std::string name = hdr.substr(pos + 1, e - pos - 1);
        size_t a = std::stoul(hdr.substr(hdr.find("[", e) + 1));
        size_t b = std::stoul(hdr.substr(hdr.find(",", hdr.find("[", e)) + 1));
        size_t dt = hdr.find("\"dtype\":\"", e) + 9;
        std::string dtype = hdr.substr(dt, 3);
        size_t sh = hdr.find("\"shape\":[", e) + 9;
        std::string shape = hdr.substr(sh, hdr.find("]", sh) - sh);
        entries[name] = name + "\n" + dtype + "\n" + shape + "\n" + std::string((const char *)body + a, b - a);
        pos = hdr.find("}", sh) + 1;
    }
    ASSERT_GT(entries.size(), 10u);
    std::string canon = std::string("context=64\nd_model=16\nformat=") + (format == 2 ? "lmc-exact-2" : "lmc-exact-1") +
                        "\nn_heads=2\nn_layers=2\n";
    for (auto &kv : entries) canon += kv.second;
    uint8_t want[32];
    lmc_sha256(canon.data(), canon.size(), want);
    lmc_exact_model *m = LoadTiny(format);
    ASSERT_TRUE(m);
    uint8_t got[32];
    lmc_exact_model_id(m, got);
    EXPECT_EQ(0, std::memcmp(got, want, 32)) << "format " << format;
    // The golden files carry this id at offset 24 of their header.
    std::vector<uint8_t> g = ReadFile(GoldenDir() + (format == 2 ? "/text.x2.lmc" : "/text.lmc"));
    ASSERT_GE(g.size(), 56u);
    EXPECT_EQ(0, std::memcmp(g.data() + 24, got, 32)) << "format " << format;
    lmc_exact_model_destroy(m);
  }
}



namespace {
lmc_status LoadBytes(const std::vector<uint8_t> &b) {
    lmc_exact_model *m = nullptr;
    lmc_status st = lmc_exact_model_load_memory(b.data(), b.size(), &m);
    lmc_exact_model_destroy(m);
    return st;
}
}  // namespace

TEST(ExactModel, LoaderIsStrict) {
    std::vector<uint8_t> good = ReadFile(GoldenDir() + "/tiny.exact.safetensors");
    ASSERT_EQ(LoadBytes(good), LMC_OK) << lmc_last_error();
    // Truncated anywhere: an error.
    for (size_t n : {0ul, 7ul, 100ul, good.size() / 2, good.size() - 1})
        EXPECT_EQ(LoadBytes(std::vector<uint8_t>(good.begin(), good.begin() + (long)n)), LMC_ERR_MODEL) << n;
    // A float model is not a coding model, and the message says what to do.
    EXPECT_EQ(LoadBytes(ReadFile(GoldenDir() + "/tiny.float.safetensors")), LMC_ERR_MODEL);
    EXPECT_NE(std::string(lmc_last_error()).find("lmc quantize"), std::string::npos) << lmc_last_error();
    // A requantisation multiplier out of its range [2^14, 2^15).
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)good[k] << (8 * k);
    std::string hdr(good.begin() + 8, good.begin() + 8 + (long)hl);
    size_t p = hdr.find("\"layer0.attn.wq.mult\"");
    ASSERT_NE(p, std::string::npos);
    size_t a = std::stoul(hdr.substr(hdr.find("[", p) + 1));
    std::vector<uint8_t> bad = good;
    bad[8 + hl + a + 3] = 0x40;
    EXPECT_EQ(LoadBytes(bad), LMC_ERR_MODEL);
    EXPECT_NE(std::string(lmc_last_error()).find("layer0.attn.wq.mult"), std::string::npos) << lmc_last_error();
    // A renamed tensor: one missing, one unexpected.
    std::vector<uint8_t> ren = good;
    size_t q = 8 + hdr.find("\"out.b\"") + 1;
    ren[q] = 'p';
    EXPECT_EQ(LoadBytes(ren), LMC_ERR_MODEL);
    // A changed weight changes the id.
    std::vector<uint8_t> w = good;
    size_t pw = hdr.find("\"layer1.ffn.w2\"");
    size_t aw = std::stoul(hdr.substr(hdr.find("[", pw) + 1));
    w[8 + hl + aw] ^= 1;
    lmc_exact_model *m1 = nullptr, *m2 = nullptr;
    ASSERT_EQ(lmc_exact_model_load_memory(good.data(), good.size(), &m1), LMC_OK);
    ASSERT_EQ(lmc_exact_model_load_memory(w.data(), w.size(), &m2), LMC_OK);
    uint8_t i1[32], i2[32];
    lmc_exact_model_id(m1, i1);
    lmc_exact_model_id(m2, i2);
    EXPECT_NE(0, std::memcmp(i1, i2, 32));
    lmc_exact_model_destroy(m1);
    lmc_exact_model_destroy(m2);
}

// lmc-exact-2 holds lmc-exact-1's tensors under its own format name: the committed tiny models of
// the two formats differ in that name only (same length, so in no other byte), quantize writes
// each, their ids differ, and their rows differ (the arithmetic reads the format). The loader
// holds lmc-exact-2 to its own ranges: a linear layer's shift of 3 (lmc-exact-2 shifts 3 bits
// fewer) or an attention shift of 6 loads as lmc-exact-1 and is refused as lmc-exact-2.
TEST(ExactModel, SecondFormatIsTheSameTensorsWithItsOwnNameIdRowsAndRanges) {
    std::vector<uint8_t> one = ReadFile(GoldenDir() + "/tiny.exact.safetensors");
    std::vector<uint8_t> two = ReadFile(GoldenDir() + "/tiny.exact2.safetensors");
    ASSERT_EQ(one.size(), two.size());
    std::string a(one.begin(), one.end()), b(two.begin(), two.end());
    size_t at = a.find("lmc-exact-1");
    ASSERT_NE(at, std::string::npos);
    a.replace(at, 11, "lmc-exact-2");
    EXPECT_TRUE(a == b) << "the two tiny models differ beyond their format name";
    lmc_model *fm = nullptr;
    ASSERT_EQ(lmc_model_load((GoldenDir() + "/tiny.float.safetensors").c_str(), &fm), LMC_OK) << lmc_last_error();
    lmc_exact_model *e2 = nullptr, *bad = nullptr;
    ASSERT_EQ(lmc_exact_quantize_format(fm, 2, &e2), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_exact_quantize_format(fm, 3, &bad), LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(bad, nullptr);
    uint8_t *data = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_exact_model_serialize(e2, &data, &size), LMC_OK);
    EXPECT_EQ(std::vector<uint8_t>(data, data + size), two);
    free(data);
    lmc_model_destroy(fm);
    lmc_exact_model *e1 = LoadTiny(1);
    ASSERT_TRUE(e1);
    EXPECT_EQ(lmc_exact_model_format(e1), 1);
    EXPECT_EQ(lmc_exact_model_format(e2), 2);
    uint8_t i1[32], i2[32];
    lmc_exact_model_id(e1, i1);
    lmc_exact_model_id(e2, i2);
    EXPECT_NE(0, std::memcmp(i1, i2, 32));
    std::vector<uint8_t> in = Input(0, 64);
    std::vector<int32_t> r1(64 * 256), r2(64 * 256);
    ASSERT_EQ(lmc_exact_rows_ref(e1, in.data(), in.size(), r1.data()), LMC_OK);
    ASSERT_EQ(lmc_exact_rows_ref(e2, in.data(), in.size(), r2.data()), LMC_OK);
    size_t differ = 0;
    for (size_t t = 0; t < 64; t++) differ += std::memcmp(&r1[t * 256], &r2[t * 256], 256 * sizeof(int32_t)) != 0;
    EXPECT_GT(differ, 32u) << "lmc-exact-2's rows should differ from lmc-exact-1's at most positions";
    lmc_exact_model_destroy(e1);
    lmc_exact_model_destroy(e2);
    // the ranges: one 4-byte value (a tensor's first) set to v, in either file
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)one[k] << (8 * k);
    std::string hdr(one.begin() + 8, one.begin() + 8 + (long)hl);
    auto with = [&](const std::vector<uint8_t> &f, const char *tensor, size_t index, uint8_t v) {
        size_t p = hdr.find(std::string("\"") + tensor + "\"");
        EXPECT_NE(p, std::string::npos) << tensor;
        size_t o = 8 + hl + std::stoul(hdr.substr(hdr.find("[", p) + 1)) + 4 * index;
        std::vector<uint8_t> c = f;
        c[o] = v;
        c[o + 1] = c[o + 2] = c[o + 3] = 0;
        return c;
    };
    EXPECT_EQ(LoadBytes(with(one, "layer0.attn.wq.shift", 0, 3)), LMC_OK) << lmc_last_error();
    EXPECT_EQ(LoadBytes(with(two, "layer0.attn.wq.shift", 0, 3)), LMC_ERR_MODEL);
    EXPECT_NE(std::string(lmc_last_error()).find("layer0.attn.wq.shift"), std::string::npos) << lmc_last_error();
    EXPECT_EQ(LoadBytes(with(two, "layer0.attn.wq.shift", 0, 4)), LMC_OK) << lmc_last_error();
    EXPECT_EQ(LoadBytes(with(one, "table.attn_scale", 1, 6)), LMC_OK) << lmc_last_error();
    EXPECT_EQ(LoadBytes(with(two, "table.attn_scale", 1, 6)), LMC_ERR_MODEL);
    EXPECT_EQ(LoadBytes(with(two, "table.attn_scale", 1, 7)), LMC_OK) << lmc_last_error();
}

// "default" is the built-in the build names (LMC_DEFAULT_BUILTIN, passed to this test as
// LMC_TEST_DEFAULT_BUILTIN), whatever its place in the list; built-ins are found by their id.
TEST(ExactModel, BuiltinDefaultIsTheNamedOneAndFoundById) {
    ASSERT_GE(lmc_builtin_model_count(), 1u);
    ASSERT_LT(lmc_builtin_model_default(), lmc_builtin_model_count());
    EXPECT_STREQ(lmc_builtin_model_name(lmc_builtin_model_default()), LMC_TEST_DEFAULT_BUILTIN);
    lmc_exact_model *d = nullptr, *last = nullptr, *byid = nullptr;
    ASSERT_EQ(lmc_exact_model_open("default", &d), LMC_OK) << lmc_last_error();
    ASSERT_EQ(lmc_exact_model_open(LMC_TEST_DEFAULT_BUILTIN, &last), LMC_OK) << lmc_last_error();
    uint8_t a[32], b[32], c[32];
    lmc_exact_model_id(d, a);
    lmc_exact_model_id(last, b);
    EXPECT_EQ(0, std::memcmp(a, b, 32));
    ASSERT_EQ(lmc_builtin_model_find_id(a, &byid), LMC_OK);
    lmc_exact_model_id(byid, c);
    EXPECT_EQ(0, std::memcmp(a, c, 32));
    uint8_t none[32] = {1, 2, 3};
    lmc_exact_model *x = nullptr;
    EXPECT_EQ(lmc_builtin_model_find_id(none, &x), LMC_ERR_MODEL_MISMATCH);
    lmc_exact_model_destroy(d);
    lmc_exact_model_destroy(last);
    lmc_exact_model_destroy(byid);
}
