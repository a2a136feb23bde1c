// test_model_file.cpp : lmc-float-1 model files (safetensors, DESIGN.md §2). Proves: save/load
// round trip bit for bit; writes are canonical (same model, same bytes; the header spelled out
// exactly) and atomic (no temporary left behind, no partial file on failure); any safetensors
// layout with the right tensors loads (key order, data order); and every kind of wrong file is
// refused with LMC_ERR_MODEL and a detail naming the problem.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "lmc/model.h"
#include "test_env.h"

namespace {

lmc_model *TinyModel(uint64_t seed) {
    lmc_model_params mp = lmc_model_params_default();
    EXPECT_EQ(lmc_model_config_preset("tiny", &mp.config), LMC_OK);
    mp.seed = seed;
    lmc_model *m = nullptr;
    EXPECT_EQ(lmc_model_create(&mp, &m), LMC_OK);
    return m;
}

std::string ReadAll(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string &path, const std::string &data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

std::vector<std::string> ListDir(const std::string &dir) {
    std::vector<std::string> names;
    DIR *d = opendir(dir.c_str());
    while (struct dirent *e = d ? readdir(d) : nullptr)
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
    if (d) closedir(d);
    return names;
}

// A hand-made safetensors writer, independent of model_file.c, for layouts ours never writes.
struct Tensor {
    std::string name, dtype;
    std::vector<size_t> shape;
    std::string bytes;
};

std::string BuildFile(const std::string &metadata_json, const std::vector<Tensor> &ts, bool python_key_order,
                      size_t lead_gap = 0) {
    std::string h = "{";
    bool first = true;
    if (!metadata_json.empty()) {
        h += "\"__metadata__\":" + metadata_json;
        first = false;
    }
    size_t off = lead_gap;  // bytes no tensor claims, before the first one (invalid: a hole)
    for (const Tensor &t : ts) {
        std::string shape = "[";
        for (size_t i = 0; i < t.shape.size(); i++) shape += (i ? "," : "") + std::to_string(t.shape[i]);
        shape += "]";
        std::string offs = "[" + std::to_string(off) + "," + std::to_string(off + t.bytes.size()) + "]";
        std::string entry = python_key_order
                                ? "{\"dtype\":\"" + t.dtype + "\", \"shape\": " + shape + ", \"data_offsets\": " + offs + "}"
                                : "{\"data_offsets\":" + offs + ",\"dtype\":\"" + t.dtype + "\",\"shape\":" + shape + "}";
        h += (first ? "" : ", ") + std::string("\"") + t.name + "\": " + entry;
        first = false;
        off += t.bytes.size();
    }
    h += "}";
    std::string out(8, '\0');
    for (int k = 0; k < 8; k++) out[k] = (char)((h.size() >> (8 * k)) & 0xFF);
    out += h;
    out += std::string(lead_gap, '\0');
    for (const Tensor &t : ts) out += t.bytes;
    return out;
}

const char *kTinyMeta =
    "{\"format\":\"lmc-float-1\",\"d_model\":\"16\",\"n_layers\":\"2\",\"n_heads\":\"2\",\"context\":\"64\"}";

std::vector<Tensor> TensorsOf(const lmc_model *m) {
    const lmc_model_config *cfg = lmc_model_get_config(m);
    std::vector<Tensor> ts;
    for (size_t i = 0; i < lmc_model_num_tensors(cfg); i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(cfg, i, &d);
        Tensor t{d.name, "F32", {}, std::string((const char *)(lmc_model_params_cdata(m) + d.offset), d.size * 4)};
        for (int k = 0; k < d.ndim; k++) t.shape.push_back(d.shape[k]);
        ts.push_back(t);
    }
    return ts;
}

lmc_status LoadBytes(const std::string &bytes, std::string *detail) {
    lmc_model *m = nullptr;
    lmc_status st = lmc_model_load_memory(bytes.data(), bytes.size(), &m);
    *detail = lmc_last_error();
    if (st == LMC_OK) {
        EXPECT_NE(m, nullptr);
    }
    lmc_model_destroy(m);
    return st;
}

bool SameParams(const lmc_model *a, const lmc_model *b) {
    size_t n = lmc_model_config_num_params(lmc_model_get_config(a));
    return n == lmc_model_config_num_params(lmc_model_get_config(b)) &&
           std::memcmp(lmc_model_params_cdata(a), lmc_model_params_cdata(b), n * 4) == 0;
}

TEST(ModelFile, SaveLoadRoundTripIsExact) {
    std::string dir = lmc_test::MakeTempDir();
    lmc_model *m = TinyModel(3);
    ASSERT_EQ(lmc_model_save(m, (dir + "/a.safetensors").c_str()), LMC_OK) << lmc_last_error();
    lmc_model *back = nullptr;
    ASSERT_EQ(lmc_model_load((dir + "/a.safetensors").c_str(), &back), LMC_OK) << lmc_last_error();
    const lmc_model_config *c = lmc_model_get_config(back);
    EXPECT_EQ(c->d_model, 16);
    EXPECT_EQ(c->n_layers, 2);
    EXPECT_EQ(c->n_heads, 2);
    EXPECT_EQ(c->context, 64);
    EXPECT_TRUE(SameParams(m, back));
    // Only the file itself is left: the temporary was renamed.
    EXPECT_EQ(ListDir(dir), std::vector<std::string>{"a.safetensors"});
    lmc_model_destroy(back);
    lmc_model_destroy(m);
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ModelFile, WritesAreCanonical) {
    std::string dir = lmc_test::MakeTempDir();
    lmc_model *m = TinyModel(3);
    ASSERT_EQ(lmc_model_save(m, (dir + "/a").c_str()), LMC_OK);
    ASSERT_EQ(lmc_model_save(m, (dir + "/b").c_str()), LMC_OK);
    std::string a = ReadAll(dir + "/a");
    EXPECT_EQ(a, ReadAll(dir + "/b"));
    uint8_t *img = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    EXPECT_EQ(std::string((const char *)img, size), a);
    std::free(img);
    // Header: length multiple of 8, sorted keys, metadata as strings, data in name order.
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++) hlen |= (uint64_t)(uint8_t)a[k] << (8 * k);
    EXPECT_EQ(hlen % 8, 0u);
    std::string header = a.substr(8, hlen);
    const std::string head =
        "{\"__metadata__\":{\"context\":\"64\",\"d_model\":\"16\",\"format\":\"lmc-float-1\",\"n_heads\":\"2\","
        "\"n_layers\":\"2\"},\"embed\":{\"data_offsets\":[0,16384],\"dtype\":\"F32\",\"shape\":[256,16]},"
        "\"layer0.attn.wk\":{\"data_offsets\":[16384,17408],\"dtype\":\"F32\",\"shape\":[16,16]}";
    EXPECT_EQ(header.substr(0, head.size()), head);
    EXPECT_NE(header.find("\"out.w\":{\"data_offsets\":"), std::string::npos);
    EXPECT_NE(header.find("\"shape\":[16,256]}"), std::string::npos);  // out.w stored (in, out)
    EXPECT_EQ(a.size(), 8 + hlen + lmc_model_config_num_params(lmc_model_get_config(m)) * 4);
    // Another model gives other bytes (the file depends on the weights, nothing else).
    lmc_model *other = TinyModel(4);
    ASSERT_EQ(lmc_model_save(other, (dir + "/c").c_str()), LMC_OK);
    EXPECT_NE(ReadAll(dir + "/c"), a);
    lmc_model_destroy(other);
    lmc_model_destroy(m);
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ModelFile, FailedSaveLeavesNothing) {
    std::string dir = lmc_test::MakeTempDir();
    lmc_model *m = TinyModel(1);
    EXPECT_EQ(lmc_model_save(m, (dir + "/missing/dir/a").c_str()), LMC_ERR_IO);
    EXPECT_NE(std::string(lmc_last_error()).find("cannot create"), std::string::npos);
    EXPECT_TRUE(ListDir(dir).empty());
    lmc_model_destroy(m);
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(ModelFile, AnyValidLayoutLoads) {
    lmc_model *m = TinyModel(5);
    std::vector<Tensor> ts = TensorsOf(m);
    // Tensors in reverse order, Python's key order, extra metadata keys, spaces in the JSON.
    std::vector<Tensor> rev(ts.rbegin(), ts.rend());
    std::string meta = "{\"context\": \"64\", \"n_heads\": \"2\", \"producer\": \"hand\", \"d_model\": \"16\", "
                       "\"n_layers\": \"2\", \"format\": \"lmc-float-1\"}";
    std::string bytes = BuildFile(meta, rev, true);
    lmc_model *back = nullptr;
    ASSERT_EQ(lmc_model_load_memory(bytes.data(), bytes.size(), &back), LMC_OK) << lmc_last_error();
    EXPECT_TRUE(SameParams(m, back));
    lmc_model_destroy(back);
    lmc_model_destroy(m);
}

struct BadCase {
    const char *what;
    std::string bytes;
    const char *detail;  // a substring the error detail must contain
};

TEST(ModelFile, WrongFilesAreClearErrors) {
    lmc_model *m = TinyModel(6);
    std::vector<Tensor> ts = TensorsOf(m);
    std::string good = BuildFile(kTinyMeta, ts, false);
    std::string detail;
    ASSERT_EQ(LoadBytes(good, &detail), LMC_OK) << detail;
    std::vector<BadCase> cases;
    cases.push_back({"truncated data", good.substr(0, good.size() - 1), "truncated"});
    cases.push_back({"truncated header", good.substr(0, 100), "truncated"});
    cases.push_back({"shorter than the length field", good.substr(0, 5), "8-byte"});
    cases.push_back({"trailing data", good + "x", "after the last tensor"});
    cases.push_back({"text file", std::string("hello world, this is not a model at all\n"), "header length"});
    {
        auto t = ts;
        t.pop_back();  // out.b
        cases.push_back({"missing tensor", BuildFile(kTinyMeta, t, false), "tensor 'out.b' missing"});
    }
    {
        auto t = ts;
        t.push_back({"layer2.attn.wq", "F32", {16, 16}, std::string(1024, '\0')});
        cases.push_back({"extra tensor", BuildFile(kTinyMeta, t, false), "unexpected tensor 'layer2.attn.wq'"});
    }
    {
        auto t = ts;
        t[t.size() - 2].shape = {256, 16};  // out.w transposed
        cases.push_back({"transposed matrix", BuildFile(kTinyMeta, t, false), "'out.w' has shape [256,16], expected [16,256]"});
    }
    {
        auto t = ts;
        t[1].shape = {16, 16, 1};
        cases.push_back({"extra dimension", BuildFile(kTinyMeta, t, false), "'layer0.attn.wq' has shape [16,16,1]"});
    }
    {
        auto t = ts;
        t[0].dtype = "F16";
        t[0].bytes.resize(t[0].bytes.size() / 2);
        cases.push_back({"wrong dtype", BuildFile(kTinyMeta, t, false), "'embed' has dtype F16"});
    }
    {
        auto t = ts;
        float nan = std::nanf("");
        std::memcpy(&t[3].bytes[8], &nan, 4);
        cases.push_back({"NaN weight", BuildFile(kTinyMeta, t, false), "non-finite"});
    }
    cases.push_back({"hole in the data", BuildFile(kTinyMeta, ts, false, 8), "starts at data byte 8, expected 0"});
    cases.push_back({"no metadata", BuildFile("", ts, false), "no __metadata__"});
    cases.push_back({"other format",
                     BuildFile("{\"format\":\"lmc-exact-1\",\"d_model\":\"16\",\"n_layers\":\"2\",\"n_heads\":\"2\","
                               "\"context\":\"64\"}", ts, false),
                     "format 'lmc-exact-1'"});
    cases.push_back({"missing d_model",
                     BuildFile("{\"format\":\"lmc-float-1\",\"n_layers\":\"2\",\"n_heads\":\"2\",\"context\":\"64\"}",
                               ts, false),
                     "'d_model' missing"});
    cases.push_back({"config disagrees with tensors",
                     BuildFile("{\"format\":\"lmc-float-1\",\"d_model\":\"32\",\"n_layers\":\"2\",\"n_heads\":\"2\","
                               "\"context\":\"64\"}", ts, false),
                     "'embed' has shape [256,16], expected [256,32]"});
    cases.push_back({"heads do not divide",
                     BuildFile("{\"format\":\"lmc-float-1\",\"d_model\":\"16\",\"n_layers\":\"2\",\"n_heads\":\"3\","
                               "\"context\":\"64\"}", ts, false),
                     "n_heads 3 must divide"});
    {
        std::string broken = good;
        size_t at = broken.find("\"dtype\"");
        broken[at] = '\'';
        cases.push_back({"malformed JSON", broken, "model file header"});
    }
    for (const BadCase &c : cases) {
        EXPECT_EQ(LoadBytes(c.bytes, &detail), LMC_ERR_MODEL) << c.what;
        EXPECT_NE(detail.find(c.detail), std::string::npos) << c.what << ": detail was: " << detail;
    }
    // Through the file API the detail also names the file.
    std::string dir = lmc_test::MakeTempDir();
    WriteAll(dir + "/bad.safetensors", cases[0].bytes);
    lmc_model *out = nullptr;
    EXPECT_EQ(lmc_model_load((dir + "/bad.safetensors").c_str(), &out), LMC_ERR_MODEL);
    EXPECT_NE(std::string(lmc_last_error()).find("bad.safetensors: model file truncated"), std::string::npos)
        << lmc_last_error();
    EXPECT_EQ(out, nullptr);
    EXPECT_EQ(lmc_model_load((dir + "/absent.safetensors").c_str(), &out), LMC_ERR_NOT_FOUND);
    std::system(("rm -rf '" + dir + "'").c_str());
    lmc_model_destroy(m);
}

// Every prefix of a valid file is refused cleanly (never a crash or a half-loaded model).
TEST(ModelFile, EveryTruncationIsRefused) {
    lmc_model *m = TinyModel(2);
    uint8_t *img = nullptr;
    size_t size = 0;
    ASSERT_EQ(lmc_model_serialize(m, &img, &size), LMC_OK);
    std::string all((const char *)img, size);
    std::free(img);
    std::string detail;
    for (size_t n = 0; n < size; n += (n < 4096 ? 1 : 997))
        ASSERT_EQ(LoadBytes(all.substr(0, n), &detail), LMC_ERR_MODEL) << "prefix " << n;
    lmc_model_destroy(m);
}

}  // namespace
