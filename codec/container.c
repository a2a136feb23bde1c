/* container.c : the streamable `.lmc` container (codec/FORMAT.md is the spec; § numbers below
 * point into it): header, one frame record per window as it is produced, a CRC-32 per group of
 * windows, the end record, the index and the fixed-size trailer. Streaming encoder and decoder
 * over caller callbacks, their FILE * and one-shot wrappers, and the seek-path reader of the
 * index. The writer writes version 2, where a window whose coded payload would not be shorter
 * than the window is stored as it is; the readers read versions 1 and 2. Every length and
 * offset read from a stream is checked before it is used; the decoder hands out bytes only
 * after their group's CRC matched, and runs the model only for coded windows. Invariants:
 * memory is bounded by one batch of windows, one checksum group and 4 bytes per window (the
 * index); fields are written byte by byte, little-endian, never as structs. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codec_internal.h"

/* §2 header */
static const uint8_t header_magic[8] = {0x89, 'L', 'M', 'C', 0x0D, 0x0A, 0x1A, 0x0A};
#define FORMAT_VERSION 2      /* what the writer writes (§6) */
#define FORMAT_VERSION_MIN 1  /* the oldest version the readers accept */
#define HEADER_SIZE 60
/* §4 index and trailer */
static const uint8_t index_magic[4] = {'L', 'M', 'C', 'I'};
static const uint8_t trailer_magic[4] = {'L', 'M', 'C', 'T'};
#define TRAILER_SIZE 16
/* §2: bytes of original data per checksum group, at most (and so decoder memory). */
#define GROUP_BYTES_TARGET 65536u
#define GROUP_BYTES_MAX (1u << 24)
#define VARINT_MAX 10
/* The encoder's rows of one batch, at most (one window of the largest size fits exactly). */
#define ENCODER_ROWS_BUDGET ((size_t)64 << 20)

lmc_codec_params lmc_codec_params_default(void) {
    lmc_codec_params p;
    p.window_size = LMC_WINDOW_DEFAULT;
    p.verify = 0;
    return p;
}

/* ---- little-endian fields and varints (§1) ------------------------------------------------ */

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int put_varint(uint8_t *p, uint64_t v) {
    int n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Parse a varint from p[0..avail): returns its length, 0 when avail ends first, -1 when it is
 * malformed (over 10 bytes, above 2^64-1, or not in its shortest form). */
static int get_varint(const uint8_t *p, size_t avail, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < VARINT_MAX; i++) {
        if ((size_t)i >= avail) return 0;
        uint64_t b = p[i] & 0x7F;
        if (i == 9 && b > 1) return -1;
        x |= b << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i > 0 && p[i] == 0) return -1; /* a trailing zero group: not canonical */
            *v = x;
            return i + 1;
        }
    }
    return -1;
}

/* ---- frame tags (§3) ------------------------------------------------------------------------ */

/* The tag of a frame record: version 1: 1 + 2P + S; version 2: 1 + 4P + 2K + S (P payload
 * bytes, K = 1 for a stored window, S = 1 for a short window). Tag 0 is the end record. */
static uint64_t frame_tag(uint32_t version, uint64_t payload_len, int stored, int short_win) {
    if (version == 1) return 1 + (payload_len << 1 | (uint64_t)short_win);
    return 1 + (payload_len << 2 | (uint64_t)stored << 1 | (uint64_t)short_win);
}

typedef struct frame_head {
    uint64_t payload_len;
    int stored, short_win;
} frame_head;

/* Split a nonzero tag of `version` into its fields. */
static frame_head parse_tag(uint32_t version, uint64_t tag) {
    frame_head f;
    uint64_t v = tag - 1;
    f.short_win = (int)(v & 1);
    f.stored = version >= 2 ? (int)(v >> 1 & 1) : 0;
    f.payload_len = version >= 2 ? v >> 2 : v >> 1;
    return f;
}

/* §3: the payload length a frame of an n-byte window may have; a message when it is not. */
static lmc_status check_payload_len(uint32_t version, const frame_head *f, uint64_t n, uint64_t at) {
    if (f->stored)
        LMC_RETURN_IF(f->payload_len != n, LMC_ERR_CORRUPT,
                      ".lmc: stored frame at offset %llu holds %llu bytes for a window of %llu",
                      (unsigned long long)at, (unsigned long long)f->payload_len, (unsigned long long)n);
    else if (version >= 2)
        LMC_RETURN_IF(f->payload_len >= n, LMC_ERR_CORRUPT,
                      ".lmc: coded frame at offset %llu has %llu payload bytes for a window of %llu "
                      "(version 2 stores such a window as it is)",
                      (unsigned long long)at, (unsigned long long)f->payload_len, (unsigned long long)n);
    else
        LMC_RETURN_IF(f->payload_len > lmc_arith_bound((size_t)n), LMC_ERR_CORRUPT,
                      ".lmc: frame at offset %llu claims %llu payload bytes, at most %zu fit %llu bytes",
                      (unsigned long long)at, (unsigned long long)f->payload_len,
                      lmc_arith_bound((size_t)n), (unsigned long long)n);
    return LMC_OK;
}

/* ---- header (§2) --------------------------------------------------------------------------- */

typedef struct header {
    uint32_t version;
    uint32_t window_size, group_windows;
    uint8_t model_id[LMC_MODEL_ID_SIZE];
} header;

static uint32_t group_windows_for(uint32_t window_size) {
    uint32_t g = GROUP_BYTES_TARGET / window_size;
    return g ? g : 1;
}

static void write_header(uint8_t *p, const header *h) {
    memcpy(p, header_magic, 8);
    put_le(p + 8, h->version, 2);
    put_le(p + 10, HEADER_SIZE, 2);
    put_le(p + 12, 0, 4); /* flags */
    put_le(p + 16, h->window_size, 4);
    put_le(p + 20, h->group_windows, 4);
    memcpy(p + 24, h->model_id, LMC_MODEL_ID_SIZE);
    put_le(p + 56, lmc_crc32(0, p, 56), 4);
}

/* Check the first `avail` bytes of a stream as a header; LMC_ERR_TRUNCATED when they end
 * before a decision can be made. */
static lmc_status parse_header(const uint8_t *p, size_t avail, const lmc_predictor *pred,
                               header *h) {
    size_t m = avail < 8 ? avail : 8;
    LMC_RETURN_IF(memcmp(p, header_magic, m) != 0, LMC_ERR_FORMAT,
                  "not an .lmc stream: the first bytes are not the .lmc magic 89 4C 4D 43 0D 0A 1A 0A");
    LMC_RETURN_IF(avail < 12, LMC_ERR_TRUNCATED, ".lmc stream ends inside its header (%zu bytes)", avail);
    uint32_t version = (uint32_t)get_le(p + 8, 2);
    LMC_RETURN_IF(version < FORMAT_VERSION_MIN || version > FORMAT_VERSION, LMC_ERR_VERSION,
                  ".lmc format version %u; this build reads versions %d to %d", version,
                  FORMAT_VERSION_MIN, FORMAT_VERSION);
    h->version = version;
    uint32_t size = (uint32_t)get_le(p + 10, 2);
    LMC_RETURN_IF(size != HEADER_SIZE, LMC_ERR_CORRUPT,
                  ".lmc header length is %u; version %u headers are %d bytes", size, version, HEADER_SIZE);
    LMC_RETURN_IF(avail < HEADER_SIZE, LMC_ERR_TRUNCATED, ".lmc stream ends inside its header (%zu bytes)",
                  avail);
    uint32_t crc = (uint32_t)get_le(p + 56, 4), want = lmc_crc32(0, p, 56);
    LMC_RETURN_IF(crc != want, LMC_ERR_CHECKSUM, ".lmc header CRC-32 is %08x, computed %08x", crc, want);
    uint32_t flags = (uint32_t)get_le(p + 12, 4);
    LMC_RETURN_IF(flags != 0, LMC_ERR_VERSION, ".lmc header has option flags 0x%08x this build does not know",
                  flags);
    h->window_size = (uint32_t)get_le(p + 16, 4);
    h->group_windows = (uint32_t)get_le(p + 20, 4);
    LMC_RETURN_IF(h->window_size < 1 || h->window_size > LMC_WINDOW_MAX, LMC_ERR_CORRUPT,
                  ".lmc header: window size %u outside 1..%u", h->window_size, LMC_WINDOW_MAX);
    LMC_RETURN_IF(h->group_windows < 1 ||
                      (uint64_t)h->group_windows * h->window_size > GROUP_BYTES_MAX,
                  LMC_ERR_CORRUPT, ".lmc header: %u windows per checksum group of %u bytes exceed %u bytes",
                  h->group_windows, h->window_size, GROUP_BYTES_MAX);
    memcpy(h->model_id, p + 24, LMC_MODEL_ID_SIZE);
    if (pred && memcmp(h->model_id, pred->model_id, LMC_MODEL_ID_SIZE) != 0) {
        char have[17], want_id[17];
        for (int i = 0; i < 8; i++) {
            snprintf(have + 2 * i, 3, "%02x", h->model_id[i]);
            snprintf(want_id + 2 * i, 3, "%02x", pred->model_id[i]);
        }
        return lmc_set_error(LMC_ERR_MODEL_MISMATCH,
                             "the stream was made with model %s..., this predictor is model %s...",
                             have, want_id);
    }
    return LMC_OK;
}

/* ---- streaming encoder ---------------------------------------------------------------------- */

struct lmc_encoder {
    lmc_predictor *pred;
    lmc_write_fn write;
    void *user;
    header h;
    int verify;
    size_t batch;            /* windows per driver call */
    uint8_t *in;             /* (batch, W) buffered input */
    size_t in_len;
    int32_t *rows;           /* (batch, W, 256) */
    uint8_t *payload;        /* (batch, bound(W)) */
    uint8_t *check;          /* (batch, W) verify output */
    int32_t *check_rows;     /* (batch, 256) */
    uint32_t *rec_lens;      /* index: frame record length per window */
    size_t n_windows, cap_windows;
    uint32_t group_crc, group_count;
    uint64_t original_bytes, payload_bytes, file_bytes, stored_windows, model_bytes;
    lmc_status failed;       /* sticky */
    int finished;
};

static lmc_status enc_out(lmc_encoder *e, const void *data, size_t n) {
    lmc_status s = e->write(e->user, data, n);
    if (s != LMC_OK) return s;
    e->file_bytes += n;
    return LMC_OK;
}

static lmc_status enc_index_push(lmc_encoder *e, uint32_t rec_len) {
    if (e->n_windows == e->cap_windows) {
        size_t cap = e->cap_windows ? 2 * e->cap_windows : 256;
        uint32_t *p = (uint32_t *)realloc(e->rec_lens, cap * sizeof *p);
        LMC_RETURN_IF(!p, LMC_ERR_OUT_OF_MEMORY, "encoder index: out of memory at %zu windows", cap);
        e->rec_lens = p;
        e->cap_windows = cap;
    }
    e->rec_lens[e->n_windows++] = rec_len;
    return LMC_OK;
}

/* Code the buffered input as windows (a last partial window only when `final`), write their
 * frame records (§3) and group CRCs. A window whose coded payload is not shorter than the
 * window itself is stored as it is: a choice made from the payload's length alone, which is a
 * pure function of the bytes, so the stream stays the same on every device and batch size. */
static lmc_status enc_flush(lmc_encoder *e, int final) {
    const size_t W = e->h.window_size, bound = lmc_arith_bound(W);
    size_t n = final ? (e->in_len + W - 1) / W : e->in_len / W;
    if (n == 0) return LMC_OK;
    assert(n <= e->batch);
    const uint8_t *wins[LMC_DRIVE_MAX_BATCH];
    uint8_t *pays[LMC_DRIVE_MAX_BATCH], *outs[LMC_DRIVE_MAX_BATCH];
    size_t lens[LMC_DRIVE_MAX_BATCH], plens[LMC_DRIVE_MAX_BATCH];
    int stored[LMC_DRIVE_MAX_BATCH];
    for (size_t w = 0; w < n; w++) {
        wins[w] = e->in + w * W;
        lens[w] = (w + 1) * W <= e->in_len ? W : e->in_len - w * W;
        pays[w] = e->payload + w * bound;
        outs[w] = e->check + w * W;
    }
    LMC_TRY(lmc_drive_encode(e->pred, n, wins, lens, (uint32_t)W, e->rows, pays, plens));
    for (size_t w = 0; w < n; w++) stored[w] = plens[w] >= lens[w];
    if (e->verify) {
        /* Only the coded windows: the decoder never runs the model for a stored one. */
        const uint8_t *vpays[LMC_DRIVE_MAX_BATCH];
        uint8_t *vouts[LMC_DRIVE_MAX_BATCH];
        size_t vplens[LMC_DRIVE_MAX_BATCH], vlens[LMC_DRIVE_MAX_BATCH], vw[LMC_DRIVE_MAX_BATCH], m = 0;
        for (size_t w = 0; w < n; w++) {
            if (stored[w]) continue;
            vpays[m] = pays[w];
            vplens[m] = plens[w];
            vlens[m] = lens[w];
            vouts[m] = outs[w];
            vw[m++] = w;
        }
        lmc_status s = m ? lmc_drive_decode(e->pred, m, vpays, vplens, vlens, e->check_rows, vouts) : LMC_OK;
        if (s != LMC_OK && s != LMC_ERR_CORRUPT) return s;
        LMC_RETURN_IF(s == LMC_ERR_CORRUPT, LMC_ERR_VERIFY_MISMATCH,
                      "verify: windows %zu.. decode differently from their input",
                      (size_t)e->n_windows);
        for (size_t j = 0; j < m; j++)
            LMC_RETURN_IF(memcmp(vouts[j], wins[vw[j]], vlens[j]) != 0, LMC_ERR_VERIFY_MISMATCH,
                          "verify: window %zu decodes differently from its input",
                          (size_t)e->n_windows + vw[j]);
    }
    for (size_t w = 0; w < n; w++) {
        uint8_t head[2 * VARINT_MAX];
        int short_win = lens[w] < W;
        const uint8_t *payload = stored[w] ? wins[w] : pays[w];
        size_t plen = stored[w] ? lens[w] : plens[w];
        int k = put_varint(head, frame_tag(e->h.version, plen, stored[w], short_win));
        if (short_win) k += put_varint(head + k, lens[w]);
        LMC_TRY(enc_out(e, head, (size_t)k));
        LMC_TRY(enc_out(e, payload, plen));
        LMC_TRY(enc_index_push(e, (uint32_t)(k + plen)));
        e->payload_bytes += plen;
        e->model_bytes += plens[w];
        e->stored_windows += (uint64_t)stored[w];
        e->group_crc = lmc_crc32(e->group_crc, wins[w], lens[w]);
        if (++e->group_count == e->h.group_windows) {
            uint8_t crc[4];
            put_le(crc, e->group_crc, 4);
            LMC_TRY(enc_out(e, crc, 4));
            e->group_crc = 0;
            e->group_count = 0;
        }
    }
    size_t used = n * W < e->in_len ? n * W : e->in_len;
    memmove(e->in, e->in + used, e->in_len - used);
    e->in_len -= used;
    return LMC_OK;
}

lmc_status lmc_encoder_create(const lmc_codec_params *params, lmc_predictor *pred,
                              lmc_write_fn write, void *user, lmc_encoder **out) {
    *out = NULL;
    lmc_codec_params p = params ? *params : lmc_codec_params_default();
    LMC_RETURN_IF(!pred || !pred->vtable || !write, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_encoder_create: predictor and write callback are required");
    LMC_RETURN_IF(p.window_size < 1 || p.window_size > LMC_WINDOW_MAX, LMC_ERR_INVALID_ARGUMENT,
                  "window size %u outside 1..%u", p.window_size, LMC_WINDOW_MAX);
    LMC_RETURN_IF(pred->max_windows < 1, LMC_ERR_INVALID_ARGUMENT, "predictor takes 0 windows per call");
    lmc_status s = LMC_ERR_OUT_OF_MEMORY;
    lmc_encoder *e = (lmc_encoder *)calloc(1, sizeof *e);
    if (!e) return lmc_set_error(s, "encoder: out of memory");
    const size_t W = p.window_size;
    e->pred = pred;
    e->write = write;
    e->user = user;
    e->verify = p.verify;
    e->h.version = FORMAT_VERSION;
    e->h.window_size = p.window_size;
    e->h.group_windows = group_windows_for(p.window_size);
    memcpy(e->h.model_id, pred->model_id, LMC_MODEL_ID_SIZE);
    /* Windows per batch: what the predictor takes, within the driver's limit and within
     * ENCODER_ROWS_BUDGET of rows (32 windows of 2048 bytes). */
    e->batch = pred->max_windows < LMC_DRIVE_MAX_BATCH ? pred->max_windows : LMC_DRIVE_MAX_BATCH;
    size_t by_memory = ENCODER_ROWS_BUDGET / (W * LMC_ROW_SIZE * sizeof(int32_t));
    if (by_memory < 1) by_memory = 1;
    if (e->batch > by_memory) e->batch = by_memory;
    e->in = (uint8_t *)malloc(e->batch * W);
    e->rows = (int32_t *)malloc(e->batch * W * LMC_ROW_SIZE * sizeof(int32_t));
    e->payload = (uint8_t *)malloc(e->batch * lmc_arith_bound(W));
    e->check = (uint8_t *)malloc(e->batch * W);
    e->check_rows = (int32_t *)malloc(e->batch * LMC_ROW_SIZE * sizeof(int32_t));
    if (!e->in || !e->rows || !e->payload || !e->check || !e->check_rows) {
        lmc_set_error(s, "encoder: out of memory for %zu windows of %zu bytes", e->batch, W);
        goto fail;
    }
    uint8_t head[HEADER_SIZE];
    write_header(head, &e->h);
    s = enc_out(e, head, sizeof head);
    if (s != LMC_OK) goto fail;
    *out = e;
    return LMC_OK;
fail:
    lmc_encoder_destroy(e);
    return s;
}

lmc_status lmc_encoder_write(lmc_encoder *e, const void *data, size_t n) {
    LMC_RETURN_IF(e->failed, e->failed, "encoder: an earlier call failed");
    LMC_RETURN_IF(e->finished, LMC_ERR_INVALID_ARGUMENT, "encoder: write after finish");
    const uint8_t *p = (const uint8_t *)data;
    const size_t cap = e->batch * e->h.window_size;
    while (n > 0) {
        size_t take = cap - e->in_len < n ? cap - e->in_len : n;
        memcpy(e->in + e->in_len, p, take);
        e->in_len += take;
        e->original_bytes += take;
        p += take;
        n -= take;
        if (e->in_len == cap) {
            lmc_status s = enc_flush(e, 0);
            if (s != LMC_OK) return e->failed = s;
        }
    }
    return LMC_OK;
}

/* lmc_write_fn over the encoder's own output, so that the index writer counts file_bytes. */
static lmc_status enc_write(void *user, const void *data, size_t n) {
    return enc_out((lmc_encoder *)user, data, n);
}

static lmc_status enc_finish(lmc_encoder *e) {
    LMC_TRY(enc_flush(e, 1));
    /* §3 end record: tag 0 then the CRC of the last, partial group (0 when it is empty). */
    uint8_t end[5] = {0};
    put_le(end + 1, e->group_crc, 4);
    LMC_TRY(enc_out(e, end, sizeof end));
    return lmc_container_index_write(enc_write, e, e->file_bytes, e->n_windows, e->original_bytes,
                                     e->rec_lens);
}

lmc_status lmc_encoder_finish(lmc_encoder *e, lmc_codec_stats *stats) {
    LMC_RETURN_IF(e->failed, e->failed, "encoder: an earlier call failed");
    LMC_RETURN_IF(e->finished, LMC_ERR_INVALID_ARGUMENT, "encoder: finished twice");
    lmc_status s = enc_finish(e);
    if (s != LMC_OK) return e->failed = s;
    e->finished = 1;
    if (stats) {
        stats->original_bytes = e->original_bytes;
        stats->n_windows = e->n_windows;
        stats->payload_bytes = e->payload_bytes;
        stats->file_bytes = e->file_bytes;
        stats->stored_windows = e->stored_windows;
        stats->model_bytes = e->model_bytes;
    }
    return LMC_OK;
}

void lmc_encoder_destroy(lmc_encoder *e) {
    if (!e) return;
    free(e->in);
    free(e->rows);
    free(e->payload);
    free(e->check);
    free(e->check_rows);
    free(e->rec_lens);
    free(e);
}

/* ---- streaming decoder ---------------------------------------------------------------------- */

#define READ_BUF 65536

struct lmc_decoder {
    lmc_predictor *pred;
    lmc_read_fn read;
    void *user;
    header h;
    size_t batch;
    uint8_t buf[READ_BUF];   /* input buffer: buf[pos..len) not yet consumed */
    size_t pos, len;
    int eof;
    uint64_t offset;         /* stream offset of buf[pos] */
    uint8_t *group;          /* (G, W) decoded bytes of the current group */
    size_t group_len, group_served;
    uint8_t *payload;        /* (batch, bound(W)) payloads of the frames of one batch */
    int32_t *rows;           /* (batch, 256) */
    uint32_t *rec_lens;
    size_t cap_windows;
    uint64_t n_windows, original_bytes, payload_bytes, stored_windows, model_bytes;
    int ended;               /* end record seen and everything after it checked */
    int seen_short;
    lmc_status failed;
};

/* Make at least n (<= READ_BUF) bytes available at buf[pos]; *avail says how many are. */
static lmc_status dec_fill(lmc_decoder *d, size_t n, size_t *avail) {
    assert(n <= READ_BUF);
    if (d->len - d->pos < n && !d->eof) {
        memmove(d->buf, d->buf + d->pos, d->len - d->pos);
        d->len -= d->pos;
        d->pos = 0;
        while (d->len < n && !d->eof) {
            size_t got = 0;
            LMC_TRY(d->read(d->user, d->buf + d->len, READ_BUF - d->len, &got));
            if (got == 0) d->eof = 1;
            d->len += got;
        }
    }
    *avail = d->len - d->pos;
    return LMC_OK;
}

static lmc_status dec_need(lmc_decoder *d, size_t n, const char *what) {
    size_t avail;
    LMC_TRY(dec_fill(d, n, &avail));
    LMC_RETURN_IF(avail < n, LMC_ERR_TRUNCATED, ".lmc stream ends inside %s at offset %llu",
                  what, (unsigned long long)d->offset);
    return LMC_OK;
}

static void dec_skip(lmc_decoder *d, size_t n) {
    d->pos += n;
    d->offset += n;
}

/* Copy n bytes of input (any size) to dst. */
static lmc_status dec_copy(lmc_decoder *d, uint8_t *dst, size_t n, const char *what) {
    while (n > 0) {
        size_t avail, want = n < READ_BUF ? n : READ_BUF;
        LMC_TRY(dec_fill(d, want, &avail));
        LMC_RETURN_IF(avail == 0, LMC_ERR_TRUNCATED, ".lmc stream ends inside %s at offset %llu",
                      what, (unsigned long long)d->offset);
        size_t take = avail < n ? avail : n;
        memcpy(dst, d->buf + d->pos, take);
        dec_skip(d, take);
        dst += take;
        n -= take;
    }
    return LMC_OK;
}

static lmc_status dec_varint(lmc_decoder *d, uint64_t *v, const char *what) {
    size_t avail;
    LMC_TRY(dec_fill(d, VARINT_MAX, &avail));
    int k = get_varint(d->buf + d->pos, avail, v);
    LMC_RETURN_IF(k == 0, LMC_ERR_TRUNCATED, ".lmc stream ends inside %s at offset %llu", what,
                  (unsigned long long)d->offset);
    LMC_RETURN_IF(k < 0, LMC_ERR_CORRUPT, ".lmc: malformed number in %s at offset %llu", what,
                  (unsigned long long)d->offset);
    dec_skip(d, (size_t)k);
    return LMC_OK;
}

static lmc_status dec_u32(lmc_decoder *d, uint32_t *v, const char *what) {
    LMC_TRY(dec_need(d, 4, what));
    *v = (uint32_t)get_le(d->buf + d->pos, 4);
    dec_skip(d, 4);
    return LMC_OK;
}

lmc_status lmc_decoder_create(lmc_predictor *pred, lmc_read_fn read, void *user,
                              lmc_decoder **out) {
    *out = NULL;
    LMC_RETURN_IF(!pred || !pred->vtable || !read || pred->max_windows < 1, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_decoder_create: predictor and read callback are required");
    lmc_decoder *d = (lmc_decoder *)calloc(1, sizeof *d);
    if (!d) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "decoder: out of memory");
    d->pred = pred;
    d->read = read;
    d->user = user;
    lmc_status s;
    size_t avail;
    if ((s = dec_fill(d, HEADER_SIZE, &avail)) != LMC_OK) goto fail;
    if (avail == 0) {
        s = lmc_set_error(LMC_ERR_TRUNCATED, "empty input: an .lmc stream has at least a header");
        goto fail;
    }
    if ((s = parse_header(d->buf, avail, pred, &d->h)) != LMC_OK) goto fail;
    dec_skip(d, HEADER_SIZE);
    const size_t W = d->h.window_size;
    d->batch = pred->max_windows < LMC_DRIVE_MAX_BATCH ? pred->max_windows : LMC_DRIVE_MAX_BATCH;
    d->group = (uint8_t *)malloc((size_t)d->h.group_windows * W);
    d->payload = (uint8_t *)malloc(d->batch * lmc_arith_bound(W));
    d->rows = (int32_t *)malloc(d->batch * LMC_ROW_SIZE * sizeof(int32_t));
    if (!d->group || !d->payload || !d->rows) {
        s = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "decoder: out of memory for windows of %zu bytes", W);
        goto fail;
    }
    *out = d;
    return LMC_OK;
fail:
    lmc_decoder_destroy(d);
    return s;
}

/* §4: after the end record: the index must repeat what the frames said, then the trailer,
 * then the input must end. */
static lmc_status dec_read_tail(lmc_decoder *d) {
    uint64_t index_offset = d->offset;
    LMC_TRY(dec_need(d, 4, "the index"));
    LMC_RETURN_IF(memcmp(d->buf + d->pos, index_magic, 4) != 0, LMC_ERR_CORRUPT,
                  ".lmc: no index magic at offset %llu", (unsigned long long)index_offset);
    uint32_t crc = lmc_crc32(0, d->buf + d->pos, 4);
    dec_skip(d, 4);
    uint64_t n, total, v;
    uint64_t at = d->offset;
    LMC_TRY(dec_varint(d, &n, "the index"));
    crc = lmc_crc32(crc, d->buf + d->pos - (d->offset - at), (size_t)(d->offset - at));
    at = d->offset;
    LMC_TRY(dec_varint(d, &total, "the index"));
    crc = lmc_crc32(crc, d->buf + d->pos - (d->offset - at), (size_t)(d->offset - at));
    LMC_RETURN_IF(n != d->n_windows || total != d->original_bytes, LMC_ERR_CORRUPT,
                  ".lmc index says %llu windows and %llu bytes, the frames held %llu and %llu",
                  (unsigned long long)n, (unsigned long long)total,
                  (unsigned long long)d->n_windows, (unsigned long long)d->original_bytes);
    for (uint64_t w = 0; w < n; w++) {
        at = d->offset;
        LMC_TRY(dec_varint(d, &v, "the index"));
        crc = lmc_crc32(crc, d->buf + d->pos - (d->offset - at), (size_t)(d->offset - at));
        LMC_RETURN_IF(v != d->rec_lens[w], LMC_ERR_CORRUPT,
                      ".lmc index: window %llu has a %llu-byte frame, the index says %llu",
                      (unsigned long long)w, (unsigned long long)d->rec_lens[w], (unsigned long long)v);
    }
    uint32_t stored;
    LMC_TRY(dec_u32(d, &stored, "the index CRC"));
    LMC_RETURN_IF(stored != crc, LMC_ERR_CHECKSUM, ".lmc index CRC-32 is %08x, computed %08x", stored, crc);
    uint64_t index_len = d->offset - index_offset;
    LMC_TRY(dec_need(d, TRAILER_SIZE, "the trailer"));
    const uint8_t *t = d->buf + d->pos;
    LMC_RETURN_IF(memcmp(t + 12, trailer_magic, 4) != 0, LMC_ERR_CORRUPT, ".lmc: no trailer magic at offset %llu",
                  (unsigned long long)d->offset);
    LMC_RETURN_IF(get_le(t, 8) != index_offset || get_le(t + 8, 4) != index_len, LMC_ERR_CORRUPT,
                  ".lmc trailer points at an index of %llu bytes at %llu; it is %llu bytes at %llu",
                  (unsigned long long)get_le(t + 8, 4), (unsigned long long)get_le(t, 8),
                  (unsigned long long)index_len, (unsigned long long)index_offset);
    dec_skip(d, TRAILER_SIZE);
    size_t avail;
    LMC_TRY(dec_fill(d, 1, &avail));
    LMC_RETURN_IF(avail != 0, LMC_ERR_CORRUPT, ".lmc: data after the trailer at offset %llu",
                  (unsigned long long)d->offset);
    return LMC_OK;
}

static lmc_status dec_push_window(lmc_decoder *d, uint32_t rec_len) {
    if (d->n_windows == d->cap_windows) {
        size_t cap = d->cap_windows ? 2 * d->cap_windows : 256;
        uint32_t *p = (uint32_t *)realloc(d->rec_lens, cap * sizeof *p);
        LMC_RETURN_IF(!p, LMC_ERR_OUT_OF_MEMORY, "decoder index: out of memory at %zu windows", cap);
        d->rec_lens = p;
        d->cap_windows = cap;
    }
    d->rec_lens[d->n_windows++] = rec_len;
    return LMC_OK;
}

/* Read and decode the next checksum group (§3) into d->group; at the end record, read the
 * tail too. A stored window is copied into its place at once; the coded ones are gathered into
 * batches of up to d->batch for the model, so a batch never holds a stored window. */
static lmc_status dec_group(lmc_decoder *d) {
    const size_t W = d->h.window_size, bound = lmc_arith_bound(W);
    d->group_len = 0;
    d->group_served = 0;
    size_t in_group = 0;
    int at_end = 0;
    while (in_group < d->h.group_windows && !at_end) {
        /* Read frame records until one batch of coded ones, the group or the stream is full. */
        const uint8_t *pays[LMC_DRIVE_MAX_BATCH];
        uint8_t *outs[LMC_DRIVE_MAX_BATCH];
        size_t lens[LMC_DRIVE_MAX_BATCH], plens[LMC_DRIVE_MAX_BATCH], n = 0;
        while (n < d->batch && in_group < d->h.group_windows) {
            uint64_t start = d->offset, tag, orig = W;
            LMC_TRY(dec_varint(d, &tag, "a frame header"));
            if (tag == 0) {
                at_end = 1;
                break;
            }
            LMC_RETURN_IF(d->seen_short, LMC_ERR_CORRUPT,
                          ".lmc: a frame follows the short last window at offset %llu",
                          (unsigned long long)start);
            frame_head f = parse_tag(d->h.version, tag);
            if (f.short_win) {
                LMC_TRY(dec_varint(d, &orig, "a frame header"));
                LMC_RETURN_IF(orig < 1 || orig >= W, LMC_ERR_CORRUPT,
                              ".lmc: short window of %llu bytes at offset %llu (window size %zu)",
                              (unsigned long long)orig, (unsigned long long)start, W);
                d->seen_short = 1;
            }
            LMC_TRY(check_payload_len(d->h.version, &f, orig, start));
            uint8_t *out = d->group + d->group_len;
            if (f.stored) {
                /* Its bytes are checked by the group CRC below, like every window's. */
                LMC_TRY(dec_copy(d, out, (size_t)orig, "a stored frame"));
                d->stored_windows++;
            } else {
                uint8_t *dst = d->payload + n * bound;
                LMC_TRY(dec_copy(d, dst, (size_t)f.payload_len, "a frame payload"));
                pays[n] = dst;
                plens[n] = (size_t)f.payload_len;
                lens[n] = (size_t)orig;
                outs[n] = out;
                d->model_bytes += f.payload_len;
                n++;
            }
            LMC_TRY(dec_push_window(d, (uint32_t)(d->offset - start)));
            d->group_len += (size_t)orig;
            d->payload_bytes += f.payload_len;
            in_group++;
        }
        if (n) LMC_TRY(lmc_drive_decode(d->pred, n, pays, plens, lens, d->rows, outs));
    }
    uint32_t stored, want = lmc_crc32(0, d->group, d->group_len);
    LMC_TRY(dec_u32(d, &stored, "a group CRC"));
    LMC_RETURN_IF(stored != want, LMC_ERR_CHECKSUM,
                  ".lmc: CRC-32 of the group ending at window %llu is %08x, decoded data gives %08x",
                  (unsigned long long)d->n_windows, stored, want);
    d->original_bytes += d->group_len;
    if (at_end) {
        LMC_TRY(dec_read_tail(d));
        d->ended = 1;
    }
    return LMC_OK;
}

lmc_status lmc_decoder_read(lmc_decoder *d, void *dst, size_t cap, size_t *got) {
    *got = 0;
    LMC_RETURN_IF(d->failed, d->failed, "decoder: an earlier call failed");
    LMC_RETURN_IF(cap == 0, LMC_ERR_INVALID_ARGUMENT, "lmc_decoder_read: cap must be > 0");
    uint8_t *out = (uint8_t *)dst;
    while (*got < cap) {
        if (d->group_served == d->group_len) {
            if (d->ended) break;
            lmc_status s = dec_group(d);
            if (s != LMC_OK) return d->failed = s;
            continue;
        }
        size_t take = d->group_len - d->group_served;
        if (take > cap - *got) take = cap - *got;
        memcpy(out + *got, d->group + d->group_served, take);
        d->group_served += take;
        *got += take;
    }
    return LMC_OK;
}

void lmc_decoder_stats(const lmc_decoder *d, lmc_codec_stats *stats) {
    stats->original_bytes = d->original_bytes;
    stats->n_windows = d->n_windows;
    stats->payload_bytes = d->payload_bytes;
    stats->file_bytes = d->offset;
    stats->stored_windows = d->stored_windows;
    stats->model_bytes = d->model_bytes;
}

void lmc_decoder_destroy(lmc_decoder *d) {
    if (!d) return;
    free(d->group);
    free(d->payload);
    free(d->rows);
    free(d->rec_lens);
    free(d);
}

/* ---- whole streams -------------------------------------------------------------------------- */

lmc_status lmc_compress_stream(const lmc_codec_params *params, lmc_predictor *pred,
                               lmc_read_fn read, void *ruser, lmc_write_fn write, void *wuser,
                               lmc_codec_stats *stats) {
    lmc_encoder *e = NULL;
    uint8_t *buf = NULL;
    lmc_status s = lmc_encoder_create(params, pred, write, wuser, &e);
    if (s != LMC_OK) return s;
    buf = (uint8_t *)malloc(READ_BUF);
    if (!buf) {
        s = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "compress: out of memory");
        goto done;
    }
    for (;;) {
        size_t got = 0;
        if ((s = read(ruser, buf, READ_BUF, &got)) != LMC_OK) goto done;
        if (got == 0) break;
        if ((s = lmc_encoder_write(e, buf, got)) != LMC_OK) goto done;
    }
    s = lmc_encoder_finish(e, stats);
done:
    free(buf);
    lmc_encoder_destroy(e);
    return s;
}

lmc_status lmc_decompress_stream(lmc_predictor *pred, lmc_read_fn read, void *ruser,
                                 lmc_write_fn write, void *wuser, lmc_codec_stats *stats) {
    lmc_decoder *d = NULL;
    uint8_t *buf = NULL;
    lmc_status s = lmc_decoder_create(pred, read, ruser, &d);
    if (s != LMC_OK) return s;
    buf = (uint8_t *)malloc(READ_BUF);
    if (!buf) {
        s = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "decompress: out of memory");
        goto done;
    }
    for (;;) {
        size_t got = 0;
        if ((s = lmc_decoder_read(d, buf, READ_BUF, &got)) != LMC_OK) goto done;
        if (got == 0) break;
        if ((s = write(wuser, buf, got)) != LMC_OK) goto done;
    }
    if (stats) lmc_decoder_stats(d, stats);
done:
    free(buf);
    lmc_decoder_destroy(d);
    return s;
}

static lmc_status file_read(void *user, void *data, size_t cap, size_t *got) {
    FILE *f = (FILE *)user;
    *got = fread(data, 1, cap, f);
    LMC_RETURN_IF(*got == 0 && ferror(f), LMC_ERR_IO, "read error on input stream");
    return LMC_OK;
}

static lmc_status file_write(void *user, const void *data, size_t n) {
    LMC_RETURN_IF(fwrite(data, 1, n, (FILE *)user) != n, LMC_ERR_IO, "write error on output stream");
    return LMC_OK;
}

lmc_status lmc_compress_file(const lmc_codec_params *params, lmc_predictor *pred, FILE *in,
                             FILE *out, lmc_codec_stats *stats) {
    LMC_TRY(lmc_compress_stream(params, pred, file_read, in, file_write, out, stats));
    LMC_RETURN_IF(fflush(out) != 0, LMC_ERR_IO, "write error on output stream");
    return LMC_OK;
}

lmc_status lmc_decompress_file(lmc_predictor *pred, FILE *in, FILE *out, lmc_codec_stats *stats) {
    LMC_TRY(lmc_decompress_stream(pred, file_read, in, file_write, out, stats));
    LMC_RETURN_IF(fflush(out) != 0, LMC_ERR_IO, "write error on output stream");
    return LMC_OK;
}

/* ---- one shot over caller buffers ----------------------------------------------------------- */

typedef struct membuf {
    uint8_t *dst;
    const uint8_t *src;
    size_t cap, len;
} membuf;

static lmc_status mem_write(void *user, const void *data, size_t n) {
    membuf *m = (membuf *)user;
    LMC_RETURN_IF(n > m->cap - m->len, LMC_ERR_BUFFER_TOO_SMALL,
                  "output buffer of %zu bytes is too small", m->cap);
    if (n) memcpy(m->dst + m->len, data, n);
    m->len += n;
    return LMC_OK;
}

static lmc_status mem_read(void *user, void *data, size_t cap, size_t *got) {
    membuf *m = (membuf *)user;
    size_t n = m->cap - m->len < cap ? m->cap - m->len : cap;
    if (n) memcpy(data, m->src + m->len, n); /* src may be NULL for an empty stream */
    m->len += n;
    *got = n;
    return LMC_OK;
}

size_t lmc_compress_bound(size_t n, uint32_t window_size) {
    size_t w = window_size ? window_size : LMC_WINDOW_DEFAULT;
    size_t nw = n / w + 1;
    /* header, the payloads (at most the input: a window that does not shrink is stored), per
     * window (tag and short length, group CRC, index entry), end record, index head and CRC,
     * trailer. */
    return HEADER_SIZE + n + nw * (2 * VARINT_MAX + 4 + VARINT_MAX) + 5 + (4 + 2 * VARINT_MAX + 4) +
           TRAILER_SIZE;
}

lmc_status lmc_compress(void *dst, size_t cap, const void *src, size_t n,
                        const lmc_codec_params *params, lmc_predictor *pred, size_t *out_len) {
    *out_len = 0;
    lmc_encoder *e = NULL;
    membuf m = {(uint8_t *)dst, NULL, cap, 0};
    lmc_status s = lmc_encoder_create(params, pred, mem_write, &m, &e);
    if (s == LMC_OK) s = lmc_encoder_write(e, src, n);
    if (s == LMC_OK) s = lmc_encoder_finish(e, NULL);
    lmc_encoder_destroy(e);
    if (s == LMC_OK) *out_len = m.len;
    return s;
}

lmc_status lmc_decompress(void *dst, size_t cap, const void *src, size_t n, lmc_predictor *pred,
                          size_t *out_len) {
    *out_len = 0;
    lmc_decoder *d = NULL;
    membuf in = {NULL, (const uint8_t *)src, n, 0};
    lmc_status s = lmc_decoder_create(pred, mem_read, &in, &d);
    size_t total = 0;
    while (s == LMC_OK) {
        size_t got = 0;
        if (total == cap) break;
        s = lmc_decoder_read(d, (uint8_t *)dst + total, cap - total, &got);
        total += got;
        if (s != LMC_OK || got == 0) break;
    }
    if (s == LMC_OK && total == cap) {
        /* The buffer is full: the stream must end exactly here. */
        uint8_t probe;
        size_t got = 0;
        s = lmc_decoder_read(d, &probe, 1, &got);
        if (s == LMC_OK && got)
            s = lmc_set_error(LMC_ERR_BUFFER_TOO_SMALL, "output buffer of %zu bytes is too small", cap);
    }
    lmc_decoder_destroy(d);
    if (s == LMC_OK) *out_len = total;
    return s;
}

/* ---- the seek path: header, trailer and index of a stream in memory (§4) ------------------- */

/* One frame as the index locates it. */
typedef struct frame_ref {
    const uint8_t *payload;
    size_t payload_len, orig_len;
    int stored;   /* the payload is the window's bytes */
    uint64_t end; /* offset just after the frame record */
} frame_ref;

/* ---- the index and trailer (§4), shared by the encoder, the seek path and sharded coding ---- */

lmc_status lmc_container_index_write(lmc_write_fn write, void *user, uint64_t index_offset,
                                     uint64_t n_windows, uint64_t original_bytes,
                                     const uint32_t *record_lens) {
    uint8_t buf[3 * VARINT_MAX + 4];
    memcpy(buf, index_magic, 4);
    size_t k = 4;
    k += (size_t)put_varint(buf + k, n_windows);
    k += (size_t)put_varint(buf + k, original_bytes);
    uint32_t crc = lmc_crc32(0, buf, k);
    uint64_t index_len = k;
    LMC_TRY(write(user, buf, k));
    for (uint64_t w = 0; w < n_windows; w++) {
        int m = put_varint(buf, record_lens[w]);
        crc = lmc_crc32(crc, buf, (size_t)m);
        index_len += (uint64_t)m;
        LMC_TRY(write(user, buf, (size_t)m));
    }
    put_le(buf, crc, 4);
    LMC_TRY(write(user, buf, 4));
    index_len += 4;
    uint8_t trailer[TRAILER_SIZE];
    put_le(trailer, index_offset, 8);
    put_le(trailer + 8, index_len, 4);
    memcpy(trailer + 12, trailer_magic, 4);
    return write(user, trailer, sizeof trailer);
}

/* The trailer t of an n-byte stream: where its index lies. */
static lmc_status parse_trailer(const uint8_t *t, uint64_t n, uint64_t *index_offset, uint64_t *index_len) {
    LMC_RETURN_IF(memcmp(t + 12, trailer_magic, 4) != 0, LMC_ERR_TRUNCATED,
                  ".lmc: no trailer at the end of the stream (truncated?)");
    *index_offset = get_le(t, 8);
    *index_len = get_le(t + 8, 4);
    LMC_RETURN_IF(*index_offset < HEADER_SIZE + 5 || *index_len < 4 + 2 + 4 ||
                      *index_offset > n - TRAILER_SIZE || *index_len != n - TRAILER_SIZE - *index_offset,
                  LMC_ERR_CORRUPT,
                  ".lmc trailer: index of %llu bytes at %llu does not fit a %llu-byte stream",
                  (unsigned long long)*index_len, (unsigned long long)*index_offset, (unsigned long long)n);
    return LMC_OK;
}

/* The index ix[0..ilen) at index_offset of a stream with header h: its magic, CRC, window count
 * and length; *k = where its record lengths start. */
static lmc_status parse_index_head(const header *h, const uint8_t *ix, size_t ilen, uint64_t index_offset,
                                   uint64_t *nw, uint64_t *total, size_t *k) {
    LMC_RETURN_IF(memcmp(ix, index_magic, 4) != 0, LMC_ERR_CORRUPT, ".lmc: no index magic at offset %llu",
                  (unsigned long long)index_offset);
    uint32_t stored = (uint32_t)get_le(ix + ilen - 4, 4), crc = lmc_crc32(0, ix, ilen - 4);
    LMC_RETURN_IF(stored != crc, LMC_ERR_CHECKSUM, ".lmc index CRC-32 is %08x, computed %08x", stored, crc);
    *k = 4;
    int m = get_varint(ix + *k, ilen - 4 - *k, nw);
    LMC_RETURN_IF(m <= 0, LMC_ERR_CORRUPT, ".lmc index: malformed window count");
    *k += (size_t)m;
    m = get_varint(ix + *k, ilen - 4 - *k, total);
    LMC_RETURN_IF(m <= 0, LMC_ERR_CORRUPT, ".lmc index: malformed length");
    *k += (size_t)m;
    LMC_RETURN_IF(*nw > ilen || (*nw == 0 && *total != 0) ||
                      (*nw > 0 && (*total <= (*nw - 1) * h->window_size || *total > *nw * h->window_size)),
                  LMC_ERR_CORRUPT, ".lmc index: %llu windows of %u bytes cannot hold %llu bytes",
                  (unsigned long long)*nw, h->window_size, (unsigned long long)*total);
    return LMC_OK;
}

/* Record length w of the index (at *k, advanced), for a record starting at `off`: it must end
 * before the index. */
static lmc_status parse_index_entry(const uint8_t *ix, size_t ilen, size_t *k, uint64_t w, uint64_t off,
                                    uint64_t index_offset, uint64_t *rec) {
    int m = get_varint(ix + *k, ilen - 4 - *k, rec);
    LMC_RETURN_IF(m <= 0, LMC_ERR_CORRUPT, ".lmc index: malformed entry %llu", (unsigned long long)w);
    *k += (size_t)m;
    LMC_RETURN_IF(*rec > index_offset || off > index_offset - *rec, LMC_ERR_CORRUPT,
                  ".lmc index: window %llu's frame runs past the index", (unsigned long long)w);
    return LMC_OK;
}

/* Where the record after window w's (rec bytes at off) starts: past its group's CRC when it
 * closes a group. */
static uint64_t next_record(const header *h, uint64_t w, uint64_t off, uint64_t rec) {
    return off + rec + ((w + 1) % h->group_windows == 0 ? 4 : 0);
}

/* After the last entry: nothing else in the index, and the end record where the entries say. */
static lmc_status check_index_end(size_t k, size_t ilen, uint64_t off, uint64_t index_offset,
                                  uint8_t end_tag) {
    LMC_RETURN_IF(k != ilen - 4, LMC_ERR_CORRUPT, ".lmc index: %zu unexplained bytes", ilen - 4 - k);
    LMC_RETURN_IF(off + 5 != index_offset || end_tag != 0, LMC_ERR_CORRUPT,
                  ".lmc: the end record is not where the index says (offset %llu)", (unsigned long long)off);
    return LMC_OK;
}

/* What the header and the index say about an n-byte stream (the counts from its frames: 0). */
static void fill_info(const header *h, uint64_t n_windows, uint64_t original_bytes, uint64_t n,
                      lmc_container_info *info) {
    memset(info, 0, sizeof *info);
    memcpy(info->model_id, h->model_id, LMC_MODEL_ID_SIZE);
    info->window_size = h->window_size;
    info->group_windows = h->group_windows;
    info->n_windows = n_windows;
    info->original_bytes = original_bytes;
    info->file_bytes = n;
    info->format_version = h->version;
}

/* Check header, trailer and index; fill info. When `group` is not NULL, also fill group[0..]
 * with the frames of checksum group `want_group` and *group_crc with its stored CRC. */
static lmc_status walk_stream(const void *src, size_t n, lmc_container_info *info,
                              uint64_t want_group, frame_ref *group, size_t *group_n,
                              uint32_t *group_crc) {
    const uint8_t *p = (const uint8_t *)src;
    memset(info, 0, sizeof *info);
    LMC_RETURN_IF(n == 0, LMC_ERR_TRUNCATED, "empty input: an .lmc stream has at least a header");
    header h;
    LMC_TRY(parse_header(p, n, NULL, &h));
    LMC_RETURN_IF(n < HEADER_SIZE + 5 + TRAILER_SIZE, LMC_ERR_TRUNCATED,
                  ".lmc stream of %zu bytes is too short for its end record and trailer", n);
    uint64_t index_offset, index_len;
    LMC_TRY(parse_trailer(p + n - TRAILER_SIZE, n, &index_offset, &index_len));
    const uint8_t *ix = p + index_offset;
    size_t ilen = (size_t)index_len, k;
    uint64_t nw, total;
    LMC_TRY(parse_index_head(&h, ix, ilen, index_offset, &nw, &total, &k));
    /* Walk the frames the index describes: offsets follow from record lengths and group CRCs. */
    uint64_t off = HEADER_SIZE, payload = 0, stored_windows = 0;
    for (uint64_t w = 0; w < nw; w++) {
        uint64_t rec = 0, tag, orig = h.window_size;
        LMC_TRY(parse_index_entry(ix, ilen, &k, w, off, index_offset, &rec));
        int a = get_varint(p + off, (size_t)rec, &tag);
        LMC_RETURN_IF(a <= 0 || tag == 0, LMC_ERR_CORRUPT, ".lmc: no frame of window %llu at offset %llu",
                      (unsigned long long)w, (unsigned long long)off);
        frame_head fh = parse_tag(h.version, tag);
        int b = 0;
        if (fh.short_win) {
            b = get_varint(p + off + a, (size_t)rec - (size_t)a, &orig);
            LMC_RETURN_IF(b <= 0, LMC_ERR_CORRUPT, ".lmc: bad frame header at offset %llu", (unsigned long long)off);
        }
        uint64_t want_orig = w + 1 < nw ? h.window_size : total - (nw - 1) * h.window_size;
        LMC_RETURN_IF(orig != want_orig || fh.short_win != (orig < h.window_size) ||
                          (uint64_t)a + (uint64_t)b + fh.payload_len != rec,
                      LMC_ERR_CORRUPT, ".lmc: frame of window %llu at offset %llu disagrees with the index",
                      (unsigned long long)w, (unsigned long long)off);
        LMC_TRY(check_payload_len(h.version, &fh, orig, off));
        payload += fh.payload_len;
        stored_windows += (uint64_t)fh.stored;
        if (group && w / h.group_windows == want_group) {
            frame_ref *f = &group[(*group_n)++];
            f->payload = p + off + (uint64_t)a + (uint64_t)b;
            f->payload_len = (size_t)fh.payload_len;
            f->orig_len = (size_t)orig;
            f->stored = fh.stored;
            f->end = off + rec;
        }
        off = next_record(&h, w, off, rec);
    }
    LMC_TRY(check_index_end(k, ilen, off, index_offset, off < index_offset ? p[off] : 0));
    fill_info(&h, nw, total, n, info);
    info->payload_bytes = payload;
    info->stored_windows = stored_windows;
    if (group && *group_n) {
        /* The group's CRC follows its last frame, or the end record's tag for a last partial
         * group; both lie before the index (checked above). */
        uint64_t at = group[*group_n - 1].end;
        if (*group_n < h.group_windows) at += 1;
        *group_crc = (uint32_t)get_le(p + at, 4);
    }
    return LMC_OK;
}

void lmc_container_index_free(lmc_container_index *index) {
    if (!index) return;
    free(index->record_lens);
    free(index->record_offsets);
    index->record_lens = NULL;
    index->record_offsets = NULL;
}

lmc_status lmc_container_index_read(lmc_read_at_fn read_at, void *user, uint64_t n,
                                    lmc_container_index *out) {
    memset(out, 0, sizeof *out);
    LMC_RETURN_IF(n == 0, LMC_ERR_TRUNCATED, "empty input: an .lmc stream has at least a header");
    uint8_t head[HEADER_SIZE], t[TRAILER_SIZE], end_tag = 0;
    size_t head_len = n < HEADER_SIZE ? (size_t)n : HEADER_SIZE;
    LMC_TRY(read_at(user, 0, head, head_len));
    header h;
    LMC_TRY(parse_header(head, head_len, NULL, &h));
    LMC_RETURN_IF(n < HEADER_SIZE + 5 + TRAILER_SIZE, LMC_ERR_TRUNCATED,
                  ".lmc stream of %llu bytes is too short for its end record and trailer",
                  (unsigned long long)n);
    LMC_TRY(read_at(user, n - TRAILER_SIZE, t, TRAILER_SIZE));
    uint64_t index_offset, index_len;
    LMC_TRY(parse_trailer(t, n, &index_offset, &index_len));
    uint8_t *ix = (uint8_t *)malloc((size_t)index_len);
    LMC_RETURN_IF(!ix, LMC_ERR_OUT_OF_MEMORY, ".lmc index of %llu bytes: out of memory",
                  (unsigned long long)index_len);
    lmc_status s = read_at(user, index_offset, ix, (size_t)index_len);
    size_t ilen = (size_t)index_len, k = 0;
    uint64_t nw = 0, total = 0, off = HEADER_SIZE;
    if (s == LMC_OK) s = parse_index_head(&h, ix, ilen, index_offset, &nw, &total, &k);
    if (s == LMC_OK) {
        out->record_lens = (uint32_t *)malloc((size_t)(nw ? nw : 1) * sizeof *out->record_lens);
        out->record_offsets = (uint64_t *)malloc((size_t)(nw + 1) * sizeof *out->record_offsets);
        if (!out->record_lens || !out->record_offsets)
            s = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, ".lmc index of %llu windows: out of memory",
                              (unsigned long long)nw);
    }
    /* A record holds at most two varints and a payload within §3's limit for its version. */
    const uint64_t rec_max =
        2 * VARINT_MAX + (h.version >= 2 ? h.window_size : lmc_arith_bound(h.window_size));
    for (uint64_t w = 0; s == LMC_OK && w < nw; w++) {
        uint64_t rec = 0;
        s = parse_index_entry(ix, ilen, &k, w, off, index_offset, &rec);
        if (s == LMC_OK && rec > rec_max)
            s = lmc_set_error(LMC_ERR_CORRUPT, ".lmc index: window %llu's record of %llu bytes exceeds %llu",
                              (unsigned long long)w, (unsigned long long)rec, (unsigned long long)rec_max);
        if (s != LMC_OK) break;
        out->record_lens[w] = (uint32_t)rec;
        out->record_offsets[w] = off;
        off = next_record(&h, w, off, rec);
    }
    free(ix);
    if (s == LMC_OK && off < index_offset) s = read_at(user, off, &end_tag, 1);
    if (s == LMC_OK) s = check_index_end(k, ilen, off, index_offset, end_tag);
    if (s != LMC_OK) {
        lmc_container_index_free(out);
        return s;
    }
    out->record_offsets[nw] = off;
    fill_info(&h, nw, total, n, &out->info);
    out->index_offset = index_offset;
    return LMC_OK;
}

lmc_status lmc_container_info_read(const void *src, size_t n, lmc_container_info *info) {
    return walk_stream(src, n, info, 0, NULL, NULL, NULL);
}

lmc_status lmc_decompress_window(const void *src, size_t n, lmc_predictor *pred, uint64_t k,
                                 void *dst, size_t cap, size_t *out_len) {
    *out_len = 0;
    LMC_RETURN_IF(!pred || !pred->vtable || pred->max_windows < 1, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_decompress_window: a predictor is required");
    lmc_container_info info;
    LMC_TRY(walk_stream(src, n, &info, 0, NULL, NULL, NULL));
    LMC_TRY(parse_header((const uint8_t *)src, n, pred, &(header){0}));
    LMC_RETURN_IF(k >= info.n_windows, LMC_ERR_INVALID_ARGUMENT, "window %llu of a stream of %llu windows",
                  (unsigned long long)k, (unsigned long long)info.n_windows);
    const size_t G = info.group_windows, W = info.window_size;
    frame_ref *frames = (frame_ref *)malloc(G * sizeof *frames);
    uint8_t *group = (uint8_t *)malloc(G * W);
    int32_t *rows = (int32_t *)malloc(LMC_DRIVE_MAX_BATCH * LMC_ROW_SIZE * sizeof(int32_t));
    lmc_status s = LMC_OK;
    size_t n_frames = 0, group_len = 0, start_of_k = 0;
    uint32_t stored = 0;
    if (!frames || !group || !rows) {
        s = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "lmc_decompress_window: out of memory");
        goto done;
    }
    if ((s = walk_stream(src, n, &info, k / G, frames, &n_frames, &stored)) != LMC_OK) goto done;
    /* Decode the whole checksum group (its CRC covers all of it): stored windows are copied,
     * coded ones decoded in predictor batches. */
    const size_t batch = pred->max_windows < LMC_DRIVE_MAX_BATCH ? pred->max_windows : LMC_DRIVE_MAX_BATCH;
    for (size_t i = 0; i < n_frames && s == LMC_OK;) {
        const uint8_t *pays[LMC_DRIVE_MAX_BATCH];
        uint8_t *outs[LMC_DRIVE_MAX_BATCH];
        size_t plens[LMC_DRIVE_MAX_BATCH], lens[LMC_DRIVE_MAX_BATCH], m = 0;
        for (; i < n_frames && m < batch; i++) {
            const frame_ref *f = &frames[i];
            if (i == k % G) start_of_k = group_len;
            if (f->stored) {
                memcpy(group + group_len, f->payload, f->orig_len);
            } else {
                pays[m] = f->payload;
                plens[m] = f->payload_len;
                lens[m] = f->orig_len;
                outs[m++] = group + group_len;
            }
            group_len += f->orig_len;
        }
        if (m) s = lmc_drive_decode(pred, m, pays, plens, lens, rows, outs);
    }
    if (s != LMC_OK) goto done;
    uint32_t want = lmc_crc32(0, group, group_len);
    if (want != stored) {
        s = lmc_set_error(LMC_ERR_CHECKSUM, ".lmc: CRC-32 of the group of window %llu is %08x, decoded data gives %08x",
                          (unsigned long long)k, stored, want);
        goto done;
    }
    const size_t len = frames[k % G].orig_len;
    if (len > cap) {
        s = lmc_set_error(LMC_ERR_BUFFER_TOO_SMALL, "window %llu has %zu bytes, the buffer holds %zu",
                          (unsigned long long)k, len, cap);
        goto done;
    }
    memcpy(dst, group + start_of_k, len);
    *out_len = len;
done:
    free(frames);
    free(group);
    free(rows);
    return s;
}
