/* data.h : the evaluation datasets of DESIGN.md §6 and the paper's byte transforms.
 *
 * A dataset is named by a spec, `text:PATH`, `image:PATH`, `audio:PATH` or `random:N`, and turns
 * into a sequence of whole 2048-byte chunks in a fixed order: PATH is a file or a folder walked
 * recursively in byte-wise sorted name order (dot files skipped; image folders take *.png, audio
 * folders *.flac and *.wav, text folders every file). Each file is cut on its own and its last
 * partial chunk is dropped, so a chunk never spans two files (one utterance, one photo, one
 * document) and every chunk is whole.
 *
 * - text: the file's bytes as they are.
 * - image (PNG, through libpng): every colour type and depth; 16-bit samples keep their high byte,
 *   palettes are expanded, gray below 8 bits is scaled to 8 bits, alpha is ignored; gray =
 *   floor((R + G + B) / 3). Non-overlapping 32x64 patches (32 rows of 64 columns) in row-major
 *   patch order, each patch row-major; the right and bottom remainders are dropped.
 * - audio (FLAC through libFLAC, WAV 8/16/24/32-bit integer PCM parsed here): samples reduced to
 *   16 bits first (wider: arithmetic shift right, floor; 8-bit WAV: (u - 128) << 8), mono = floor
 *   of the mean of the channels, resampled to 16 kHz by linear interpolation between neighbouring
 *   samples in exact integer arithmetic (no anti-alias filter; 16 kHz input passes unchanged),
 *   then each sample s -> (s >> 8) + 128 as an unsigned byte.
 * - random: N bytes (N/2048 whole chunks) from splitmix64 seeded with the params' seed.
 *
 * The library never prints: failures return an lmc_status with the file named in
 * lmc_last_error(). */
#ifndef LMC_DATA_H
#define LMC_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_CHUNK_BYTES 2048u
#define LMC_PATCH_ROWS 32u
#define LMC_PATCH_COLS 64u
#define LMC_AUDIO_RATE 16000u

typedef enum lmc_data_kind {
    LMC_DATA_TEXT = 0,
    LMC_DATA_IMAGE = 1,
    LMC_DATA_AUDIO = 2,
    LMC_DATA_RANDOM = 3
} lmc_data_kind;

/* lmc_data_kind_str() : "text", "image", "audio", "random". */
const char *lmc_data_kind_str(lmc_data_kind kind);

typedef struct lmc_dataset_params {
    size_t max_chunks; /* 0: every whole chunk; else stop reading after this many */
    int mask7;         /* apply lmc_mask7_apply() to every chunk */
    uint64_t seed;     /* random: the splitmix64 seed (default 0) */
} lmc_dataset_params;

/* lmc_dataset_params_default() : every chunk, no masking, seed 0. */
lmc_dataset_params lmc_dataset_params_default(void);

typedef struct lmc_dataset lmc_dataset;

/* lmc_dataset_open() : read the dataset `spec` (see above) into memory as whole chunks.
 * `params` may be NULL for the defaults. *out is owned by the caller (lmc_dataset_destroy).
 * @return LMC_ERR_INVALID_ARGUMENT for a bad spec, LMC_ERR_NOT_FOUND / LMC_ERR_IO for a path,
 * LMC_ERR_FORMAT / LMC_ERR_CORRUPT / LMC_ERR_TRUNCATED / LMC_ERR_UNSUPPORTED for a bad file. */
lmc_status lmc_dataset_open(const char *spec, const lmc_dataset_params *params, lmc_dataset **out);

/* lmc_dataset_destroy() : free a dataset; accepts NULL. */
void lmc_dataset_destroy(lmc_dataset *ds);

lmc_data_kind lmc_dataset_kind(const lmc_dataset *ds);
/* Number of whole chunks; the bytes are chunk 0, chunk 1, ... contiguous (count * 2048 bytes),
 * owned by the dataset. */
size_t lmc_dataset_chunk_count(const lmc_dataset *ds);
const uint8_t *lmc_dataset_bytes(const lmc_dataset *ds);
/* Number of files read (0 for random). */
size_t lmc_dataset_file_count(const lmc_dataset *ds);

/* ---- the byte mappings, exposed so that tests check them against hand-computed values ---- */

/* lmc_gray_from_rgb() : floor((r + g + b) / 3). */
static inline uint8_t lmc_gray_from_rgb(uint8_t r, uint8_t g, uint8_t b) {
    return (uint8_t)(((unsigned)r + g + b) / 3u);
}

/* lmc_audio_to16() : reduce a `bits`-bit signed sample (1..32) to 16 bits (floor shift). */
int32_t lmc_audio_to16(int32_t sample, unsigned bits);

/* lmc_audio_byte() : a 16-bit sample as the paper's byte, (s >> 8) + 128. */
static inline uint8_t lmc_audio_byte(int32_t s16) { return (uint8_t)((s16 >> 8) + 128); }

/* lmc_image_load_gray() : decode the PNG at `path` to 8-bit gray (rules above).
 * *gray (w*h bytes, row-major) is malloc'd and owned by the caller (free()). */
lmc_status lmc_image_load_gray(const char *path, uint8_t **gray, uint32_t *width, uint32_t *height);

/* lmc_image_patches() : cut a gray image into 32x64 patches. Writes floor(h/32)*floor(w/64)
 * patches of 2048 bytes to `dst` (capacity checked) and returns their number in *n_patches. */
lmc_status lmc_image_patches(const uint8_t *gray, uint32_t width, uint32_t height, uint8_t *dst,
                             size_t dst_cap, size_t *n_patches);

/* lmc_audio_load_mono16() : decode a FLAC or WAV file (by its magic) to mono 16-bit samples at
 * its own rate. *samples is malloc'd and owned by the caller (free()). */
lmc_status lmc_audio_load_mono16(const char *path, int16_t **samples, size_t *n_samples,
                                 uint32_t *sample_rate);

/* lmc_audio_resample() : linear interpolation from `in_rate` to `out_rate`: output sample k sits
 * at input position k * in_rate / out_rate (exact rational), for every k whose position is at
 * or before the last input sample. *out is malloc'd, owned by the caller (free()). */
lmc_status lmc_audio_resample(const int16_t *in, size_t n_in, uint32_t in_rate, uint32_t out_rate,
                              int16_t **out, size_t *n_out);

/* lmc_audio_load_bytes() : a FLAC or WAV file as the paper's audio bytes (mono, 16 kHz, high
 * byte + 128), one byte per sample. *bytes is malloc'd, owned by the caller (free()). */
lmc_status lmc_audio_load_bytes(const char *path, uint8_t **bytes, size_t *n_bytes);

/* lmc_random_fill() : n bytes of splitmix64(seed), little-endian words in order. */
void lmc_random_fill(uint8_t *dst, size_t n, uint64_t seed);

/* ---- the paper's 7-bit masking (--mask7) ---- */

/* lmc_mask7_apply() : text: bytes >= 128 get the top bit zeroed; image and audio (and random,
 * treated like them): every byte shifted right by one. In place. */
void lmc_mask7_apply(lmc_data_kind kind, uint8_t *bytes, size_t n);

/* lmc_mask_scale() : the factor bits / (bits - masked_bits) that rescales a compressed length
 * of masked data to the unmasked alphabet (8 / 7 for the paper's mask). */
double lmc_mask_scale(unsigned bits, unsigned masked_bits);

#ifdef __cplusplus
}
#endif
#endif /* LMC_DATA_H */
