// data_fixtures.cpp : see data_fixtures.h. libpng reports errors by longjmp, so the PNG writer
// keeps every C++ object outside the setjmp frame (WritePngRows touches only plain pointers).
#include "data_fixtures.h"

#include <FLAC/stream_encoder.h>
#include <png.h>
#include <setjmp.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace lmc_fixture {

int PngChannels(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
    }
}

namespace {

struct PngJob {
    FILE *file;
    png_structp png;
    png_infop info;
    uint32_t width, height;
    int color_type, depth, interlace;
    const png_color *palette;
    int n_palette;
    unsigned char *const *rows;
};

int WritePngRows(PngJob *j) {
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_init_io(j->png, j->file);
    png_set_IHDR(j->png, j->info, j->width, j->height, j->depth, j->color_type,
                 j->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (j->color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(j->png, j->info, j->palette, j->n_palette);
    png_write_info(j->png, j->info);
    png_write_image(j->png, const_cast<png_bytepp>(j->rows));
    png_write_end(j->png, nullptr);
    return 0;
}

}  // namespace

std::string WritePng(const std::string &path, uint32_t width, uint32_t height, int color_type, int depth,
                     const std::vector<uint16_t> &samples, const std::vector<std::array<uint8_t, 3>> &palette,
                     bool interlace) {
    const int ch = PngChannels(color_type);
    if (samples.size() != (size_t)width * height * ch) return "sample count mismatch";
    const size_t rowbytes = ((size_t)width * ch * depth + 7) / 8;
    std::vector<std::vector<unsigned char>> rows(height, std::vector<unsigned char>(rowbytes, 0));
    for (uint32_t y = 0; y < height; y++)
        for (size_t i = 0; i < (size_t)width * ch; i++) {
            uint16_t v = samples[(size_t)y * width * ch + i];
            auto &row = rows[y];
            if (depth == 16) {
                row[2 * i] = (unsigned char)(v >> 8);
                row[2 * i + 1] = (unsigned char)v;
            } else if (depth == 8) {
                row[i] = (unsigned char)v;
            } else {  // packed, most significant bits first
                size_t bit = i * depth;
                row[bit / 8] |= (unsigned char)(v << (8 - depth - bit % 8));
            }
        }
    std::vector<unsigned char *> row_ptrs(height);
    for (uint32_t y = 0; y < height; y++) row_ptrs[y] = rows[y].data();
    std::vector<png_color> pal;
    for (auto &c : palette) pal.push_back(png_color{c[0], c[1], c[2]});
    PngJob j{};
    j.file = fopen(path.c_str(), "wb");
    if (!j.file) return "cannot create " + path;
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    j.info = j.png ? png_create_info_struct(j.png) : nullptr;
    j.width = width;
    j.height = height;
    j.color_type = color_type;
    j.depth = depth;
    j.interlace = interlace;
    j.palette = pal.data();
    j.n_palette = (int)pal.size();
    j.rows = row_ptrs.data();
    int rc = j.png && j.info ? WritePngRows(&j) : -1;
    png_destroy_write_struct(&j.png, &j.info);
    fclose(j.file);
    return rc == 0 ? "" : "libpng failed writing " + path;
}

static void Put16(std::string &s, uint32_t v) {
    s += (char)(v & 0xFF);
    s += (char)((v >> 8) & 0xFF);
}
static void Put32(std::string &s, uint32_t v) {
    Put16(s, v & 0xFFFF);
    Put16(s, v >> 16);
}

std::string WriteWav(const std::string &path, unsigned channels, unsigned rate, unsigned bits,
                     const std::vector<int32_t> &samples, const WavOptions &opt) {
    std::string data;
    for (int32_t v : samples)
        for (unsigned b = 0; b < bits / 8; b++) data += (char)(((uint32_t)v >> (8 * b)) & 0xFF);
    std::string fmt;
    Put16(fmt, opt.extensible ? 0xFFFEu : (uint32_t)opt.format_tag);
    Put16(fmt, channels);
    Put32(fmt, rate);
    Put32(fmt, rate * channels * (bits / 8));
    Put16(fmt, channels * (bits / 8));
    Put16(fmt, bits);
    if (opt.extensible) {
        Put16(fmt, 22);
        Put16(fmt, bits);
        Put32(fmt, 0);
        Put16(fmt, (uint32_t)opt.format_tag);  // sub-format GUID: tag then the fixed tail
        fmt += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
    }
    std::string body = "WAVE";
    body += "fmt ";
    Put32(body, (uint32_t)fmt.size());
    body += fmt;
    if (opt.extra_odd_chunk) {
        body += "LIST";
        Put32(body, 3);
        body += std::string("abc\0", 4);
    }
    body += "data";
    Put32(body, (uint32_t)data.size());
    body += data;
    std::string file = "RIFF";
    Put32(file, (uint32_t)body.size());
    file += body;
    return WriteBytes(path, file);
}

std::string WriteFlac(const std::string &path, unsigned channels, unsigned rate, unsigned bits,
                      const std::vector<int32_t> &samples) {
    FLAC__StreamEncoder *enc = FLAC__stream_encoder_new();
    if (!enc) return "libFLAC could not start";
    FLAC__stream_encoder_set_channels(enc, channels);
    FLAC__stream_encoder_set_bits_per_sample(enc, bits);
    FLAC__stream_encoder_set_sample_rate(enc, rate);
    FLAC__stream_encoder_set_compression_level(enc, 5);
    std::string err;
    if (FLAC__stream_encoder_init_file(enc, path.c_str(), nullptr, nullptr) != FLAC__STREAM_ENCODER_INIT_STATUS_OK)
        err = "libFLAC init failed for " + path;
    else if (!FLAC__stream_encoder_process_interleaved(enc, samples.data(), (uint32_t)(samples.size() / channels)))
        err = "libFLAC encode failed";
    if (!FLAC__stream_encoder_finish(enc) && err.empty()) err = "libFLAC finish failed";
    FLAC__stream_encoder_delete(enc);
    return err;
}

std::string WriteBytes(const std::string &path, const std::string &bytes) {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
    return f ? "" : "cannot write " + path;
}

std::string ReadBytes(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace lmc_fixture
