// test_data_readers.cpp : the dataset readers of DESIGN.md §6 on generated fixtures: every PNG
// colour type and depth, odd image sizes and the patch order; WAV variants and a stereo 44.1 kHz
// 24-bit FLAC made with libFLAC here; empty, tiny and corrupt files; the gray and audio byte
// mappings, resampling, random bytes and the 7-bit mask against hand-computed values.
#include <png.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "data_fixtures.h"
#include "lmc/data.h"
#include "test_env.h"

namespace {

using lmc_test::TempDir;

using lmc_fixture::WriteBytes;

struct Dataset {
    lmc_dataset *ds = nullptr;
    lmc_status status = LMC_OK;
    std::string error;
    explicit Dataset(const std::string &spec, size_t max_chunks = 0, int mask7 = 0, uint64_t seed = 0) {
        lmc_dataset_params p = lmc_dataset_params_default();
        p.max_chunks = max_chunks;
        p.mask7 = mask7;
        p.seed = seed;
        status = lmc_dataset_open(spec.c_str(), &p, &ds);
        if (status != LMC_OK) error = lmc_last_error();
    }
    ~Dataset() { lmc_dataset_destroy(ds); }
    size_t chunks() const { return ds ? lmc_dataset_chunk_count(ds) : 0; }
    std::string bytes() const {
        return ds ? std::string((const char *)lmc_dataset_bytes(ds), chunks() * LMC_CHUNK_BYTES) : "";
    }
};

// Deterministic test values.
uint32_t Hash(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// ---- hand-computed byte mappings ----

TEST(DataMapping, GrayIsTheFloorOfTheMeanOfRgb) {
    EXPECT_EQ(lmc_gray_from_rgb(0, 0, 2), 0);       // 2/3 -> 0
    EXPECT_EQ(lmc_gray_from_rgb(1, 1, 1), 1);
    EXPECT_EQ(lmc_gray_from_rgb(10, 20, 31), 20);   // 61/3 = 20.33
    EXPECT_EQ(lmc_gray_from_rgb(255, 255, 254), 254);  // 764/3 = 254.67
    EXPECT_EQ(lmc_gray_from_rgb(255, 255, 255), 255);
}

TEST(DataMapping, AudioSamplesReduceTo16BitsWithFloorThenHighBytePlus128) {
    EXPECT_EQ(lmc_audio_to16(0x7FFFFF, 24), 32767);
    EXPECT_EQ(lmc_audio_to16(-0x800000, 24), -32768);
    EXPECT_EQ(lmc_audio_to16(-1, 24), -1);     // floor(-1/256)
    EXPECT_EQ(lmc_audio_to16(-256, 24), -1);
    EXPECT_EQ(lmc_audio_to16(-257, 24), -2);
    EXPECT_EQ(lmc_audio_to16(255, 24), 0);
    EXPECT_EQ(lmc_audio_to16(INT32_MIN, 32), -32768);
    EXPECT_EQ(lmc_audio_to16(65535, 32), 0);
    EXPECT_EQ(lmc_audio_to16(100, 8), 25600);
    EXPECT_EQ(lmc_audio_to16(-1234, 16), -1234);
    EXPECT_EQ(lmc_audio_byte(32767), 255);
    EXPECT_EQ(lmc_audio_byte(-32768), 0);
    EXPECT_EQ(lmc_audio_byte(0), 128);
    EXPECT_EQ(lmc_audio_byte(-1), 127);  // (-1 >> 8) = -1
    EXPECT_EQ(lmc_audio_byte(255), 128);
    EXPECT_EQ(lmc_audio_byte(256), 129);
    EXPECT_EQ(lmc_audio_byte(-256), 127);
    EXPECT_EQ(lmc_audio_byte(-257), 126);
}

TEST(DataMapping, ResamplingIsLinearInterpolationWithFloor) {
    std::vector<int16_t> ramp(100);
    for (int i = 0; i < 100; i++) ramp[i] = (int16_t)(i * 100 - 3000);
    int16_t *out = nullptr;
    size_t n = 0;
    ASSERT_EQ(lmc_audio_resample(ramp.data(), ramp.size(), 44100, 16000, &out, &n), LMC_OK);
    EXPECT_EQ(n, 36u);  // floor(99 * 16000 / 44100) + 1
    EXPECT_EQ(out[0], -3000);
    EXPECT_EQ(out[1], -2725);  // position 2.75625: -2800 + 0.75625 * 100 = -2724.375 -> floor -2725
    EXPECT_EQ(out[35], 6646);  // position 96.46875: 6600 + 46.875 = 6646.875 -> 6646
    free(out);
    // 32 kHz -> 16 kHz takes every other sample; 16 kHz passes unchanged
    std::vector<int16_t> alt = {5, -7, 9, -11, 13};
    ASSERT_EQ(lmc_audio_resample(alt.data(), alt.size(), 32000, 16000, &out, &n), LMC_OK);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(out[0], 5);
    EXPECT_EQ(out[1], 9);
    EXPECT_EQ(out[2], 13);
    free(out);
    // 8 kHz -> 16 kHz: midpoints, floored: (5 + -7) / 2 = -1
    ASSERT_EQ(lmc_audio_resample(alt.data(), 2, 8000, 16000, &out, &n), LMC_OK);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(out[1], -1);
    free(out);
}

TEST(DataMapping, RandomBytesAreSplitmix64) {
    uint8_t b[16];
    lmc_random_fill(b, sizeof b, 0);
    // splitmix64(0): first output 0xE220A8397B1DCDAF, second 0x6E789E6AA1B965F4
    const uint8_t want[16] = {0xAF, 0xCD, 0x1D, 0x7B, 0x39, 0xA8, 0x20, 0xE2,
                              0xF4, 0x65, 0xB9, 0xA1, 0x6A, 0x9E, 0x78, 0x6E};
    EXPECT_EQ(memcmp(b, want, 16), 0);
    Dataset a("random:8192"), again("random:8192"), other("random:8192", 0, 0, 1), cut("random:10000", 2);
    ASSERT_EQ(a.status, LMC_OK) << a.error;
    EXPECT_EQ(a.chunks(), 4u);
    EXPECT_EQ(a.bytes(), again.bytes());
    EXPECT_NE(a.bytes(), other.bytes());
    EXPECT_EQ(cut.chunks(), 2u);
    EXPECT_EQ(cut.bytes(), a.bytes().substr(0, 4096));  // --chunks takes a prefix
    Dataset k("random:1k"), m("random:1M");
    EXPECT_EQ(k.chunks(), 0u);  // 1024 bytes: no whole chunk
    EXPECT_EQ(m.chunks(), 512u);
}

TEST(DataMapping, Mask7ZeroesTheTopBitOfTextAndShiftsOtherData) {
    uint8_t text[] = {0x00, 0x41, 0x7F, 0x80, 0xC3, 0xFF};
    lmc_mask7_apply(LMC_DATA_TEXT, text, sizeof text);
    const uint8_t text_want[] = {0x00, 0x41, 0x7F, 0x00, 0x43, 0x7F};
    EXPECT_EQ(memcmp(text, text_want, sizeof text), 0);
    uint8_t img[] = {0x00, 0x01, 0x80, 0xFF, 0x7F};
    lmc_mask7_apply(LMC_DATA_IMAGE, img, sizeof img);
    const uint8_t img_want[] = {0x00, 0x00, 0x40, 0x7F, 0x3F};
    EXPECT_EQ(memcmp(img, img_want, sizeof img), 0);
    uint8_t audio[] = {0x81, 0xFE};
    lmc_mask7_apply(LMC_DATA_AUDIO, audio, sizeof audio);
    EXPECT_EQ(audio[0], 0x40);
    EXPECT_EQ(audio[1], 0x7F);
    EXPECT_DOUBLE_EQ(lmc_mask_scale(8, 1), 8.0 / 7.0);
    EXPECT_DOUBLE_EQ(lmc_mask_scale(8, 0), 1.0);
    EXPECT_DOUBLE_EQ(lmc_mask_scale(16, 2), 16.0 / 14.0);
}

TEST(DataMapping, Mask7AppliesToEveryChunkOfADataset) {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 4096; i++) text += (char)(Hash(i) & 0xFF);
    ASSERT_EQ(WriteBytes(dir / "t.bin", text), "");
    Dataset plain("text:" + (dir / "t.bin")), masked("text:" + (dir / "t.bin"), 0, 1);
    ASSERT_EQ(masked.status, LMC_OK) << masked.error;
    std::string want = plain.bytes();
    for (auto &c : want) c = (char)((unsigned char)c & 0x7F);
    EXPECT_EQ(masked.bytes(), want);
}

// ---- text and folders ----

TEST(DataText, WholeChunksOnlyFromEmptyTinyAndOddFiles) {
    TempDir dir;
    std::string big;
    for (int i = 0; i < 4097; i++) big += (char)('a' + i % 26);
    ASSERT_EQ(WriteBytes(dir / "empty.txt", ""), "");
    ASSERT_EQ(WriteBytes(dir / "tiny.txt", "x"), "");
    ASSERT_EQ(WriteBytes(dir / "short.txt", std::string(2047, 'q')), "");
    ASSERT_EQ(WriteBytes(dir / "big.txt", big), "");
    EXPECT_EQ(Dataset("text:" + (dir / "empty.txt")).chunks(), 0u);
    EXPECT_EQ(Dataset("text:" + (dir / "tiny.txt")).chunks(), 0u);
    EXPECT_EQ(Dataset("text:" + (dir / "short.txt")).chunks(), 0u);
    Dataset b("text:" + (dir / "big.txt"));
    ASSERT_EQ(b.chunks(), 2u);
    EXPECT_EQ(b.bytes(), big.substr(0, 4096));
    EXPECT_EQ(Dataset("text:" + (dir / "big.txt"), 1).bytes(), big.substr(0, 2048));
}

TEST(DataText, FoldersAreWalkedRecursivelyInSortedOrderEachFileChunkedOnItsOwn) {
    TempDir dir;
    ASSERT_EQ(system(("mkdir -p '" + (dir / "sub") + "'").c_str()), 0);
    // sorted: "a.txt" < "b.txt" < "sub/c.txt"; ".hidden" is skipped; each file drops its tail
    ASSERT_EQ(WriteBytes(dir / "b.txt", std::string(2048, 'B') + "tail"), "");
    ASSERT_EQ(WriteBytes(dir / "a.txt", std::string(2048, 'A') + "t"), "");
    ASSERT_EQ(WriteBytes(dir / "sub/c.txt", std::string(2048, 'C')), "");
    ASSERT_EQ(WriteBytes(dir / ".hidden", std::string(2048, 'H')), "");
    Dataset ds("text:" + dir.path);
    ASSERT_EQ(ds.status, LMC_OK) << ds.error;
    EXPECT_EQ(ds.chunks(), 3u);
    EXPECT_EQ(lmc_dataset_file_count(ds.ds), 3u);
    EXPECT_EQ(ds.bytes(), std::string(2048, 'A') + std::string(2048, 'B') + std::string(2048, 'C'));
    Dataset two("text:" + dir.path, 2);
    EXPECT_EQ(two.bytes(), std::string(2048, 'A') + std::string(2048, 'B'));
}

TEST(DataText, BadSpecsAndMissingPathsAreClearErrors) {
    Dataset nokind("enwik9");
    EXPECT_EQ(nokind.status, LMC_ERR_INVALID_ARGUMENT);
    EXPECT_NE(nokind.error.find("text:PATH"), std::string::npos) << nokind.error;
    EXPECT_EQ(Dataset("text:").status, LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(Dataset("random:abc").status, LMC_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(Dataset("random:-5").status, LMC_ERR_INVALID_ARGUMENT);
    Dataset missing("text:/nonexistent/lmc-data-test");
    EXPECT_EQ(missing.status, LMC_ERR_NOT_FOUND);
    EXPECT_NE(missing.error.find("/nonexistent/lmc-data-test"), std::string::npos) << missing.error;
}

// ---- images ----

struct PngCase {
    int color_type, depth;
};

// The gray value the paper's pipeline must see for raw PNG sample values.
uint8_t ExpectedGray(const PngCase &c, const uint16_t *px, const std::vector<std::array<uint8_t, 3>> &pal) {
    auto to8 = [&](uint16_t v) -> unsigned {
        if (c.depth == 16) return v >> 8;
        if (c.depth == 8) return v;
        return v * (255u / ((1u << c.depth) - 1));  // 1-bit x255, 2-bit x85, 4-bit x17
    };
    switch (c.color_type) {
    case PNG_COLOR_TYPE_PALETTE: {
        auto &e = pal[px[0]];
        return (uint8_t)((e[0] + e[1] + e[2]) / 3);
    }
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA: return (uint8_t)((to8(px[0]) + to8(px[1]) + to8(px[2])) / 3);
    default: return (uint8_t)to8(px[0]);  // gray, gray + alpha: alpha ignored
    }
}

class DataImageTypes : public ::testing::TestWithParam<PngCase> {};

TEST_P(DataImageTypes, EveryColourTypeAndDepthDecodesToTheFloorMeanGray) {
    const PngCase c = GetParam();
    TempDir dir;
    const uint32_t w = 67, h = 35;  // odd sizes: one 32x64 patch, remainders dropped
    const int ch = lmc_fixture::PngChannels(c.color_type);
    std::vector<std::array<uint8_t, 3>> pal;
    if (c.color_type == PNG_COLOR_TYPE_PALETTE)
        for (int i = 0; i < (1 << c.depth); i++)
            pal.push_back({(uint8_t)Hash(3 * i), (uint8_t)Hash(3 * i + 1), (uint8_t)Hash(3 * i + 2)});
    std::vector<uint16_t> samples((size_t)w * h * ch);
    const uint32_t max = (1u << c.depth) - 1;
    for (size_t i = 0; i < samples.size(); i++) samples[i] = (uint16_t)(Hash((uint32_t)i + 77) % (max + 1));
    for (bool interlace : {false, true}) {
        const std::string path = dir / (interlace ? "i.png" : "p.png");
        ASSERT_EQ(lmc_fixture::WritePng(path, w, h, c.color_type, c.depth, samples, pal, interlace), "");
        uint8_t *gray = nullptr;
        uint32_t gw = 0, gh = 0;
        ASSERT_EQ(lmc_image_load_gray(path.c_str(), &gray, &gw, &gh), LMC_OK) << lmc_last_error();
        ASSERT_EQ(gw, w);
        ASSERT_EQ(gh, h);
        size_t bad = 0;
        for (size_t p = 0; p < (size_t)w * h; p++)
            if (gray[p] != ExpectedGray(c, &samples[p * ch], pal) && bad++ < 3)
                ADD_FAILURE() << "pixel " << p << ": got " << (int)gray[p] << ", want "
                              << (int)ExpectedGray(c, &samples[p * ch], pal) << (interlace ? " (interlaced)" : "");
        EXPECT_EQ(bad, 0u);
        Dataset ds("image:" + path);
        ASSERT_EQ(ds.status, LMC_OK) << ds.error;
        ASSERT_EQ(ds.chunks(), 1u);
        for (size_t y = 0; y < 32; y++)
            ASSERT_EQ(memcmp(lmc_dataset_bytes(ds.ds) + y * 64, gray + y * w, 64), 0) << "row " << y;
        free(gray);
    }
}

std::string PngCaseName(const ::testing::TestParamInfo<PngCase> &p) {
    static const char *const kinds[] = {"gray", "?", "rgb", "palette", "gray_alpha", "?", "rgba"};
    return std::string(kinds[p.param.color_type]) + std::to_string(p.param.depth);
}

INSTANTIATE_TEST_SUITE_P(
    AllPng, DataImageTypes,
    ::testing::Values(PngCase{PNG_COLOR_TYPE_GRAY, 1}, PngCase{PNG_COLOR_TYPE_GRAY, 2}, PngCase{PNG_COLOR_TYPE_GRAY, 4},
                      PngCase{PNG_COLOR_TYPE_GRAY, 8}, PngCase{PNG_COLOR_TYPE_GRAY, 16},
                      PngCase{PNG_COLOR_TYPE_GRAY_ALPHA, 8}, PngCase{PNG_COLOR_TYPE_GRAY_ALPHA, 16},
                      PngCase{PNG_COLOR_TYPE_RGB, 8}, PngCase{PNG_COLOR_TYPE_RGB, 16},
                      PngCase{PNG_COLOR_TYPE_RGB_ALPHA, 8}, PngCase{PNG_COLOR_TYPE_RGB_ALPHA, 16},
                      PngCase{PNG_COLOR_TYPE_PALETTE, 1}, PngCase{PNG_COLOR_TYPE_PALETTE, 2},
                      PngCase{PNG_COLOR_TYPE_PALETTE, 4}, PngCase{PNG_COLOR_TYPE_PALETTE, 8}),
    PngCaseName);

TEST(DataImage, PatchesAre32RowsBy64ColumnsRowMajorImageByImage) {
    TempDir dir;
    const uint32_t w = 130, h = 70;  // 2 x 2 patches; 2 columns and 6 rows left over
    std::vector<uint16_t> px((size_t)w * h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) px[(size_t)y * w + x] = (uint16_t)((x * 7 + y * 13) & 0xFF);
    ASSERT_EQ(lmc_fixture::WritePng(dir / "a.png", w, h, PNG_COLOR_TYPE_GRAY, 8, px), "");
    std::vector<uint16_t> px2(64 * 32, 9);
    ASSERT_EQ(lmc_fixture::WritePng(dir / "b.png", 64, 32, PNG_COLOR_TYPE_GRAY, 8, px2), "");
    ASSERT_EQ(lmc_fixture::WritePng(dir / "c.png", 63, 100, PNG_COLOR_TYPE_GRAY, 8,
                                    std::vector<uint16_t>(63 * 100, 1)),
              "");  // narrower than a patch: none
    ASSERT_EQ(WriteBytes(dir / "readme.txt", "not an image"), "");  // skipped in a folder
    Dataset ds("image:" + dir.path);
    ASSERT_EQ(ds.status, LMC_OK) << ds.error;
    ASSERT_EQ(ds.chunks(), 5u);
    EXPECT_EQ(lmc_dataset_file_count(ds.ds), 3u);
    const uint8_t *b = lmc_dataset_bytes(ds.ds);
    for (size_t pr = 0; pr < 2; pr++)
        for (size_t pc = 0; pc < 2; pc++)
            for (size_t y = 0; y < 32; y++)
                for (size_t x = 0; x < 64; x++) {
                    size_t gy = pr * 32 + y, gx = pc * 64 + x;
                    ASSERT_EQ(b[(pr * 2 + pc) * 2048 + y * 64 + x], (gx * 7 + gy * 13) & 0xFF)
                        << "patch " << pr << "," << pc << " at " << y << "," << x;
                }
    for (size_t i = 0; i < 2048; i++) ASSERT_EQ(b[4 * 2048 + i], 9);
    Dataset three("image:" + dir.path, 3);  // --chunks cuts inside an image
    ASSERT_EQ(three.chunks(), 3u);
    EXPECT_EQ(three.bytes(), ds.bytes().substr(0, 3 * 2048));
}

TEST(DataImage, CorruptTruncatedAndForeignPngsAreClearErrors) {
    TempDir dir;
    std::vector<uint16_t> px(64 * 32);
    for (size_t i = 0; i < px.size(); i++) px[i] = (uint16_t)(Hash((uint32_t)i) & 0xFF);
    ASSERT_EQ(lmc_fixture::WritePng(dir / "good.png", 64, 32, PNG_COLOR_TYPE_GRAY, 8, px), "");
    std::string good = lmc_fixture::ReadBytes(dir / "good.png");
    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x55;  // inside IDAT: its CRC no longer matches
    ASSERT_EQ(WriteBytes(dir / "flipped.png", flipped), "");
    ASSERT_EQ(WriteBytes(dir / "cut.png", good.substr(0, good.size() / 2)), "");
    ASSERT_EQ(WriteBytes(dir / "text.png", "this is not a png file at all"), "");
    ASSERT_EQ(WriteBytes(dir / "empty.png", ""), "");
    struct {
        const char *name;
        lmc_status want;
    } cases[] = {{"flipped.png", LMC_ERR_CORRUPT},
                 {"cut.png", LMC_ERR_CORRUPT},
                 {"text.png", LMC_ERR_FORMAT},
                 {"empty.png", LMC_ERR_TRUNCATED}};
    for (auto &c : cases) {
        Dataset ds("image:" + (dir / c.name));
        EXPECT_EQ(ds.status, c.want) << c.name << ": " << ds.error;
        EXPECT_NE(ds.error.find(c.name), std::string::npos) << ds.error;
    }
}

// ---- audio ----

std::string Bytes(const std::vector<int> &v) {
    std::string s;
    for (int x : v) s += (char)(uint8_t)x;
    return s;
}

// The audio bytes of a file, or "" with a failure.
std::string AudioBytes(const std::string &path) {
    uint8_t *b = nullptr;
    size_t n = 0;
    lmc_status st = lmc_audio_load_bytes(path.c_str(), &b, &n);
    EXPECT_EQ(st, LMC_OK) << lmc_last_error();
    std::string s(b ? (const char *)b : "", n);
    free(b);
    return s;
}

TEST(DataAudio, WavVariantsMapToHandComputedBytes) {
    TempDir dir;
    // 8-bit mono: unsigned u -> (u - 128) << 8 -> high byte + 128 = u
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "u8.wav", 1, 16000, 8, {0, 1, 127, 128, 255}), "");
    EXPECT_EQ(AudioBytes(dir / "u8.wav"), Bytes({0, 1, 127, 128, 255}));
    // 16-bit stereo: floor mean of the pair, then (s >> 8) + 128
    // (1000 + 3000) / 2 = 2000 -> 7 + 128 = 135; (-1 + 0) / 2 -> floor -1 -> 127;
    // (-32768 + -32768) -> 0; (32767 + 32766) / 2 = 32766 -> 255; (-300 + 100) / 2 = -100 -> 127
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "s16.wav", 2, 16000, 16,
                                    {1000, 3000, -1, 0, -32768, -32768, 32767, 32766, -300, 100}),
              "");
    EXPECT_EQ(AudioBytes(dir / "s16.wav"), Bytes({135, 127, 0, 255, 127}));
    // 24-bit, 3 channels: to16 = floor(s / 256), then floor mean
    // (256*10, 256*20, 256*31) -> (10+20+31)/3 = 20 -> 128; (-1, -1, -1) -> -1 -> 127;
    // (0x7FFFFF, 0x7FFFFF, -0x800000) -> (32767+32767-32768)/3 = 10922 -> 42 + 128 = 170
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "s24.wav", 3, 16000, 24,
                                    {2560, 5120, 7936, -1, -1, -1, 0x7FFFFF, 0x7FFFFF, -0x800000}),
              "");
    EXPECT_EQ(AudioBytes(dir / "s24.wav"), Bytes({128, 127, 170}));
    // 32-bit mono: to16 = floor(s / 65536): 0x40000000 -> 16384 -> 64 + 128; INT32_MIN -> 0
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "s32.wav", 1, 16000, 32, {0x40000000, INT32_MIN, -1}), "");
    EXPECT_EQ(AudioBytes(dir / "s32.wav"), Bytes({192, 0, 127}));
    // extensible header and an odd-sized chunk before the data
    lmc_fixture::WavOptions opt;
    opt.extensible = true;
    opt.extra_odd_chunk = true;
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "ext.wav", 1, 16000, 16, {256, -256, 512}, opt), "");
    EXPECT_EQ(AudioBytes(dir / "ext.wav"), Bytes({129, 127, 130}));
    // 32 kHz: every other sample
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "r32k.wav", 1, 32000, 16, {256, 9999, 512, 9999, 768}), "");
    EXPECT_EQ(AudioBytes(dir / "r32k.wav"), Bytes({129, 130, 131}));
    // empty data chunk: no samples
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "empty.wav", 1, 16000, 16, {}), "");
    EXPECT_EQ(AudioBytes(dir / "empty.wav"), "");
}

TEST(DataAudio, StereoFlac44kHz24BitIsDecodedAveragedAndResampled) {
    TempDir dir;
    const unsigned rate = 44100, n = 44100;  // one second
    std::vector<int32_t> inter(2 * n);
    std::vector<int16_t> mono(n);
    for (unsigned i = 0; i < n; i++) {
        int32_t l = (int32_t)(Hash(i) % 0x1000000) - 0x800000;  // full 24-bit range
        int32_t r = (int32_t)((i * 3331u) % 0x1000000) - 0x800000;
        inter[2 * i] = l;
        inter[2 * i + 1] = r;
        // hand rule: floor(l / 256), floor(r / 256), floor of their mean
        int64_t a = l >= 0 ? l / 256 : -((-(int64_t)l + 255) / 256);
        int64_t b = r >= 0 ? r / 256 : -((-(int64_t)r + 255) / 256);
        int64_t s = a + b;
        mono[i] = (int16_t)(s >= 0 ? s / 2 : -((-s + 1) / 2));
    }
    ASSERT_EQ(lmc_fixture::WriteFlac(dir / "st.flac", 2, rate, 24, inter), "");
    int16_t *got = nullptr;
    size_t got_n = 0;
    uint32_t got_rate = 0;
    ASSERT_EQ(lmc_audio_load_mono16((dir / "st.flac").c_str(), &got, &got_n, &got_rate), LMC_OK)
        << lmc_last_error();
    EXPECT_EQ(got_rate, rate);
    ASSERT_EQ(got_n, (size_t)n);
    EXPECT_EQ(memcmp(got, mono.data(), n * sizeof(int16_t)), 0);
    free(got);
    std::string bytes = AudioBytes(dir / "st.flac");
    ASSERT_EQ(bytes.size(), 16000u);  // floor(44099 * 16000 / 44100) + 1
    // spot checks of the interpolation: output k at input position k * 44100 / 16000
    for (size_t k : {0ul, 1ul, 12345ul, 15999ul}) {
        uint64_t num = k * 44100, i = num / 16000, frac = num % 16000;
        int64_t v = frac ? (int64_t)mono[i] * (16000 - (int64_t)frac) + (int64_t)mono[i + 1] * (int64_t)frac
                         : (int64_t)mono[i] * 16000;
        int64_t s = v >= 0 ? v / 16000 : -((-v + 15999) / 16000);
        EXPECT_EQ((uint8_t)bytes[k], lmc_audio_byte((int32_t)s)) << "sample " << k;
    }
    Dataset ds("audio:" + dir.path);  // 16000 bytes: 7 whole chunks
    ASSERT_EQ(ds.status, LMC_OK) << ds.error;
    EXPECT_EQ(ds.chunks(), 7u);
    EXPECT_EQ(ds.bytes(), bytes.substr(0, 7 * 2048));
}

TEST(DataAudio, CorruptTruncatedUnsupportedAndForeignAudioAreClearErrors) {
    TempDir dir;
    std::vector<int32_t> s(20000);
    for (size_t i = 0; i < s.size(); i++) s[i] = (int32_t)(Hash((uint32_t)i) % 2000) - 1000;
    ASSERT_EQ(lmc_fixture::WriteFlac(dir / "good.flac", 1, 16000, 16, s), "");
    std::string flac = lmc_fixture::ReadBytes(dir / "good.flac");
    std::string bad = flac;
    for (size_t i = flac.size() / 2; i < flac.size() / 2 + 64; i++) bad[i] = (char)(bad[i] ^ 0xA5);
    ASSERT_EQ(WriteBytes(dir / "flipped.flac", bad), "");
    ASSERT_EQ(WriteBytes(dir / "cut.flac", flac.substr(0, flac.size() / 2)), "");
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "good.wav", 1, 16000, 16, {1, 2, 3, 4}), "");
    std::string wav = lmc_fixture::ReadBytes(dir / "good.wav");
    ASSERT_EQ(WriteBytes(dir / "cut.wav", wav.substr(0, wav.size() - 3)), "");
    lmc_fixture::WavOptions fl;
    fl.format_tag = 3;
    ASSERT_EQ(lmc_fixture::WriteWav(dir / "float.wav", 1, 16000, 32, {0, 0}, fl), "");
    ASSERT_EQ(WriteBytes(dir / "nofmt.wav", std::string("RIFF\x04\x00\x00\x00WAVE", 12)), "");
    ASSERT_EQ(WriteBytes(dir / "text.wav", "hello, this is text"), "");
    ASSERT_EQ(WriteBytes(dir / "empty.flac", ""), "");
    struct {
        const char *name;
        lmc_status want;
    } cases[] = {{"flipped.flac", LMC_ERR_CORRUPT}, {"cut.flac", LMC_ERR_CORRUPT},
                 {"cut.wav", LMC_ERR_TRUNCATED},    {"float.wav", LMC_ERR_UNSUPPORTED},
                 {"nofmt.wav", LMC_ERR_CORRUPT},    {"text.wav", LMC_ERR_FORMAT},
                 {"empty.flac", LMC_ERR_TRUNCATED}};
    for (auto &c : cases) {
        Dataset ds("audio:" + (dir / c.name));
        EXPECT_EQ(ds.status, c.want) << c.name << ": " << ds.error;
        EXPECT_NE(ds.error.find(c.name), std::string::npos) << ds.error;
    }
    Dataset ok("audio:" + (dir / "good.flac"));
    EXPECT_EQ(ok.status, LMC_OK) << ok.error;
    EXPECT_EQ(ok.chunks(), 9u);  // 20000 samples
}

}  // namespace
