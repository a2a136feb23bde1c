// test_baselines.cpp : the classical compressors behind lmc_baseline: each round-trips every kind
// of input, writes the stream format and settings DESIGN.md §6 names, rejects corrupt streams;
// lmc_baseline_measure computes the paper's chunked/unchunked formulas (checked with a fake
// compressor of known lengths) and catches a round trip that differs.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "lmc/baseline.h"
#include "lmc/data.h"
#include "test_env.h"

namespace {

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
    std::vector<uint8_t> v(n);
    lmc_random_fill(v.data(), n, seed);
    return v;
}

std::vector<uint8_t> TextBytes(size_t n) {
    static const char *words[] = {"the ", "compression ", "of ", "language ", "models ", "is ", "lossless, ",
                                  "and ", "arithmetic ", "coding\n"};
    std::vector<uint8_t> v;
    for (uint32_t i = 0; v.size() < n; i++) {
        const char *w = words[(i * 2654435761u >> 7) % 10];
        v.insert(v.end(), w, w + strlen(w));
    }
    v.resize(n);
    return v;
}

std::vector<uint8_t> Compress(const lmc_baseline *b, const std::vector<uint8_t> &src) {
    lmc_buffer buf = {nullptr, 0, 0};
    lmc_status st = b->compress(src.data(), src.size(), &buf);
    EXPECT_EQ(st, LMC_OK) << b->name << ": " << lmc_last_error();
    std::vector<uint8_t> out(buf.data, buf.data + (st == LMC_OK ? buf.len : 0));
    lmc_buffer_free(&buf);
    return out;
}

TEST(Baselines, RegistryHoldsTheFiveInTableOrder) {
    ASSERT_EQ(lmc_baseline_count(), 5u);
    const char *names[] = {"gzip", "lzma2", "png", "flac", "zstd"};
    for (size_t i = 0; i < 5; i++) {
        EXPECT_STREQ(lmc_baseline_get(i)->name, names[i]);
        EXPECT_EQ(lmc_baseline_find(names[i]), lmc_baseline_get(i));
    }
    EXPECT_EQ(lmc_baseline_get(5), nullptr);
    EXPECT_EQ(lmc_baseline_find("bzip2"), nullptr);
    EXPECT_EQ(lmc_baseline_find("lm:default"), nullptr);
}

TEST(Baselines, EveryBaselineRoundTripsEveryKindOfInput) {
    std::vector<std::vector<uint8_t>> inputs = {
        {0},                                      // the header probe of the chunked formula
        std::vector<uint8_t>(2048, 0),            // a silent chunk
        std::vector<uint8_t>(2048, 255),
        RandomBytes(2048, 1),                     // incompressible
        TextBytes(2048),
        TextBytes(2053),                          // prime length: a 1-pixel-wide PNG
        RandomBytes(3 * 4096 + 7, 2),             // several FLAC blocks, odd tail
        TextBytes(200000),
    };
    for (size_t k = 0; k < lmc_baseline_count(); k++) {
        const lmc_baseline *b = lmc_baseline_get(k);
        for (size_t i = 0; i < inputs.size(); i++) {
            const auto &in = inputs[i];
            auto z = Compress(b, in);
            ASSERT_FALSE(z.empty()) << b->name << " input " << i;
            std::vector<uint8_t> back(in.size() + 1, 0xEE);
            ASSERT_EQ(b->decompress(z.data(), z.size(), back.data(), in.size()), LMC_OK)
                << b->name << " input " << i << ": " << lmc_last_error();
            EXPECT_EQ(memcmp(back.data(), in.data(), in.size()), 0) << b->name << " input " << i;
            EXPECT_EQ(back[in.size()], 0xEE) << b->name << " wrote past raw_len";
        }
        // Empty input: a valid empty stream everywhere but PNG, which cannot have 0 pixels.
        lmc_buffer buf = {nullptr, 0, 0};
        lmc_status st = b->compress(nullptr, 0, &buf);
        if (strcmp(b->name, "png") == 0) {
            EXPECT_EQ(st, LMC_ERR_INVALID_ARGUMENT);
        } else {
            ASSERT_EQ(st, LMC_OK) << b->name << ": " << lmc_last_error();
            uint8_t spare = 0;
            EXPECT_EQ(b->decompress(buf.data, buf.len, &spare, 0), LMC_OK) << b->name << ": " << lmc_last_error();
        }
        lmc_buffer_free(&buf);
    }
}

TEST(Baselines, StreamsCarryTheSettingsOfDesign6) {
    auto text = TextBytes(2048);
    // gzip: magic 1f 8b, deflate, XFL = 2 (the slowest, maximum-compression level)
    auto gz = Compress(lmc_baseline_find("gzip"), text);
    ASSERT_GE(gz.size(), 18u);
    EXPECT_EQ(gz[0], 0x1F);
    EXPECT_EQ(gz[1], 0x8B);
    EXPECT_EQ(gz[2], 8);
    EXPECT_EQ(gz[8], 2);
    // xz: stream magic, CRC64 check (stream flags 00 04)
    auto xz = Compress(lmc_baseline_find("lzma2"), text);
    const uint8_t xz_magic[] = {0xFD, '7', 'z', 'X', 'Z', 0x00, 0x00, 0x04};
    ASSERT_GE(xz.size(), 8u);
    EXPECT_EQ(memcmp(xz.data(), xz_magic, 8), 0);
    // PNG: IHDR of a 2048-byte chunk is 32 wide, 64 high, 8-bit gray (colour type 0)
    auto png = Compress(lmc_baseline_find("png"), text);
    ASSERT_GE(png.size(), 33u);
    auto be32 = [&](size_t at) {
        return (uint32_t)png[at] << 24 | (uint32_t)png[at + 1] << 16 | (uint32_t)png[at + 2] << 8 | png[at + 3];
    };
    EXPECT_EQ(memcmp(png.data() + 12, "IHDR", 4), 0);
    EXPECT_EQ(be32(16), 32u);
    EXPECT_EQ(be32(20), 64u);
    EXPECT_EQ(png[24], 8);
    EXPECT_EQ(png[25], 0);
    // FLAC: STREAMINFO says 16000 Hz, 1 channel, 8 bits, 2048 samples
    auto fl = Compress(lmc_baseline_find("flac"), text);
    ASSERT_GE(fl.size(), 42u);
    EXPECT_EQ(memcmp(fl.data(), "fLaC", 4), 0);
    const uint8_t *si = fl.data() + 8;  // after the 4-byte block header
    uint32_t rate = (uint32_t)si[10] << 12 | (uint32_t)si[11] << 4 | si[12] >> 4;
    unsigned channels = ((si[12] >> 1) & 7) + 1, bps = (((si[12] & 1) << 4) | si[13] >> 4) + 1;
    uint64_t total = (uint64_t)(si[13] & 15) << 32 | (uint64_t)si[14] << 24 | (uint64_t)si[15] << 16 |
                     (uint64_t)si[16] << 8 | si[17];
    EXPECT_EQ(rate, 16000u);
    EXPECT_EQ(channels, 1u);
    EXPECT_EQ(bps, 8u);
    EXPECT_EQ(total, 2048u);
    // zstd: frame magic
    auto zs = Compress(lmc_baseline_find("zstd"), text);
    const uint8_t zs_magic[] = {0x28, 0xB5, 0x2F, 0xFD};
    EXPECT_EQ(memcmp(zs.data(), zs_magic, 4), 0);
}

TEST(Baselines, PngWidthIsTheSmallerOfTheTwoClosestFactors) {
    EXPECT_EQ(lmc_png_width(2048), 32u);
    EXPECT_EQ(lmc_png_width(4096), 64u);
    EXPECT_EQ(lmc_png_width(6144), 64u);  // 64 x 96
    EXPECT_EQ(lmc_png_width(12), 3u);
    EXPECT_EQ(lmc_png_width(2053), 1u);   // prime
    EXPECT_EQ(lmc_png_width(1), 1u);
    EXPECT_EQ(lmc_png_width(36), 6u);
}

TEST(Baselines, CorruptOrMislabelledStreamsAreErrorsNotCrashes) {
    auto text = TextBytes(4096);
    for (size_t k = 0; k < lmc_baseline_count(); k++) {
        const lmc_baseline *b = lmc_baseline_get(k);
        auto z = Compress(b, text);
        std::vector<uint8_t> back(text.size() + 16);
        // the wrong length is refused
        EXPECT_NE(b->decompress(z.data(), z.size(), back.data(), text.size() - 1), LMC_OK) << b->name;
        // a truncated stream is refused
        EXPECT_NE(b->decompress(z.data(), z.size() / 2, back.data(), text.size()), LMC_OK) << b->name;
        // flipped bytes: refused, or (only where the format has no check on that byte) decoded to
        // different bytes, which measure() then reports; never a crash
        auto bad = z;
        for (size_t i = z.size() / 3; i < z.size() / 3 + 8 && i < z.size(); i++) bad[i] ^= 0x5A;
        lmc_status st = b->decompress(bad.data(), bad.size(), back.data(), text.size());
        if (st == LMC_OK) {
            EXPECT_NE(memcmp(back.data(), text.data(), text.size()), 0) << b->name;
        }
        // garbage
        auto junk = RandomBytes(300, 9);
        EXPECT_NE(b->decompress(junk.data(), junk.size(), back.data(), text.size()), LMC_OK) << b->name;
    }
}

// A fake compressor with known lengths: output = 7-byte header + the input itself.
lmc_status FakeCompress(const uint8_t *src, size_t n, lmc_buffer *dst) {
    free(dst->data);
    dst->data = (uint8_t *)malloc(n + 7);
    dst->cap = n + 7;
    dst->len = n + 7;
    memset(dst->data, 'H', 7);
    if (n) memcpy(dst->data + 7, src, n);
    return LMC_OK;
}
lmc_status FakeDecompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    if (n != raw_len + 7) return lmc_set_error(LMC_ERR_CORRUPT, "fake: length");
    memcpy(dst, src + 7, raw_len);
    return LMC_OK;
}
// ... and one whose decoder flips a bit of chunk 2's first byte
int g_calls = 0;
lmc_status LossyDecompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    LMC_TRY(FakeDecompress(src, n, dst, raw_len));
    if (g_calls++ == 2) dst[0] ^= 1;
    return LMC_OK;
}

TEST(BaselineMeasure, ChunkedRateCountsTheHeaderOnceAndScalesForMasking) {
    const lmc_baseline fake = {"fake", "7-byte header + stored", FakeCompress, FakeDecompress};
    auto data = RandomBytes(3 * 2048, 5);
    lmc_baseline_result r;
    ASSERT_EQ(lmc_baseline_measure(&fake, data.data(), 3, 2048, 1.0, nullptr, nullptr, &r), LMC_OK)
        << lmc_last_error();
    EXPECT_EQ(r.raw_bytes, 6144u);
    EXPECT_EQ(r.header_bytes, 8u);       // len(compress(one zero byte)) = 7 + 1
    EXPECT_EQ(r.chunked_sum, 3u * 2055u);
    EXPECT_EQ(r.unchunked_bytes, 6151u);
    EXPECT_DOUBLE_EQ(r.chunked_rate, (3.0 * 2055 - 2.0 * 8) / 6144);  // 6149 / 6144
    EXPECT_DOUBLE_EQ(r.unchunked_rate, 6151.0 / 6144);
    lmc_baseline_result m;
    ASSERT_EQ(lmc_baseline_measure(&fake, data.data(), 3, 2048, lmc_mask_scale(8, 1), nullptr, nullptr, &m),
              LMC_OK);
    EXPECT_DOUBLE_EQ(m.chunked_rate, 8.0 / 7.0 * 6149.0 / 6144);
    EXPECT_DOUBLE_EQ(m.unchunked_rate, 8.0 / 7.0 * 6151.0 / 6144);
    // one chunk: nothing subtracted
    ASSERT_EQ(lmc_baseline_measure(&fake, data.data(), 1, 2048, 1.0, nullptr, nullptr, &r), LMC_OK);
    EXPECT_DOUBLE_EQ(r.chunked_rate, 2055.0 / 2048);
    EXPECT_EQ(lmc_baseline_measure(&fake, data.data(), 0, 2048, 1.0, nullptr, nullptr, &r),
              LMC_ERR_INVALID_ARGUMENT);
}

TEST(BaselineMeasure, ARoundTripThatDiffersIsReported) {
    const lmc_baseline lossy = {"lossy", "flips a bit", FakeCompress, LossyDecompress};
    auto data = RandomBytes(4 * 2048, 6);
    lmc_baseline_result r;
    g_calls = 0;
    EXPECT_EQ(lmc_baseline_measure(&lossy, data.data(), 4, 2048, 1.0, nullptr, nullptr, &r),
              LMC_ERR_VERIFY_MISMATCH);
    EXPECT_NE(std::string(lmc_last_error()).find("chunk 2"), std::string::npos) << lmc_last_error();
}

TEST(BaselineMeasure, RealCompressorsMatchTheFormulaOnTheirOwnLengths) {
    auto data = TextBytes(5 * 2048);
    for (size_t k = 0; k < lmc_baseline_count(); k++) {
        const lmc_baseline *b = lmc_baseline_get(k);
        uint64_t sum = 0;
        for (size_t i = 0; i < 5; i++)
            sum += Compress(b, std::vector<uint8_t>(data.begin() + i * 2048, data.begin() + (i + 1) * 2048)).size();
        uint64_t header = Compress(b, {0}).size(), whole = Compress(b, data).size();
        lmc_baseline_result r;
        ASSERT_EQ(lmc_baseline_measure(b, data.data(), 5, 2048, 1.0, nullptr, nullptr, &r), LMC_OK)
            << b->name << ": " << lmc_last_error();
        EXPECT_DOUBLE_EQ(r.chunked_rate, ((double)sum - 4.0 * (double)header) / 10240.0) << b->name;
        EXPECT_DOUBLE_EQ(r.unchunked_rate, (double)whole / 10240.0) << b->name;
        EXPECT_LT(r.unchunked_rate, 1.0) << b->name << " on repetitive text";
    }
}

}  // namespace
