// test_eval_plot_cli.cpp : `lmc eval --plot FILE.png`, the scaling plot, and the parameter counts
// of lm: rows (two fresh float models of different sizes on PoCL's pthread device, else cpu-ref;
// one chunk each of generated text and PNG data; no real corpora). Proves: the PNG is written and valid (signature, IHDR width 1000 and height
// 400 per dataset, libpng decodes it), it shows the raw curve, the adjusted curve and the
// classical reference lines in their colours, the same run writes the same bytes, and no .tmp is
// left; --json rows carry each model's parameters (= lmc_model_config_num_params) and the table
// lists them; --plot without an lm: row exits 2, an unwritable or folder path exits 1 before any
// row is measured (no table printed), naming the path, and leaves no file.
#include <png.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "lmc/model.h"
#include "test_env.h"

namespace {

using lmc_test::RunLmc;
using lmc_test::TempDir;

// The float rows' device: PoCL's pthread device when there is one (fast), else cpu-ref.
std::string Device() { return lmc_test::FindDevice("pthread") >= 0 ? " --device pthread" : " --device cpu-ref"; }

// A fresh float model of `d_model` with context 2048 at `path`; returns its parameter count.
size_t MakeModel(const std::string &path, int d_model, int layers) {
    lmc_model_params mp = lmc_model_params_default();
    EXPECT_EQ(lmc_model_config_preset("tiny", &mp.config), LMC_OK);
    mp.config.d_model = d_model;
    mp.config.n_layers = layers;
    mp.config.n_heads = 2;
    mp.config.context = 2048;
    lmc_model *m = nullptr;
    EXPECT_EQ(lmc_model_create(&mp, &m), LMC_OK) << lmc_last_error();
    EXPECT_EQ(lmc_model_save(m, path.c_str()), LMC_OK) << lmc_last_error();
    lmc_model_destroy(m);
    return lmc_model_config_num_params(&mp.config);
}

uint32_t Be32(const std::string &s, size_t at) {
    return (uint32_t)(uint8_t)s[at] << 24 | (uint32_t)(uint8_t)s[at + 1] << 16 |
           (uint32_t)(uint8_t)s[at + 2] << 8 | (uint32_t)(uint8_t)s[at + 3];
}

// How many pixels of the decoded RGB image have exactly this colour.
size_t CountColour(const std::vector<uint8_t> &rgb, uint8_t r, uint8_t g, uint8_t b) {
    size_t n = 0;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3) n += rgb[i] == r && rgb[i + 1] == g && rgb[i + 2] == b;
    return n;
}

class EvalPlot : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string text;
        for (int i = 0; i < 2 * 2048 + 10; i++) text += "scaling plot bytes "[(i * 5) % 19];
        ASSERT_EQ(lmc_fixture::WriteBytes(dir / "t.txt", text), "");
        std::vector<uint16_t> px(128 * 32 * 3);
        for (size_t i = 0; i < px.size(); i++) px[i] = uint16_t((i * 3 + i / 384) & 255);
        ASSERT_EQ(lmc_fixture::WritePng(dir / "i.png", 128, 32, PNG_COLOR_TYPE_RGB, 8, px), "");
        small_params = MakeModel(dir / "small.safetensors", 16, 1);
        big_params = MakeModel(dir / "big.safetensors", 32, 2);
        datasets = " --chunks 1 --dataset text:" + (dir / "t.txt") + ",image:" + (dir / "i.png");
    }
    TempDir dir;
    size_t small_params = 0, big_params = 0;
    std::string datasets;
};

TEST_F(EvalPlot, WritesAValidScalingPlotWithParameters) {
    std::string comps =
        " --compressor gzip,zstd,lm:" + (dir / "big.safetensors") + ",lm:" + (dir / "small.safetensors");
    auto r = RunLmc("eval" + comps + datasets + Device() + " --json --plot " + (dir / "s.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("wrote the scaling plot " + (dir / "s.png")), std::string::npos) << r.err;
    EXPECT_EQ(lmc_test::Count(r.out, "\"parameters\": " + std::to_string(big_params) + ","), 2u) << r.out;
    EXPECT_EQ(lmc_test::Count(r.out, "\"parameters\": " + std::to_string(small_params) + ","), 2u) << r.out;
    EXPECT_EQ(lmc_test::Count(r.out, "\"parameters\""), 4u) << "only lm: rows carry parameters";
    std::string png = lmc_test::ReadFile(dir / "s.png");
    ASSERT_GT(png.size(), 33u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(png.substr(12, 4), "IHDR");
    EXPECT_EQ(Be32(png, 16), 1000u);
    EXPECT_EQ(Be32(png, 20), 2u * 400u) << "one 400-pixel panel per dataset";
    EXPECT_FALSE(lmc_test::FileExists(dir / "s.png.tmp"));
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_file(&img, (dir / "s.png").c_str())) << img.message;
    img.format = PNG_FORMAT_RGB;
    std::vector<uint8_t> rgb(PNG_IMAGE_SIZE(img));
    ASSERT_TRUE(png_image_finish_read(&img, nullptr, rgb.data(), 0, nullptr)) << img.message;
    EXPECT_GT(CountColour(rgb, 30, 90, 200), 100u) << "the raw curve";
    EXPECT_GT(CountColour(rgb, 210, 40, 40), 100u) << "the adjusted curve";
    EXPECT_GT(CountColour(rgb, 0, 150, 60), 300u) << "gzip's reference line";
    EXPECT_GT(CountColour(rgb, 150, 90, 0), 300u) << "zstd's reference line";
    // The same run draws the same bytes; the table lists the parameters.
    auto t = RunLmc("eval" + comps + datasets + Device() + " --plot " + (dir / "s2.png"));
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_EQ(png, lmc_test::ReadFile(dir / "s2.png"));
    EXPECT_NE(
        t.out.find("lm:" + (dir / "small.safetensors") + ": " + std::to_string(small_params) + " parameters"),
        std::string::npos)
        << t.out;
}

TEST_F(EvalPlot, ErrorsAreClearAndEarly) {
    auto no_lm = RunLmc("eval --compressor gzip,zstd" + datasets + " --plot " + (dir / "x.png"));
    EXPECT_EQ(no_lm.exit_code, 2) << no_lm.err;
    EXPECT_NE(no_lm.err.find("needs at least one lm: compressor"), std::string::npos) << no_lm.err;
    std::string lm = " --compressor gzip,lm:" + (dir / "small.safetensors") + " --device cpu-ref";
    auto missing = RunLmc("eval" + lm + datasets + " --plot " + (dir / "no/such/x.png"));
    EXPECT_EQ(missing.exit_code, 1) << missing.err;
    EXPECT_NE(missing.err.find(dir / "no/such/x.png"), std::string::npos) << missing.err;
    EXPECT_EQ(missing.out, "") << "the path is checked before any row is measured";
    auto folder = RunLmc("eval" + lm + datasets + " --plot " + dir.path);
    EXPECT_EQ(folder.exit_code, 1) << folder.err;
    EXPECT_NE(folder.err.find("is a folder"), std::string::npos) << folder.err;
    EXPECT_FALSE(lmc_test::FileExists(dir / "x.png"));
    auto empty = RunLmc("eval" + lm + datasets + " --plot ''");
    EXPECT_EQ(empty.exit_code, 2) << empty.err;
}

}  // namespace
