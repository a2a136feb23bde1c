/* codec.h : the deterministic coder: quantiser, range coder, predictor interface, coding driver
 * and the streamable `.lmc` container (codec/FORMAT.md).
 *
 * Layers, bottom up:
 *  - lmc_quantize_row(): one row of 256 Q16 logits -> 256 integer frequencies, each >= 1,
 *    total exactly LMC_FREQ_TOTAL, integer-only. Encoder and decoder call this same function.
 *  - lmc_arith_*: the range coder over such frequency tables (exposed for tests and benchmarks).
 *  - lmc_predictor: a small vtable that hands the codec its rows (runtime/ implements it with a
 *    Transformer; lmc_predictor_synthetic_create() gives test predictors).
 *  - lmc_encoder / lmc_decoder: the streaming container over caller callbacks (or FILE *), and
 *    the one-shot lmc_compress() / lmc_decompress() over caller buffers. The writer writes
 *    version 2, where a window whose coded payload would not be shorter than the window is
 *    stored as it is (and decoded without the model); readers read versions 1 and 2.
 * Key invariant: the bytes of a stream are a pure function of (predictor rows, input, params);
 * encode and decode share one quantiser and one interval split. */
#ifndef LMC_CODEC_H
#define LMC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_ROW_SIZE 256                        /* symbols per row: one per byte value */
#define LMC_FREQ_BITS 16
#define LMC_FREQ_TOTAL (1u << LMC_FREQ_BITS)    /* every frequency table sums to this */
#define LMC_MODEL_ID_SIZE 32                    /* SHA-256 of the coding model (DESIGN.md §2) */
#define LMC_WINDOW_DEFAULT 2048u
#define LMC_WINDOW_MAX (1u << 16)          /* encoder rows: 64 MiB per window */

/* ---- quantiser (codec/cdf.c) ------------------------------------------------------------ */

/* lmc_quantize_row() : frequencies of one row of Q16 logits (value / 65536 = nats).
 * freq[c] >= 1 for every c and the sum is exactly LMC_FREQ_TOTAL, for every possible input
 * (INT32_MIN / INT32_MAX included). Integer-only; the method is in codec/cdf.c. */
void lmc_quantize_row(const int32_t logits[LMC_ROW_SIZE], uint32_t freq[LMC_ROW_SIZE]);

/* lmc_quantize_interval() : cum (sum of freq[0..sym-1]) and freq[sym] of the same table as
 * lmc_quantize_row() gives, without storing it (the encoder's fast path). */
void lmc_quantize_interval(const int32_t logits[LMC_ROW_SIZE], unsigned sym, uint32_t *cum,
                           uint32_t *freq);

/* lmc_quantize_find() : the symbol s of the same table whose interval [cum, cum+freq) holds
 * target (< LMC_FREQ_TOTAL): the decoder's fast path. @return s. */
unsigned lmc_quantize_find(const int32_t logits[LMC_ROW_SIZE], uint32_t target, uint32_t *cum,
                           uint32_t *freq);

/* ---- range coder (codec/arith.c) ---------------------------------------------------------- */

/* State is public so it can live on the stack; treat the fields as private. */
typedef struct lmc_arith_encoder {
    uint64_t low, range, pending_ff;
    uint8_t cache;
    int has_cache;
    uint8_t *dst;
    size_t cap, pos;
} lmc_arith_encoder;

typedef struct lmc_arith_decoder {
    uint64_t code, range, r;
    const uint8_t *src;
    size_t len, pos;
} lmc_arith_decoder;

/* lmc_arith_bound() : the most bytes lmc_arith_encoder_finish() can produce for n symbols. */
size_t lmc_arith_bound(size_t n_symbols);

/* lmc_arith_encoder_init() : start a stream into dst[0..cap) (caller-owned). */
void lmc_arith_encoder_init(lmc_arith_encoder *e, uint8_t *dst, size_t cap);

/* lmc_arith_encode() : code the interval [cum, cum+freq) of LMC_FREQ_TOTAL (freq >= 1). */
void lmc_arith_encode(lmc_arith_encoder *e, uint32_t cum, uint32_t freq);

/* lmc_arith_encoder_finish() : terminate; *out_len = bytes written (trailing zero bytes are
 * dropped: the decoder reads zeros past the end). @return LMC_ERR_BUFFER_TOO_SMALL when cap
 * was too small (then *out_len is the size that was needed). */
lmc_status lmc_arith_encoder_finish(lmc_arith_encoder *e, size_t *out_len);

/* lmc_arith_decoder_init() : start decoding src[0..len) (caller-owned, kept until done). */
void lmc_arith_decoder_init(lmc_arith_decoder *d, const uint8_t *src, size_t len);

/* lmc_arith_decode_target() : a value t in [0, LMC_FREQ_TOTAL); the next symbol is the one
 * whose interval [cum, cum+freq) holds t. Call lmc_arith_decode_update() with it next. */
uint32_t lmc_arith_decode_target(lmc_arith_decoder *d);

/* lmc_arith_decode_update() : consume the symbol [cum, cum+freq) found for the last target. */
void lmc_arith_decode_update(lmc_arith_decoder *d, uint32_t cum, uint32_t freq);

/* lmc_arith_decoder_overread() : bytes read past the end of src (zeros by definition). */
size_t lmc_arith_decoder_overread(const lmc_arith_decoder *d);

/* ---- CRC-32 (codec/crc32.c): IEEE 802.3, reflected, as zlib's crc32() ---------------------- */

/* lmc_crc32() : continue `crc` (0 to start) over data[0..n). */
uint32_t lmc_crc32(uint32_t crc, const void *data, size_t n);

/* ---- predictor interface ------------------------------------------------------------------- */

/* A predictor gives the row of Q16 logits for every position of a window. A window starts with
 * no history: the row of position i may depend only on bytes 0..i-1 of the same window, and
 * encode_rows() and decode_next() must give identical rows (DESIGN.md §3). Calls take a batch
 * of up to max_windows independent windows, so that a device can run many at once; the window
 * state lives in ctx. Every call returns LMC_OK or an error with lmc_set_error() detail. */
typedef struct lmc_predictor_vtable {
    /* encode_rows() : rows for n_windows whole windows. windows[w] holds lens[w] bytes
     * (1 <= lens[w] <= window_size). rows (n_windows, window_size, 256), caller-owned:
     * rows[(w * window_size + i) * 256 + c] = logit of byte c at position i of window w. */
    lmc_status (*encode_rows)(void *ctx, size_t n_windows, const uint8_t *const *windows,
                              const size_t *lens, size_t window_size, int32_t *rows);
    /* decode_begin() : start n_windows windows of lens[w] bytes each (copied if needed). */
    lmc_status (*decode_begin)(void *ctx, size_t n_windows, const size_t *lens);
    /* decode_next() : rows (n_windows, 256) for position t, where t counts the calls since
     * decode_begin(); prev[w] is byte t-1 of window w (ignored when t == 0). Windows with
     * lens[w] <= t are finished: their slots are not read. */
    lmc_status (*decode_next)(void *ctx, const uint8_t *prev, int32_t *rows);
} lmc_predictor_vtable;

typedef struct lmc_predictor {
    const lmc_predictor_vtable *vtable;
    void *ctx;                                /* owned by whoever made the predictor */
    uint8_t model_id[LMC_MODEL_ID_SIZE];      /* written to and checked against the header */
    size_t max_windows;                       /* the most windows per call, >= 1 */
} lmc_predictor;

/* Synthetic predictors (codec/synthetic.c), for tests and benchmarks. Each row depends on
 * (kind, seed, position, previous byte) only. */
typedef enum lmc_synthetic_kind {
    LMC_SYNTHETIC_UNIFORM = 0,   /* every logit 0: 256 equal frequencies */
    LMC_SYNTHETIC_SKEWED = 1,    /* one symbol INT32_MAX, the rest INT32_MIN: 65281 vs 1 */
    LMC_SYNTHETIC_RANDOM = 2,    /* a different random row (+-8 nats) at every position */
    LMC_SYNTHETIC_ADVERSARIAL = 3 /* random rows spread over +-40 nats: many symbols at freq 1 */
} lmc_synthetic_kind;

/* lmc_predictor_synthetic_create() : a new synthetic predictor taking batches of up to
 * max_windows windows (0 means 4). Its model id spells the kind and seed.
 * @return ownership of *out to the caller; free with lmc_predictor_synthetic_destroy(). */
lmc_status lmc_predictor_synthetic_create(lmc_synthetic_kind kind, uint64_t seed,
                                          size_t max_windows, lmc_predictor **out);
void lmc_predictor_synthetic_destroy(lmc_predictor *p); /* accepts NULL */

/* ---- coding driver and container (codec/codec.c, codec/container.c) ------------------------ */

typedef struct lmc_codec_params {
    uint32_t window_size;  /* bytes per window, 1..LMC_WINDOW_MAX; default 2048 */
    int verify;            /* nonzero: decode each window right after encoding it and fail
                            * with LMC_ERR_VERIFY_MISMATCH if it differs (libFLAC's verify) */
} lmc_codec_params;

/* lmc_codec_params_default() : window 2048, no verify. */
lmc_codec_params lmc_codec_params_default(void);

/* What a stream held; container overhead = file_bytes - payload_bytes. A window the model
 * cannot shrink (its coded payload would be at least as long as the window) is stored as it is
 * (codec/FORMAT.md §3), so payload_bytes <= original_bytes; model_bytes keeps the model's own
 * count, which can exceed the input. */
typedef struct lmc_codec_stats {
    uint64_t original_bytes;  /* input (encoder) or output (decoder) bytes */
    uint64_t n_windows;
    uint64_t payload_bytes;   /* the frames' payloads in the stream: the range coder's bytes of
                               * coded windows plus the raw bytes of stored windows */
    uint64_t file_bytes;      /* the whole .lmc stream */
    uint64_t stored_windows;  /* windows stored as they are */
    uint64_t model_bytes;     /* the range coder's bytes summed over windows: on the encoder
                               * over every window, the stored ones included (what the model
                               * alone costs: the paper's count); on the decoder over the coded
                               * windows only (a stored window's coded size is not in the stream) */
} lmc_codec_stats;

/* Caller callbacks. write: take all n bytes or fail. read: put up to cap bytes in data and
 * set *got; *got == 0 means end of input. Both return LMC_OK or an error status. */
typedef lmc_status (*lmc_write_fn)(void *user, const void *data, size_t n);
typedef lmc_status (*lmc_read_fn)(void *user, void *data, size_t cap, size_t *got);

typedef struct lmc_encoder lmc_encoder;
typedef struct lmc_decoder lmc_decoder;

/* lmc_encoder_create() : a streaming encoder that writes through `write` (the header at once).
 * Memory is bounded: one batch of windows and their rows (at most 64 MiB of rows: batches are
 * cut to fit), plus 4 bytes per window for the index (0.2% of the input with W = 2048). `pred` is borrowed and must outlive the encoder. @return *out owned by the caller. */
lmc_status lmc_encoder_create(const lmc_codec_params *params, lmc_predictor *pred,
                              lmc_write_fn write, void *user, lmc_encoder **out);

/* lmc_encoder_write() : feed n input bytes; full batches of windows are coded as they fill. */
lmc_status lmc_encoder_write(lmc_encoder *enc, const void *data, size_t n);

/* lmc_encoder_finish() : code the rest, write the index and trailer; stats may be NULL. */
lmc_status lmc_encoder_finish(lmc_encoder *enc, lmc_codec_stats *stats);

void lmc_encoder_destroy(lmc_encoder *enc); /* accepts NULL */

/* lmc_decoder_create() : a streaming decoder reading through `read`; reads and checks the
 * header at once (LMC_ERR_FORMAT, _TRUNCATED, _VERSION, _CORRUPT, _CHECKSUM, and
 * LMC_ERR_MODEL_MISMATCH when the header's model id is not pred->model_id). Bytes are only
 * handed out after the CRC of their checksum group matched. @return *out owned by caller. */
lmc_status lmc_decoder_create(lmc_predictor *pred, lmc_read_fn read, void *user,
                              lmc_decoder **out);

/* lmc_decoder_read() : up to cap (> 0) decoded bytes into dst; *got == 0 only at the end of a
 * stream whose index and trailer were checked and after which the input ends. */
lmc_status lmc_decoder_read(lmc_decoder *dec, void *dst, size_t cap, size_t *got);

/* lmc_decoder_stats() : what has been decoded so far (complete after the end). */
void lmc_decoder_stats(const lmc_decoder *dec, lmc_codec_stats *stats);

void lmc_decoder_destroy(lmc_decoder *dec); /* accepts NULL */

/* Whole streams through callbacks or stdio (FILE * are borrowed; nothing is closed). */
lmc_status lmc_compress_stream(const lmc_codec_params *params, lmc_predictor *pred,
                               lmc_read_fn read, void *ruser, lmc_write_fn write, void *wuser,
                               lmc_codec_stats *stats);
lmc_status lmc_decompress_stream(lmc_predictor *pred, lmc_read_fn read, void *ruser,
                                 lmc_write_fn write, void *wuser, lmc_codec_stats *stats);
lmc_status lmc_compress_file(const lmc_codec_params *params, lmc_predictor *pred, FILE *in,
                             FILE *out, lmc_codec_stats *stats);
lmc_status lmc_decompress_file(lmc_predictor *pred, FILE *in, FILE *out,
                               lmc_codec_stats *stats);

/* lmc_compress_bound() : the largest .lmc stream n input bytes can give with `window_size`
 * (0: the default): n plus at most 34 bytes per window and 109 per stream, since a window the
 * model cannot shrink is stored as it is. */
size_t lmc_compress_bound(size_t n, uint32_t window_size);

/* lmc_compress() : one shot, src[0..n) -> dst[0..cap); *out_len = bytes written.
 * params may be NULL (defaults). @return LMC_ERR_BUFFER_TOO_SMALL if cap is short. */
lmc_status lmc_compress(void *dst, size_t cap, const void *src, size_t n,
                        const lmc_codec_params *params, lmc_predictor *pred, size_t *out_len);

/* lmc_decompress() : one shot; the whole stream must be valid, else nothing is promised
 * about dst and the error says why. */
lmc_status lmc_decompress(void *dst, size_t cap, const void *src, size_t n, lmc_predictor *pred,
                          size_t *out_len);

/* What a stream's header, index and trailer say (the seek path: the frames are not decoded). */
typedef struct lmc_container_info {
    uint8_t model_id[LMC_MODEL_ID_SIZE];
    uint32_t window_size;
    uint32_t group_windows;   /* windows per CRC-32 group */
    uint64_t n_windows;
    uint64_t original_bytes;
    uint64_t payload_bytes;   /* as lmc_codec_stats.payload_bytes */
    uint64_t file_bytes;
    uint32_t format_version;  /* the header's (codec/FORMAT.md §6) */
    uint64_t stored_windows;  /* windows stored as they are (version 2 on) */
} lmc_container_info;

/* lmc_container_info_read() : read and check the header, trailer and index of a whole stream
 * in memory, and that every frame the index points at starts where it says. */
lmc_status lmc_container_info_read(const void *src, size_t n, lmc_container_info *info);

/* The index of a stream (codec/FORMAT.md §4) as the seek path reads it, without the frames:
 * enough to find any window's frame record, or to cut the stream into streams of whole checksum
 * groups (sharded coding under MPI, cli/cli_dist_coding.c). */
typedef struct lmc_container_index {
    lmc_container_info info;  /* as lmc_container_info_read() fills it, except payload_bytes and
                               * stored_windows: 0 (they are counted from the frames) */
    uint64_t index_offset;    /* where the index starts: just after the end record */
    uint32_t *record_lens;    /* (n_windows) each window's frame record, tag to end of payload */
    uint64_t *record_offsets; /* (n_windows + 1) where each record starts; [n_windows] = the end record */
} lmc_container_index;

/* Read n bytes at `offset` of a stream into dst, all of them or fail (LMC_ERR_TRUNCATED / _IO). */
typedef lmc_status (*lmc_read_at_fn)(void *user, uint64_t offset, void *dst, size_t n);

/* lmc_container_index_read() : read and check the header, trailer and index of an n-byte stream
 * through read_at (three reads and the end record's tag; the frames are not read), with the
 * checks of lmc_container_info_read() that need no frame: header fields, the trailer's place,
 * the index CRC, window count against length, every record within the limit of its version and
 * before the index, the end record where the record lengths put it. The frames are checked when
 * they are decoded. @return LMC_OK with out->record_lens and out->record_offsets owned by the
 * caller (lmc_container_index_free()); on an error nothing is held. */
lmc_status lmc_container_index_read(lmc_read_at_fn read_at, void *user, uint64_t n, lmc_container_index *out);
void lmc_container_index_free(lmc_container_index *index); /* frees the arrays; accepts NULL */

/* lmc_container_index_write() : write through `write` the index and trailer (§4) of a stream
 * whose end record ends at index_offset, holding n_windows windows (record_lens[0..n_windows),
 * borrowed) and original_bytes bytes: what lmc_encoder_finish() writes after the end record. */
lmc_status lmc_container_index_write(lmc_write_fn write, void *user, uint64_t index_offset,
                                     uint64_t n_windows, uint64_t original_bytes,
                                     const uint32_t *record_lens);

/* lmc_decompress_window() : decode window k alone (bytes k*W .. k*W+len-1 of the input) from a
 * whole stream in memory, found through the trailer and the index (the seek path). The
 * window's checksum group (at most 2^24 bytes; 64 KiB with W = 2048) is decoded and checked
 * too, since its CRC covers the group. *out_len = the window's length (<= cap). */
lmc_status lmc_decompress_window(const void *src, size_t n, lmc_predictor *pred, uint64_t k,
                                 void *dst, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif /* LMC_CODEC_H */
