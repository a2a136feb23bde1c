/* cli_dist_coding.c : sharded coding of one file across the ranks of an MPI job
 * (cli_dist_coding.h). Why the bytes equal one process's: a frame record is a function of its
 * window's bytes alone (codec/FORMAT.md §3), a group CRC of its group's bytes, and the header,
 * end record, index and trailer of the window count, the original length and the record
 * lengths; a block of whole groups coded as a stream of its own therefore holds, between its
 * header and its end record, exactly the bytes the whole stream holds there, and its index the
 * same record lengths. Rank 0 concatenates those in block order and writes the whole stream's
 * index and trailer (§4). Decompression is the converse: each block's frames (found through the
 * file's index) get a header, end record, index and trailer of their own and are decoded, with
 * every check of the streaming decoder, and rank 0 writes the decoded bytes in block order.
 * Messages: one per block from its rank to rank 0, tag 1: six u64 (windows, original bytes,
 * stored windows, body length, payload bytes, 0), the body, then a u32 record length per window
 * (compression) or the decoded bytes (decompression). */
#define _POSIX_C_SOURCE 200809L
#include "cli_dist_coding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_dist.h"

#define HEADER_BYTES 60
#define END_BYTES 5
#define TRAILER_BYTES 16
#define MSG_HEAD 48
#define BLOCK_WINDOWS 64 /* a block is the fewest whole groups holding at least this many windows */

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static lmc_status mb_reserve(membuf *b, size_t more) {
    if (b->cap - b->n >= more) return LMC_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < more) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "block buffer of %zu bytes", cap);
    b->p = q;
    b->cap = cap;
    return LMC_OK;
}

static lmc_status mb_write(void *user, const void *data, size_t n) {
    membuf *b = user;
    LMC_TRY(mb_reserve(b, n));
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
    return LMC_OK;
}

typedef struct memreader {
    const uint8_t *p;
    size_t n, i;
} memreader;

static lmc_status mr_read(void *user, void *data, size_t cap, size_t *got) {
    memreader *r = user;
    size_t k = r->n - r->i < cap ? r->n - r->i : cap;
    if (k) memcpy(data, r->p + r->i, k); /* r->p may be NULL for an empty stream */
    r->i += k;
    *got = k;
    return LMC_OK;
}

static void put_le(uint8_t *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static lmc_status mb_varint(membuf *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    return mb_write(b, t, (size_t)n);
}
static int get_varint(const uint8_t *p, size_t avail, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < 10 && (size_t)i < avail; i++) {
        x |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return -1;
}

static lmc_status read_at(FILE *f, const char *path, uint64_t off, void *dst, size_t n) {
    if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(dst, 1, n, f) != n)
        return lmc_set_error(ferror(f) ? LMC_ERR_IO : LMC_ERR_TRUNCATED, "%s: cannot read %zu bytes at offset %llu",
                             path, n, (unsigned long long)off);
    return LMC_OK;
}

/* The index and trailer (§4) of a stream whose frames end at `index_off`. */
static lmc_status write_index(membuf *b, uint64_t index_off, uint64_t n_windows, uint64_t original,
                              const uint32_t *lens) {
    size_t start = b->n;
    LMC_TRY(mb_write(b, "LMCI", 4));
    LMC_TRY(mb_varint(b, n_windows));
    LMC_TRY(mb_varint(b, original));
    for (uint64_t w = 0; w < n_windows; w++) LMC_TRY(mb_varint(b, lens[w]));
    uint8_t t[TRAILER_BYTES];
    put_le(t, lmc_crc32(0, b->p + start, b->n - start), 4);
    LMC_TRY(mb_write(b, t, 4));
    put_le(t, index_off, 8);
    put_le(t + 8, b->n - start, 4);
    memcpy(t + 12, "LMCT", 4);
    return mb_write(b, t, TRAILER_BYTES);
}

/* A stream's record lengths, from its index (a stream this process just wrote or built). */
static lmc_status index_of(const uint8_t *s, size_t n, uint64_t *index_off, uint64_t *n_windows,
                           uint64_t *original, uint32_t **lens) {
    *lens = NULL;
    LMC_RETURN_IF(n < HEADER_BYTES + END_BYTES + TRAILER_BYTES || memcmp(s + n - 4, "LMCT", 4) != 0, LMC_ERR_TRUNCATED,
                  ".lmc stream of %zu bytes has no trailer", n);
    uint64_t off = get_le(s + n - TRAILER_BYTES, 8), len = get_le(s + n - 8, 4);
    LMC_RETURN_IF(off < HEADER_BYTES + END_BYTES || len < 9 || off + len + TRAILER_BYTES != n ||
                      memcmp(s + off, "LMCI", 4) != 0 || lmc_crc32(0, s + off, len - 4) != get_le(s + off + len - 4, 4),
                  LMC_ERR_CORRUPT, ".lmc stream: bad index");
    const uint8_t *p = s + off + 4, *end = s + off + len - 4;
    int k;
    if ((k = get_varint(p, (size_t)(end - p), n_windows)) < 0) return lmc_set_error(LMC_ERR_CORRUPT, ".lmc index");
    p += k;
    if ((k = get_varint(p, (size_t)(end - p), original)) < 0) return lmc_set_error(LMC_ERR_CORRUPT, ".lmc index");
    p += k;
    LMC_RETURN_IF(*n_windows > (uint64_t)(end - p), LMC_ERR_CORRUPT, ".lmc index: %llu windows",
                  (unsigned long long)*n_windows);
    *lens = malloc((size_t)(*n_windows + 1) * sizeof **lens);
    LMC_RETURN_IF(!*lens, LMC_ERR_OUT_OF_MEMORY, "index of %llu windows", (unsigned long long)*n_windows);
    for (uint64_t w = 0; w < *n_windows; w++) {
        uint64_t v = 0;
        if ((k = get_varint(p, (size_t)(end - p), &v)) < 0 || v > UINT32_MAX) {
            free(*lens);
            *lens = NULL;
            return lmc_set_error(LMC_ERR_CORRUPT, ".lmc index: record %llu", (unsigned long long)w);
        }
        (*lens)[w] = (uint32_t)v;
        p += k;
    }
    *index_off = off;
    return LMC_OK;
}

typedef struct plan {
    uint64_t size, W, G, n_windows, n_groups, block_groups, n_blocks;
} plan;

static void plan_make(plan *pl, uint64_t size, uint64_t W, uint64_t G) {
    pl->size = size;
    pl->W = W;
    pl->G = G;
    pl->n_windows = (size + W - 1) / W;
    pl->n_groups = (pl->n_windows + G - 1) / G;
    pl->block_groups = (BLOCK_WINDOWS + G - 1) / G;
    pl->n_blocks = (pl->n_groups + pl->block_groups - 1) / pl->block_groups;
}
static uint64_t block_first_window(const plan *pl, uint64_t b) {
    uint64_t w = b * pl->block_groups * pl->G;
    return w < pl->n_windows ? w : pl->n_windows;
}

/* ---- compression ---- */

/* Block b of in_path as a message (MSG_HEAD, body, lens). */
static lmc_status compress_block(FILE *in, const char *path, const plan *pl, uint64_t b, const lmc_exact_model *model,
                                 lmc_device *device, lmc_predictor *pred, membuf *msg) {
    (void)model;
    (void)device;
    uint64_t w0 = block_first_window(pl, b), w1 = block_first_window(pl, b + 1);
    uint64_t off = w0 * pl->W, end = w1 * pl->W < pl->size ? w1 * pl->W : pl->size;
    size_t n = (size_t)(end - off);
    lmc_status st = LMC_OK;
    uint8_t *src = malloc(n + 1);
    membuf out = {0};
    uint32_t *lens = NULL;
    if (!src) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "block of %zu bytes", n);
    if ((st = read_at(in, path, off, src, n)) != LMC_OK) goto done;
    lmc_codec_params cp = lmc_codec_params_default();
    cp.window_size = (uint32_t)pl->W;
    memreader r = {src, n, 0};
    lmc_codec_stats stats;
    if ((st = lmc_compress_stream(&cp, pred, mr_read, &r, mb_write, &out, &stats)) != LMC_OK) goto done;
    uint64_t index_off = 0, nw = 0, orig = 0;
    if ((st = index_of(out.p, out.n, &index_off, &nw, &orig, &lens)) != LMC_OK) goto done;
    msg->n = 0;
    if ((st = mb_reserve(msg, MSG_HEAD + (size_t)index_off + 4 * (size_t)nw)) != LMC_OK) goto done;
    uint64_t head[6] = {nw, orig, stats.stored_windows, index_off - HEADER_BYTES, stats.payload_bytes, 0};
    for (int i = 0; i < 6; i++) put_le(msg->p + 8 * i, head[i], 8);
    msg->n = MSG_HEAD;
    mb_write(msg, out.p + HEADER_BYTES, (size_t)(index_off - HEADER_BYTES));
    for (uint64_t w = 0; w < nw; w++) {
        uint8_t t[4];
        put_le(t, lens[w], 4);
        mb_write(msg, t, 4);
    }
done:
    free(src);
    free(out.p);
    free(lens);
    return st;
}

/* ---- decompression ---- */

typedef struct lmc_in {
    uint8_t header[HEADER_BYTES];
    uint64_t index_off, n_windows, original;
    uint32_t *lens;
    uint64_t *rec_off; /* (n_windows + 1): where each record starts; [n] the end record */
} lmc_in;

static lmc_status read_lmc_index(FILE *f, const char *path, uint64_t file_size, lmc_in *li) {
    memset(li, 0, sizeof *li);
    LMC_RETURN_IF(file_size < HEADER_BYTES + END_BYTES + TRAILER_BYTES + 9, LMC_ERR_TRUNCATED,
                  "%s: %llu bytes is too short for a .lmc stream", path, (unsigned long long)file_size);
    LMC_TRY(read_at(f, path, 0, li->header, HEADER_BYTES));
    uint8_t t[TRAILER_BYTES];
    LMC_TRY(read_at(f, path, file_size - TRAILER_BYTES, t, TRAILER_BYTES));
    LMC_RETURN_IF(memcmp(t + 12, "LMCT", 4) != 0, LMC_ERR_TRUNCATED, "%s: no .lmc trailer", path);
    uint64_t off = get_le(t, 8), len = get_le(t + 8, 4);
    LMC_RETURN_IF(off < HEADER_BYTES + END_BYTES || off + len + TRAILER_BYTES != file_size, LMC_ERR_CORRUPT,
                  "%s: the trailer points outside the stream", path);
    /* the index with its trailer, re-read as a stream tail so that index_of() checks it */
    size_t tail = (size_t)(len + TRAILER_BYTES);
    uint8_t *s = malloc(HEADER_BYTES + END_BYTES + tail);
    LMC_RETURN_IF(!s, LMC_ERR_OUT_OF_MEMORY, "%s: index of %llu bytes", path, (unsigned long long)len);
    lmc_status st = read_at(f, path, off, s + HEADER_BYTES + END_BYTES, tail);
    if (st == LMC_OK) {
        put_le(s + HEADER_BYTES + END_BYTES + len, HEADER_BYTES + END_BYTES, 8); /* as if at 65 */
        uint64_t dummy = 0;
        st = index_of(s, HEADER_BYTES + END_BYTES + tail, &dummy, &li->n_windows, &li->original, &li->lens);
    }
    free(s);
    LMC_TRY(st);
    li->index_off = off;
    uint64_t W = get_le(li->header + 16, 4), G = get_le(li->header + 20, 4);
    LMC_RETURN_IF(W < 1 || W > LMC_WINDOW_MAX || G < 1, LMC_ERR_CORRUPT, "%s: bad header", path);
    LMC_RETURN_IF(li->n_windows ? (li->original <= (li->n_windows - 1) * W || li->original > li->n_windows * W)
                                : li->original != 0,
                  LMC_ERR_CORRUPT, "%s: the index's length and window count disagree", path);
    li->rec_off = malloc((size_t)(li->n_windows + 1) * sizeof *li->rec_off);
    LMC_RETURN_IF(!li->rec_off, LMC_ERR_OUT_OF_MEMORY, "%s: record offsets", path);
    uint64_t at = HEADER_BYTES;
    for (uint64_t w = 0; w < li->n_windows; w++) {
        li->rec_off[w] = at;
        at += li->lens[w] + ((w + 1) % G == 0 ? 4 : 0);
    }
    li->rec_off[li->n_windows] = at;
    LMC_RETURN_IF(at + END_BYTES != off, LMC_ERR_CORRUPT, "%s: the end record is not where the index says", path);
    return LMC_OK;
}

static lmc_status decompress_block(FILE *in, const char *path, const lmc_in *li, const plan *pl, uint64_t b,
                                   lmc_predictor *pred, membuf *msg) {
    uint64_t w0 = block_first_window(pl, b), w1 = block_first_window(pl, b + 1);
    int last = w1 == pl->n_windows;
    uint64_t from = li->rec_off[w0], to = last ? li->index_off : li->rec_off[w1];
    uint64_t orig = (last ? pl->size : w1 * pl->W) - w0 * pl->W;
    size_t body = (size_t)(to - from);
    membuf s = {0};
    lmc_status st = mb_reserve(&s, HEADER_BYTES + body + END_BYTES + 64 + 10 * (size_t)(w1 - w0));
    if (st != LMC_OK) return st;
    memcpy(s.p, li->header, HEADER_BYTES);
    s.n = HEADER_BYTES;
    if ((st = read_at(in, path, from, s.p + s.n, body)) != LMC_OK) goto done;
    s.n += body;
    if (!last) { /* whole groups: the end record of an empty partial group */
        uint8_t e[END_BYTES] = {0, 0, 0, 0, 0};
        mb_write(&s, e, END_BYTES);
    }
    if ((st = write_index(&s, s.n, w1 - w0, orig, li->lens + w0)) != LMC_OK) goto done;
    msg->n = 0;
    if ((st = mb_reserve(msg, MSG_HEAD + (size_t)orig)) != LMC_OK) goto done;
    memreader r = {s.p, s.n, 0};
    membuf dst = {msg->p, MSG_HEAD, msg->cap};
    lmc_codec_stats stats;
    memset(&stats, 0, sizeof stats);
    st = lmc_decompress_stream(pred, mr_read, &r, mb_write, &dst, &stats);
    msg->p = dst.p;
    msg->cap = dst.cap;
    msg->n = dst.n;
    if (st != LMC_OK) goto done;
    if (msg->n - MSG_HEAD != orig) {
        st = lmc_set_error(LMC_ERR_CORRUPT, "%s: block %llu decoded to %zu bytes, not %llu", path,
                           (unsigned long long)b, msg->n - MSG_HEAD, (unsigned long long)orig);
        goto done;
    }
    uint64_t head[6] = {w1 - w0, orig, stats.stored_windows, orig, 0, 0};
    for (int i = 0; i < 6; i++) put_le(msg->p + 8 * i, head[i], 8);
done:
    free(s.p);
    return st;
}

lmc_status cli_dist_code_file(int decompress, const char *in_path, cli_output *out, const lmc_exact_model *model,
                              lmc_device *device, uint32_t window, cli_progress *progress,
                              cli_dist_coding_result *res) {
    const int rank = cli_dist_rank(), N = cli_dist_size();
    lmc_status st = LMC_OK;
    lmc_predictor *pred = NULL;
    membuf msg = {0}, tail = {0};
    uint32_t *lens = NULL;
    lmc_in li;
    memset(&li, 0, sizeof li);
    memset(res, 0, sizeof *res);
    FILE *in = fopen(in_path, "rb");
    if (!in) return lmc_set_error(LMC_ERR_IO, "%s: %s", in_path, strerror(errno));
    uint64_t file_size = 0;
    if (fseeko(in, 0, SEEK_END) == 0) file_size = (uint64_t)ftello(in);
    plan pl;
    if ((st = cli_predictor_create(model, device, &pred)) != LMC_OK) goto done;
    if (decompress) {
        if ((st = read_lmc_index(in, in_path, file_size, &li)) != LMC_OK) goto done;
        plan_make(&pl, li.original, get_le(li.header + 16, 4), get_le(li.header + 20, 4));
        if (pl.n_windows != li.n_windows) {
            st = lmc_set_error(LMC_ERR_CORRUPT, "%s: index window count", in_path);
            goto done;
        }
        uint8_t id[LMC_MODEL_ID_SIZE];
        lmc_exact_model_id(model, id);
        if (memcmp(id, li.header + 24, LMC_MODEL_ID_SIZE) != 0) {
            st = lmc_set_error(LMC_ERR_MODEL_MISMATCH, "%s was made with another model than -m names", in_path);
            goto done;
        }
    } else {
        uint64_t W = window, G = 65536 / W > 1 ? 65536 / W : 1;
        plan_make(&pl, file_size, W, G);
    }
    if (rank == 0) {
        if (!decompress) { /* the header: the one of an empty stream of the same model and window */
            lmc_codec_params cp = lmc_codec_params_default();
            cp.window_size = window;
            memreader r = {NULL, 0, 0};
            lmc_codec_stats none;
            if ((st = lmc_compress_stream(&cp, pred, mr_read, &r, mb_write, &tail, &none)) != LMC_OK) goto done;
            if ((st = cli_output_write(out, tail.p, HEADER_BYTES)) != LMC_OK) goto done;
            lens = malloc((size_t)(pl.n_windows + 1) * sizeof *lens);
            if (!lens) {
                st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "index of %llu windows", (unsigned long long)pl.n_windows);
                goto done;
            }
        }
    }
    uint64_t windows_seen = 0, in_done = 0;
    /* Test hook: this rank fails at its first block, after rank 0 has begun writing. */
    const char *fail_env = getenv("LMC_TEST_DIST_FAIL_RANK");
    const int fail_here = fail_env && atoi(fail_env) == rank;
    for (uint64_t b = 0; b < pl.n_blocks; b++) {
        int owner = (int)(b % (uint64_t)N);
        if (owner == rank && fail_here) {
            st = lmc_set_error(LMC_ERR_IO, "rank %d failed at block %llu (test hook LMC_TEST_DIST_FAIL_RANK)", rank,
                               (unsigned long long)b);
            goto done;
        }
        if (owner == rank) {
            st = decompress ? decompress_block(in, in_path, &li, &pl, b, pred, &msg)
                            : compress_block(in, in_path, &pl, b, model, device, pred, &msg);
            if (st != LMC_OK) goto done;
            if (rank != 0 && cli_dist_send(0, 1, msg.p, msg.n) != 0) {
                st = lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "block message of %zu bytes", msg.n);
                goto done;
            }
        }
        if (rank != 0) continue;
        if (owner != 0) {
            free(msg.p);
            msg.p = NULL;
            if (cli_dist_recv(owner, 1, &msg.p, &msg.n) != 0) {
                st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "a block from rank %d", owner);
                goto done;
            }
            msg.cap = msg.n;
        }
        if (msg.n < MSG_HEAD) {
            st = lmc_set_error(LMC_ERR_CORRUPT, "short block message from rank %d", owner);
            goto done;
        }
        uint64_t nw = get_le(msg.p, 8), orig = get_le(msg.p + 8, 8), stored = get_le(msg.p + 16, 8);
        uint64_t body = get_le(msg.p + 24, 8);
        int last = b + 1 == pl.n_blocks;
        if (decompress) {
            if ((st = cli_output_write(out, msg.p + MSG_HEAD, (size_t)body)) != LMC_OK) goto done;
            in_done = li.rec_off[windows_seen + nw];
        } else {
            /* the frames and group CRCs; the block's end record only for the last block */
            size_t keep = (size_t)body - (last ? 0 : END_BYTES);
            if ((st = cli_output_write(out, msg.p + MSG_HEAD, keep)) != LMC_OK) goto done;
            for (uint64_t w = 0; w < nw; w++) lens[windows_seen + w] = (uint32_t)get_le(msg.p + MSG_HEAD + body + 4 * w, 4);
            in_done += orig;
        }
        windows_seen += nw;
        res->stored_windows += stored;
        if (progress) cli_progress_update(progress, in_done, out->written, 0);
    }
    if (rank == 0) {
        res->windows = windows_seen;
        if (!decompress) {
            uint8_t e[END_BYTES] = {0, 0, 0, 0, 0};
            if (pl.n_blocks == 0 && (st = cli_output_write(out, e, END_BYTES)) != LMC_OK) goto done;
            tail.n = 0;
            if ((st = write_index(&tail, out->written, windows_seen, pl.size, lens)) != LMC_OK) goto done;
            if ((st = cli_output_write(out, tail.p, tail.n)) != LMC_OK) goto done;
            res->in_bytes = pl.size;
        } else {
            res->in_bytes = file_size;
        }
        res->out_bytes = out->written;
        if (progress) cli_progress_update(progress, res->in_bytes, out->written, 1);
    }
done:
    lmc_exact_predictor_destroy(pred);
    free(msg.p);
    free(tail.p);
    free(lens);
    free(li.lens);
    free(li.rec_off);
    fclose(in);
    return st;
}
