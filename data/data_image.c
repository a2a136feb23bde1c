/* data_image.c : PNG -> 8-bit gray -> 32x64 patches (DESIGN.md §6), through libpng.
 *
 * Every PNG colour type and bit depth is accepted: palettes are expanded to RGB, gray below 8
 * bits is scaled to 8 bits (libpng's expand), 16-bit samples keep their high byte (strip_16),
 * alpha is ignored, and gray = floor((R + G + B) / 3). No gamma or colour-space handling: the
 * stored sample values are what the paper's pipeline reads.
 *
 * Invariant: libpng reports errors by longjmp; every resource that must survive one lives in a
 * `png_reader` owned by the caller's frame, never in a local of the setjmp frame. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "lmc/data.h"

typedef struct png_reader {
    FILE *file;
    png_structp png;
    png_infop info;
    uint8_t *row; /* one transformed row */
    uint8_t *gray;
    uint32_t width, height;
    char message[256];
} png_reader;

static void reader_error(png_structp png, png_const_charp msg) {
    png_reader *r = (png_reader *)png_get_error_ptr(png);
    snprintf(r->message, sizeof r->message, "%s", msg);
    png_longjmp(png, 1);
}

static void reader_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* warnings (bad CRC in ancillary chunks, iCCP quirks) do not change the pixels */
}

/* Runs under setjmp: everything it touches is reached through `r`. Returns 0 on success. */
static int decode_png(png_reader *r) {
    if (setjmp(png_jmpbuf(r->png))) return -1;
    png_init_io(r->png, r->file);
    /* The corpora have 3136-pixel rows; libpng's default 1M limit is for untrusted web input. */
    png_set_user_limits(r->png, 0x7fffffffu, 0x7fffffffu);
    png_read_info(r->png, r->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0;
    png_get_IHDR(r->png, r->info, &w, &h, &depth, &color, NULL, NULL, NULL);
    png_set_strip_16(r->png);
    png_set_strip_alpha(r->png);
    png_set_expand(r->png); /* palette -> RGB, gray 1/2/4 -> 8; tRNS is stripped with alpha */
    png_set_packing(r->png);
    int passes = png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
    size_t channels = png_get_channels(r->png, r->info);
    size_t rowbytes = png_get_rowbytes(r->png, r->info);
    if (channels != 1 && channels != 3) {
        snprintf(r->message, sizeof r->message, "unexpected %zu channels after conversion", channels);
        return -1;
    }
    if ((uint64_t)w * h > ((uint64_t)1 << 34)) {
        snprintf(r->message, sizeof r->message, "image too large (%ux%u)", (unsigned)w, (unsigned)h);
        return -1;
    }
    r->width = w;
    r->height = h;
    /* Interlaced images need the whole transformed image before gray conversion; one buffer of
     * rowbytes * h covers both cases. */
    r->row = malloc(rowbytes * (size_t)h + 1);
    r->gray = malloc((size_t)w * h + 1);
    if (!r->row || !r->gray) {
        snprintf(r->message, sizeof r->message, "out of memory for a %ux%u image", (unsigned)w,
                 (unsigned)h);
        return -2;
    }
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < h; y++) png_read_row(r->png, r->row + rowbytes * y, NULL);
    png_read_end(r->png, NULL);
    for (png_uint_32 y = 0; y < h; y++) {
        const uint8_t *src = r->row + rowbytes * y;
        uint8_t *dst = r->gray + (size_t)w * y;
        if (channels == 1)
            memcpy(dst, src, w);
        else
            for (png_uint_32 x = 0; x < w; x++)
                dst[x] = lmc_gray_from_rgb(src[3 * x], src[3 * x + 1], src[3 * x + 2]);
    }
    return 0;
}

lmc_status lmc_image_load_gray(const char *path, uint8_t **gray, uint32_t *width, uint32_t *height) {
    LMC_RETURN_IF(!path || !gray || !width || !height, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_image_load_gray: NULL argument");
    *gray = NULL;
    *width = *height = 0;
    png_reader r;
    memset(&r, 0, sizeof r);
    lmc_status status = LMC_OK;
    uint8_t sig[8];
    r.file = fopen(path, "rb");
    if (!r.file) return lmc_set_error(LMC_ERR_NOT_FOUND, "%s: cannot open", path);
    size_t got = fread(sig, 1, sizeof sig, r.file);
    if (got < sizeof sig || png_sig_cmp(sig, 0, sizeof sig) != 0) {
        status = lmc_set_error(got < sizeof sig ? LMC_ERR_TRUNCATED : LMC_ERR_FORMAT,
                               "%s: not a PNG file (bad signature)", path);
        goto fail;
    }
    rewind(r.file);
    r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, reader_error, reader_warning);
    if (r.png) r.info = png_create_info_struct(r.png);
    if (!r.png || !r.info) {
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: libpng could not start", path);
        goto fail;
    }
    int rc = decode_png(&r);
    if (rc != 0) {
        status = lmc_set_error(rc == -2 ? LMC_ERR_OUT_OF_MEMORY : LMC_ERR_CORRUPT,
                               "%s: corrupt PNG: %s", path, r.message[0] ? r.message : "libpng error");
        goto fail;
    }
    *gray = r.gray;
    r.gray = NULL;
    *width = r.width;
    *height = r.height;
fail:
    if (r.png) png_destroy_read_struct(&r.png, r.info ? &r.info : NULL, NULL);
    free(r.row);
    free(r.gray);
    fclose(r.file);
    return status;
}

lmc_status lmc_image_patches(const uint8_t *gray, uint32_t width, uint32_t height, uint8_t *dst,
                             size_t dst_cap, size_t *n_patches) {
    LMC_RETURN_IF(!n_patches || (!gray && width && height), LMC_ERR_INVALID_ARGUMENT,
                  "lmc_image_patches: NULL argument");
    size_t rows = height / LMC_PATCH_ROWS, cols = width / LMC_PATCH_COLS;
    *n_patches = rows * cols;
    LMC_RETURN_IF(*n_patches * LMC_CHUNK_BYTES > dst_cap || (*n_patches && !dst),
                  LMC_ERR_BUFFER_TOO_SMALL, "lmc_image_patches: %zu patches need %zu bytes, have %zu",
                  *n_patches, *n_patches * LMC_CHUNK_BYTES, dst_cap);
    /* patch (pr, pc) covers rows [32 pr, 32 pr + 32) and columns [64 pc, 64 pc + 64) */
    for (size_t pr = 0; pr < rows; pr++)
        for (size_t pc = 0; pc < cols; pc++) {
            uint8_t *out = dst + (pr * cols + pc) * LMC_CHUNK_BYTES;
            for (size_t y = 0; y < LMC_PATCH_ROWS; y++)
                memcpy(out + y * LMC_PATCH_COLS,
                       gray + (pr * LMC_PATCH_ROWS + y) * (size_t)width + pc * LMC_PATCH_COLS,
                       LMC_PATCH_COLS);
        }
    return LMC_OK;
}
