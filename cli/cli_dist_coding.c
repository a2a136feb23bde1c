/* cli_dist_coding.c : sharded coding of one input across the ranks of an MPI job
 * (cli_dist_coding.h). Why the bytes equal one process's: a frame record is a function of its
 * window's bytes alone (codec/FORMAT.md §3), a group CRC of its group's bytes, and the header,
 * end record, index and trailer of the window count, the original length and the record
 * lengths; a block of whole groups coded as a stream of its own therefore holds, between its
 * header and its end record, exactly the bytes the whole stream holds there, and its index the
 * same record lengths. Rank 0 concatenates those in block order and writes the whole stream's
 * index and trailer (§4, lmc_container_index_write). Decompression is the converse: each block's
 * frames (found through the stream's index, lmc_container_index_read) get a header, end record,
 * index and trailer of their own and are decoded with every check of the streaming decoder, and
 * rank 0 writes the decoded bytes in block order. The .lmc format itself is the codec's
 * (codec/container.c): this file only cuts streams at group boundaries and moves them.
 * Messages: one per block from its rank to rank 0, tag 1: MSG_FIELDS u64 little-endian (windows,
 * original bytes, stored windows, payload bytes, model bytes, 0), then the block's whole .lmc
 * stream (compression; rank 0 reads its record lengths from its index) or its decoded bytes
 * (decompression). */
#define _POSIX_C_SOURCE 200809L
#include "cli_dist_coding.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_dist.h"

#define HEADER_BYTES CLI_LMC_HEADER_BYTES
#define END_BYTES 5
#define MSG_FIELDS 6
#define MSG_HEAD (8 * MSG_FIELDS)
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

/* A stream in memory, read front to back (the streaming codec). */
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

static lmc_status bytes_read_at(void *user, uint64_t off, void *dst, size_t n) {
    const cli_dist_bytes *b = user;
    LMC_RETURN_IF(off > b->n || n > b->n - off, LMC_ERR_TRUNCATED,
                  "%zu bytes at offset %llu of a %zu-byte stream", n, (unsigned long long)off, b->n);
    if (n) memcpy(dst, b->p + off, n);
    return LMC_OK;
}

cli_dist_input cli_dist_input_bytes(const cli_dist_bytes *b, const char *name) {
    cli_dist_input in = {bytes_read_at, (void *)(uintptr_t)b, b->n, name};
    return in;
}

static void msg_head_put(uint8_t *p, const uint64_t v[MSG_FIELDS]) {
    for (int f = 0; f < MSG_FIELDS; f++)
        for (int i = 0; i < 8; i++) p[8 * f + i] = (uint8_t)(v[f] >> (8 * i));
}
static void msg_head_get(const uint8_t *p, uint64_t v[MSG_FIELDS]) {
    for (int f = 0; f < MSG_FIELDS; f++) {
        v[f] = 0;
        for (int i = 0; i < 8; i++) v[f] |= (uint64_t)p[8 * f + i] << (8 * i);
    }
}
enum { MSG_WINDOWS, MSG_ORIGINAL, MSG_STORED, MSG_PAYLOAD, MSG_MODEL_BYTES };

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

/* Block b of the input as a message: its head, then the block coded as a stream of its own. */
static lmc_status compress_block(const cli_dist_input *in, const plan *pl, uint64_t b, lmc_predictor *pred,
                                 membuf *msg) {
    uint64_t w0 = block_first_window(pl, b), w1 = block_first_window(pl, b + 1);
    uint64_t off = w0 * pl->W, end = w1 * pl->W < pl->size ? w1 * pl->W : pl->size;
    size_t n = (size_t)(end - off);
    uint8_t *src = malloc(n + 1);
    if (!src) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "block of %zu bytes", n);
    lmc_status st = in->read_at(in->user, off, src, n);
    msg->n = 0;
    if (st == LMC_OK) st = mb_reserve(msg, MSG_HEAD);
    msg->n = MSG_HEAD;
    lmc_codec_stats stats;
    memset(&stats, 0, sizeof stats);
    if (st == LMC_OK) {
        lmc_codec_params cp = lmc_codec_params_default();
        cp.window_size = (uint32_t)pl->W;
        memreader r = {src, n, 0};
        st = lmc_compress_stream(&cp, pred, mr_read, &r, mb_write, msg, &stats);
    }
    free(src);
    LMC_TRY(st);
    uint64_t head[MSG_FIELDS] = {stats.n_windows,     stats.original_bytes, stats.stored_windows,
                                 stats.payload_bytes, stats.model_bytes,    0};
    msg_head_put(msg->p, head);
    return LMC_OK;
}

/* Rank 0: the frames and group CRCs of block stream s (n bytes; its end record only when it is
 * the last block) to `write`, its record lengths to lens. */
static lmc_status append_block_frames(const uint8_t *s, size_t n, int last, const plan *pl,
                                      lmc_write_fn write, void *wuser, uint32_t *lens, uint64_t *windows) {
    cli_dist_bytes block = {s, n};
    lmc_container_index ix;
    LMC_TRY(lmc_container_index_read(bytes_read_at, &block, n, &ix));
    lmc_status st = LMC_OK;
    if (ix.info.window_size != pl->W || *windows + ix.info.n_windows > pl->n_windows)
        st =
            lmc_set_error(LMC_ERR_CORRUPT, "a block stream of %llu windows of %u bytes does not fit the plan",
                          (unsigned long long)ix.info.n_windows, ix.info.window_size);
    if (st == LMC_OK)
        st =
            write(wuser, s + HEADER_BYTES, (size_t)(ix.index_offset - HEADER_BYTES - (last ? 0 : END_BYTES)));
    if (st == LMC_OK) {
        memcpy(lens + *windows, ix.record_lens, (size_t)ix.info.n_windows * sizeof *lens);
        *windows += ix.info.n_windows;
    }
    lmc_container_index_free(&ix);
    return st;
}

/* ---- decompression ---- */

/* Block b of the stream `in` (index ix, header bytes `header`) decoded, as a message. */
static lmc_status decompress_block(const cli_dist_input *in, const uint8_t *header,
                                   const lmc_container_index *ix, const plan *pl, uint64_t b,
                                   lmc_predictor *pred, membuf *msg) {
    uint64_t w0 = block_first_window(pl, b), w1 = block_first_window(pl, b + 1);
    int last = w1 == pl->n_windows;
    uint64_t from = ix->record_offsets[w0], to = last ? ix->index_offset : ix->record_offsets[w1];
    uint64_t orig = (last ? pl->size : w1 * pl->W) - w0 * pl->W;
    size_t body = (size_t)(to - from);
    membuf s = {0};
    lmc_status st = mb_reserve(&s, HEADER_BYTES + body + END_BYTES);
    if (st != LMC_OK) return st;
    memcpy(s.p, header, HEADER_BYTES);
    s.n = HEADER_BYTES;
    if ((st = in->read_at(in->user, from, s.p + s.n, body)) != LMC_OK) goto done;
    s.n += body;
    if (!last) { /* whole groups: the end record of an empty partial group */
        static const uint8_t empty_end[END_BYTES] = {0, 0, 0, 0, 0};
        mb_write(&s, empty_end, END_BYTES);
    }
    if ((st = lmc_container_index_write(mb_write, &s, s.n, w1 - w0, orig, ix->record_lens + w0)) != LMC_OK)
        goto done;
    msg->n = 0;
    if ((st = mb_reserve(msg, MSG_HEAD + (size_t)orig)) != LMC_OK) goto done;
    msg->n = MSG_HEAD;
    memreader r = {s.p, s.n, 0};
    lmc_codec_stats stats;
    memset(&stats, 0, sizeof stats);
    if ((st = lmc_decompress_stream(pred, mr_read, &r, mb_write, msg, &stats)) != LMC_OK) goto done;
    if (msg->n - MSG_HEAD != orig) {
        st = lmc_set_error(LMC_ERR_CORRUPT, "%s: block %llu decoded to %zu bytes, not %llu", in->name,
                           (unsigned long long)b, msg->n - MSG_HEAD, (unsigned long long)orig);
        goto done;
    }
    uint64_t head[MSG_FIELDS] = {w1 - w0,           orig, stats.stored_windows, stats.payload_bytes,
                                 stats.model_bytes, 0};
    msg_head_put(msg->p, head);
done:
    free(s.p);
    return st;
}

/* ---- both ---- */

/* A write callback that counts what rank 0 has written. */
typedef struct counted_sink {
    lmc_write_fn write;
    void *user;
    uint64_t written;
} counted_sink;

static lmc_status counted_write(void *user, const void *data, size_t n) {
    counted_sink *c = user;
    LMC_TRY(c->write(c->user, data, n));
    c->written += n;
    return LMC_OK;
}

lmc_status cli_dist_code(int decompress, const cli_dist_input *in, lmc_write_fn write, void *wuser,
                         const lmc_exact_model *model, lmc_device *device, uint32_t window,
                         cli_dist_progress_fn progress, void *puser, cli_dist_coding_result *res) {
    const int rank = cli_dist_rank(), N = cli_dist_size();
    lmc_status st = LMC_OK;
    lmc_predictor *pred = NULL;
    membuf msg = {0}, head = {0};
    uint32_t *lens = NULL;
    lmc_container_index ix;
    uint8_t header[HEADER_BYTES];
    counted_sink out = {write, wuser, 0};
    memset(&ix, 0, sizeof ix);
    memset(res, 0, sizeof *res);
    plan pl;
    if ((st = cli_predictor_create(model, device, &pred)) != LMC_OK) goto done;
    if (decompress) {
        if ((st = lmc_container_index_read(in->read_at, in->user, in->size, &ix)) != LMC_OK) goto done;
        if ((st = in->read_at(in->user, 0, header, HEADER_BYTES)) != LMC_OK) goto done;
        if (memcmp(ix.info.model_id, pred->model_id, LMC_MODEL_ID_SIZE) != 0) {
            st = lmc_set_error(LMC_ERR_MODEL_MISMATCH, "%s was made with another model than -m names",
                               in->name);
            goto done;
        }
        plan_make(&pl, ix.info.original_bytes, ix.info.window_size, ix.info.group_windows);
    } else {
        uint64_t W = window, G = 65536 / W > 1 ? 65536 / W : 1;
        plan_make(&pl, in->size, W, G);
    }
    if (rank == 0 && !decompress) { /* the header: the one of an empty stream of the same model and window */
        lmc_codec_params cp = lmc_codec_params_default();
        cp.window_size = window;
        memreader r = {NULL, 0, 0};
        if ((st = lmc_compress_stream(&cp, pred, mr_read, &r, mb_write, &head, NULL)) != LMC_OK) goto done;
        if ((st = counted_write(&out, head.p, HEADER_BYTES)) != LMC_OK) goto done;
        lens = malloc((size_t)(pl.n_windows + 1) * sizeof *lens);
        if (!lens) {
            st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "index of %llu windows",
                               (unsigned long long)pl.n_windows);
            goto done;
        }
    }
    uint64_t windows_seen = 0, in_done = 0;
    /* Test hooks: this rank fails (LMC_TEST_DIST_FAIL_RANK) before its first block, or kills
     * itself with SIGKILL (LMC_TEST_DIST_KILL_RANK) once it has coded its first block and before
     * sending it, while rank 0 has the output open and waits for that block. */
    const char *fail_env = getenv("LMC_TEST_DIST_FAIL_RANK"), *kill_env = getenv("LMC_TEST_DIST_KILL_RANK");
    const int fail_here = fail_env && atoi(fail_env) == rank, kill_here = kill_env && atoi(kill_env) == rank;
    for (uint64_t b = 0; b < pl.n_blocks; b++) {
        int owner = (int)(b % (uint64_t)N);
        if (owner == rank && fail_here) {
            st = lmc_set_error(LMC_ERR_IO, "rank %d failed at block %llu (test hook LMC_TEST_DIST_FAIL_RANK)", rank,
                               (unsigned long long)b);
            goto done;
        }
        if (owner == rank) {
            st = decompress ? decompress_block(in, header, &ix, &pl, b, pred, &msg)
                            : compress_block(in, &pl, b, pred, &msg);
            if (st != LMC_OK) goto done;
            if (kill_here) raise(SIGKILL);
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
        uint64_t h[MSG_FIELDS];
        msg_head_get(msg.p, h);
        if (decompress) {
            if ((st = counted_write(&out, msg.p + MSG_HEAD, msg.n - MSG_HEAD)) != LMC_OK) goto done;
            windows_seen += h[MSG_WINDOWS];
            in_done = ix.record_offsets[windows_seen];
        } else {
            st = append_block_frames(msg.p + MSG_HEAD, msg.n - MSG_HEAD, b + 1 == pl.n_blocks, &pl,
                                     counted_write, &out, lens, &windows_seen);
            if (st != LMC_OK) goto done;
            in_done += h[MSG_ORIGINAL];
        }
        res->stored_windows += h[MSG_STORED];
        res->payload_bytes += h[MSG_PAYLOAD];
        res->model_bytes += h[MSG_MODEL_BYTES];
        if (progress) progress(puser, in_done, out.written, 0);
    }
    if (rank == 0) {
        res->windows = windows_seen;
        if (!decompress) {
            static const uint8_t empty_end[END_BYTES] = {0, 0, 0, 0, 0};
            if (pl.n_blocks == 0 && (st = counted_write(&out, empty_end, END_BYTES)) != LMC_OK) goto done;
            st = lmc_container_index_write(counted_write, &out, out.written, windows_seen, pl.size, lens);
            if (st != LMC_OK) goto done;
            res->in_bytes = pl.size;
        } else {
            res->in_bytes = in->size;
        }
        res->out_bytes = out.written;
        if (progress) progress(puser, res->in_bytes, out.written, 1);
    }
done:
    lmc_exact_predictor_destroy(pred);
    free(msg.p);
    free(head.p);
    free(lens);
    lmc_container_index_free(&ix);
    return st;
}

/* ---- a regular file ---- */

typedef struct file_source {
    FILE *f;
    const char *path;
} file_source;

static lmc_status file_read_at(void *user, uint64_t off, void *dst, size_t n) {
    file_source *s = user;
    if (fseeko(s->f, (off_t)off, SEEK_SET) != 0 || fread(dst, 1, n, s->f) != n)
        return lmc_set_error(ferror(s->f) ? LMC_ERR_IO : LMC_ERR_TRUNCATED,
                             "%s: cannot read %zu bytes at offset %llu", s->path, n, (unsigned long long)off);
    return LMC_OK;
}

static void file_progress(void *user, uint64_t in_done, uint64_t out_done, int final) {
    cli_progress_update(user, in_done, out_done, final);
}

lmc_status cli_dist_code_file(int decompress, const char *in_path, cli_output *out,
                              const lmc_exact_model *model, lmc_device *device, uint32_t window,
                              cli_progress *progress, cli_dist_coding_result *res) {
    memset(res, 0, sizeof *res);
    file_source src = {fopen(in_path, "rb"), in_path};
    if (!src.f) return lmc_set_error(LMC_ERR_IO, "%s: %s", in_path, strerror(errno));
    uint64_t size = 0;
    if (fseeko(src.f, 0, SEEK_END) == 0) size = (uint64_t)ftello(src.f);
    cli_dist_input in = {file_read_at, &src, size, in_path};
    lmc_status st = cli_dist_code(decompress, &in, cli_output_write, out, model, device, window,
                                  progress ? file_progress : NULL, progress, res);
    fclose(src.f);
    return st;
}
