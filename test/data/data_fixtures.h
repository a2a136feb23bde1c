// data_fixtures.h : writers for the small PNG, WAV and FLAC files the data and eval tests
// generate (nothing of the real corpora is committed). Each returns "" on success or a message.
#ifndef LMC_DATA_FIXTURES_H
#define LMC_DATA_FIXTURES_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lmc_fixture {

// A PNG of `color_type` (PNG_COLOR_TYPE_*) and `depth`; `samples` holds w*h*channels raw values
// (palette indices for palette images), row-major, channel-interleaved.
std::string WritePng(const std::string &path, uint32_t width, uint32_t height, int color_type, int depth,
                     const std::vector<uint16_t> &samples,
                     const std::vector<std::array<uint8_t, 3>> &palette = {}, bool interlace = false);

// Channels of a PNG colour type (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA, 1 palette).
int PngChannels(int color_type);

struct WavOptions {
    bool extensible = false;     // WAVE_FORMAT_EXTENSIBLE header
    bool extra_odd_chunk = false; // a 3-byte LIST chunk (padded) before the data chunk
    int format_tag = 1;          // 1 = PCM, 3 = float
};

// A WAV of `bits` (8 unsigned, 16/24/32 signed) with interleaved `samples` (signed values for
// 16/24/32 bits, 0..255 for 8 bits).
std::string WriteWav(const std::string &path, unsigned channels, unsigned rate, unsigned bits,
                     const std::vector<int32_t> &samples, const WavOptions &opt = {});

// A FLAC file written by libFLAC (level 5) from interleaved signed samples.
std::string WriteFlac(const std::string &path, unsigned channels, unsigned rate, unsigned bits,
                      const std::vector<int32_t> &samples);

std::string WriteBytes(const std::string &path, const std::string &bytes);
std::string ReadBytes(const std::string &path);

}  // namespace lmc_fixture

#endif  // LMC_DATA_FIXTURES_H
