/* baseline_png.c : PNG as the paper runs it: the bytes as an 8-bit gray image whose width is the
 * smaller of the two closest factors of the length (a 2048-byte chunk is 32 wide, 64 high),
 * written by libpng at zlib level 9 with its default adaptive filtering, no ancillary chunks.
 *
 * Invariant: libpng reports errors by longjmp; everything that must survive one lives in a
 * `png_job` owned by the calling frame. Zero bytes cannot be an image: that is an error. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "baseline_internal.h"

size_t lmc_png_width(size_t n) {
    size_t best = 1;
    for (size_t w = 1; w <= n / w; w++)
        if (n % w == 0) best = w;
    return best;
}

typedef struct png_job {
    png_structp png;
    png_infop info;
    const uint8_t *src; /* compress: the bytes; decompress: the stream */
    size_t n, pos;
    lmc_buffer *out;     /* compress */
    uint8_t *dst;        /* decompress */
    size_t raw_len;
    char message[200];
} png_job;

static void job_error(png_structp png, png_const_charp msg) {
    png_job *j = (png_job *)png_get_error_ptr(png);
    snprintf(j->message, sizeof j->message, "%s", msg);
    png_longjmp(png, 1);
}

static void job_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void job_write(png_structp png, png_bytep data, png_size_t len) {
    png_job *j = (png_job *)png_get_io_ptr(png);
    if (j->out->len + len > j->out->cap) {
        size_t cap = j->out->cap ? j->out->cap : 4096;
        while (cap < j->out->len + len) cap *= 2;
        if (lmc_buffer_reserve(j->out, cap) != LMC_OK) png_error(png, "out of memory");
    }
    memcpy(j->out->data + j->out->len, data, len);
    j->out->len += len;
}

static void job_flush(png_structp png) { (void)png; }

static void job_read(png_structp png, png_bytep data, png_size_t len) {
    png_job *j = (png_job *)png_get_io_ptr(png);
    if (len > j->n - j->pos) png_error(png, "stream ends early");
    memcpy(data, j->src + j->pos, len);
    j->pos += len;
}

static int run_write(png_job *j, size_t width, size_t height) {
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_set_user_limits(j->png, 0x7fffffffu, 0x7fffffffu);
    png_set_write_fn(j->png, j, job_write, job_flush);
    png_set_compression_level(j->png, 9);
    png_set_IHDR(j->png, j->info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(j->png, j->info);
    for (size_t y = 0; y < height; y++) png_write_row(j->png, j->src + y * width);
    png_write_end(j->png, NULL);
    return 0;
}

static lmc_status png_compress(const uint8_t *src, size_t n, lmc_buffer *dst) {
    LMC_RETURN_IF(n == 0, LMC_ERR_INVALID_ARGUMENT, "png: an image needs at least one byte");
    size_t width = lmc_png_width(n), height = n / width;
    LMC_RETURN_IF(height > 0x7fffffffu, LMC_ERR_UNSUPPORTED,
                  "png: %zu bytes make a %zu x %zu image, taller than PNG allows", n, width, height);
    png_job j;
    memset(&j, 0, sizeof j);
    j.src = src;
    j.n = n;
    j.out = dst;
    dst->len = 0;
    j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, job_error, job_warning);
    if (j.png) j.info = png_create_info_struct(j.png);
    lmc_status status = LMC_OK;
    if (!j.png || !j.info)
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "png: libpng could not start");
    else if (run_write(&j, width, height) != 0)
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "png: libpng: %s", j.message);
    if (j.png) png_destroy_write_struct(&j.png, j.info ? &j.info : NULL);
    return status;
}

static int run_read(png_job *j) {
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_set_user_limits(j->png, 0x7fffffffu, 0x7fffffffu);
    png_set_read_fn(j->png, j, job_read);
    png_read_info(j->png, j->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0, interlace = 0;
    png_get_IHDR(j->png, j->info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    if (depth != 8 || color != PNG_COLOR_TYPE_GRAY || interlace != PNG_INTERLACE_NONE ||
        (uint64_t)w * h != j->raw_len) {
        snprintf(j->message, sizeof j->message, "a %ux%u image of depth %d, colour type %d is not %zu gray bytes",
                 (unsigned)w, (unsigned)h, depth, color, j->raw_len);
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) png_read_row(j->png, j->dst + (size_t)y * w, NULL);
    png_read_end(j->png, NULL);
    return 0;
}

static lmc_status png_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    png_job j;
    memset(&j, 0, sizeof j);
    j.src = src;
    j.n = n;
    j.dst = dst;
    j.raw_len = raw_len;
    LMC_RETURN_IF(n < 8 || png_sig_cmp(src, 0, 8) != 0, LMC_ERR_CORRUPT, "png: not a PNG stream");
    j.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, job_error, job_warning);
    if (j.png) j.info = png_create_info_struct(j.png);
    lmc_status status = LMC_OK;
    if (!j.png || !j.info)
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "png: libpng could not start");
    else if (run_read(&j) != 0)
        status = lmc_set_error(LMC_ERR_CORRUPT, "png: %s", j.message);
    if (j.png) png_destroy_read_struct(&j.png, j.info ? &j.info : NULL, NULL);
    return status;
}

const lmc_baseline lmc_baseline_png = {"png", "8-bit gray image (width = smaller closest factor), zlib level 9",
                                       png_compress, png_decompress};
