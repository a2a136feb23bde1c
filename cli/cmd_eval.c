/* cmd_eval.c : `lmc eval`, the paper's protocol (DESIGN.md §6): every (compressor, dataset) pair
 * gives the chunked rate (2048-byte chunks, a classical header counted once) and the unchunked
 * rate (one stream), time and MB/s, printed in the layout of the paper's Table 1 with the
 * published figure beside ours, or as a JSON list with --json.
 *
 * A compressor name resolves to a row kind: `classical` (the lmc_baseline registry; every chunk
 * is round-tripped before a rate is printed) or `lm:MODEL`:
 * - a coding model (a built-in name, `default`, or an lmc-exact-1/-2 file): the dataset's chunks are
 *   coded as one .lmc stream with 2048-byte windows (one window per chunk, each from BOS), then
 *   decoded and compared byte for byte. chunked_rate = the model's own payload / raw: the range
 *   coder's output summed over every chunk, also the chunks the .lmc file stores as they are
 *   because the model could not shrink them (the paper's count, no header: above 100% on data
 *   the model cannot predict); file_rate = the whole .lmc stream / raw (at most about 100.2%
 *   plus the stream's fixed bytes, codec/FORMAT.md §7); adjusted_rate adds the model at 2 bytes
 *   per parameter (the paper's rule), adjusted_file_rate adds the coding model file's real size
 *   (its canonical serialisation) to the file.
 * - a float model (an lmc-float-1 file): the ideal code length of its Q16 rows through the codec's
 *   quantiser (lmc_model_code_length, no file written): chunked_rate is that payload rate,
 *   adjusted_rate adds 2 bytes per parameter; file_rate and adjusted_file_rate are null since no
 *   .lmc file exists.
 * The forward runs on --device (default: the fastest, DESIGN.md §6). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_dist_coding.h"
#include "lmc/baseline.h"
#include "lmc/data.h"
#include "lmc/exact.h"
#include "lmc/train.h"
#include "mpi_dist.h"
#include "plot_png.h"

#ifndef LMC_SOURCE_DIR
#error "LMC_SOURCE_DIR must be defined by the build"
#endif

/* Random bytes for `--dataset all`: 4 MiB (2048 chunks), enough for every rate to settle to a
 * tenth of a point; the paper used 1 GB. */
#define EVAL_RANDOM_ALL "random:4M"

/* The paper's public corpora that scripts/fetch-data.sh downloads, by the name --dataset takes;
 * each is unpacked into the folder of that name under the data folder. */
static const struct {
    const char *name, *kind; /* kind: the spec prefix its reader takes */
} fetched_sets[] = {
    {"enwik8", "text:"},
    {"enwik9", "text:"},
    {"librispeech-test-clean", "audio:"},
    {"kodak", "image:"},
};

static int is_folder(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* `name` is one of fetched_sets: *spec = "KIND:DIR/NAME" (malloc'd) and LMC_OK, or
 * LMC_ERR_NOT_FOUND naming the script to run when its folder is missing. Not one of them:
 * LMC_OK with *spec NULL. */
static lmc_status resolve_fetched(const char *name, char **spec) {
    *spec = NULL;
    for (size_t i = 0; i < sizeof fetched_sets / sizeof fetched_sets[0]; i++) {
        if (strcmp(fetched_sets[i].name, name) != 0) continue;
        char buf[4096], user[2048];
        const char *user_dir = cli_user_data_dir(user, sizeof user);
        const char *dir = cli_data_dir(buf, sizeof buf);
        if (!dir)
            return lmc_set_error(LMC_ERR_NOT_FOUND, "--dataset %s: %s", name, lmc_last_error());
        size_t len = strlen(fetched_sets[i].kind) + strlen(dir) + strlen(name) + 2;
        char *out = malloc(len);
        if (!out) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory");
        snprintf(out, len, "%s%s/%s", fetched_sets[i].kind, dir, name);
        if (!is_folder(out + strlen(fetched_sets[i].kind))) {
            lmc_set_error(LMC_ERR_NOT_FOUND,
                          "--dataset %s: the data folder %s has no %s/ folder; download it with "
                          "%s/scripts/fetch-data.sh %s (it writes to $LMC_DATA_DIR, else %s)",
                          name, dir, name, LMC_SOURCE_DIR, name,
                          user_dir ? user_dir : "~/.local/share/lmc/data");
            free(out);
            return LMC_ERR_NOT_FOUND;
        }
        *spec = out;
        return LMC_OK;
    }
    return LMC_OK;
}

typedef enum eval_kind { EVAL_CLASSICAL = 0, EVAL_LM = 1, EVAL_LM_CODING = 2 } eval_kind;

typedef struct eval_compressor {
    const char *name; /* as given (or expanded from `all`) */
    eval_kind kind;
    const lmc_baseline *baseline; /* EVAL_CLASSICAL */
    lmc_model *model;             /* EVAL_LM: the float model, owned */
    lmc_exact_model *coding;      /* EVAL_LM_CODING: the coding model, owned */
    size_t coding_file_bytes;     /* EVAL_LM_CODING: size of its canonical file */
    size_t params;                /* EVAL_LM*: the model's parameters; 0 otherwise */
} eval_compressor;

typedef struct eval_row {
    size_t compressor, dataset; /* indices */
    lmc_baseline_result r;
    double adjusted_rate;      /* EVAL_LM*: (payload + 2 bytes per parameter) / raw */
    double file_rate;          /* EVAL_LM_CODING: .lmc stream / raw; NAN otherwise */
    double adjusted_file_rate; /* EVAL_LM_CODING: (.lmc stream + coding model file) / raw */
    int64_t stored_chunks;     /* EVAL_LM_CODING: chunks the .lmc stream stores as they are; -1 otherwise */
} eval_row;

static int is_lm(eval_kind k) { return k == EVAL_LM || k == EVAL_LM_CODING; }

/* The paper's Table 1 (PAPER.md), in %: [compressor][whole = 0, chunked = 1][data kind];
 * negative where the paper has no figure. */
static const struct {
    const char *name;
    double rate[2][4];
} paper_table[] = {
    {"gzip", {{32.3, 70.7, 36.4, 100.0}, {48.1, 68.6, 38.5, 100.1}}},
    {"lzma2", {{23.0, 57.9, 29.9, 100.0}, {50.0, 62.4, 38.2, 100.0}}},
    {"png", {{42.9, 58.5, 32.2, 100.0}, {80.6, 61.7, 37.6, 103.2}}},
    {"flac", {{89.5, 61.9, 30.9, 107.8}, {88.9, 60.9, 30.3, 107.2}}},
};
static const char *const paper_column[4] = {"enwik9", "ImageNet", "LibriSpeech", "random"};

static double paper_rate(const char *compressor, int chunked, lmc_data_kind kind) {
    for (size_t i = 0; i < sizeof paper_table / sizeof paper_table[0]; i++)
        if (strcmp(paper_table[i].name, compressor) == 0) return paper_table[i].rate[chunked][kind];
    return -1.0;
}

static void print_eval_help(void) {
    printf("Usage: lmc eval --compressor LIST --dataset LIST [--chunks N] [--json] [--mask7] [--seed S]\n"
           "                [--device SEL] [--plot FILE.png]\n\n"
           "Reproduce the paper's Table 1 protocol: each dataset is cut into 2048-byte chunks\n"
           "(whole chunks only); each compressor gives the chunked rate (every chunk on its own,\n"
           "the header counted once: (sum of chunk sizes - (n-1) * size of one compressed zero\n"
           "byte) / raw) and the unchunked rate (one stream over all chunks). Every chunk and the\n"
           "stream are decompressed and compared. The table shows ours with the paper's figure in\n"
           "parentheses; a progress bar goes to stderr on a terminal.\n\n"
           "Options:\n"
           "  --compressor LIST  comma list of gzip, lzma2, png, flac, zstd, lm:MODEL; 'all' = the\n"
           "                     classical five. lm:MODEL is a coding model first (default, a\n"
           "                     built-in name, a coding model file: its chunks are coded as one\n"
           "                     .lmc stream, decoded and compared), else a float model\n"
           "                     (lm:FILE.safetensors, rated by the ideal code length of its Q16\n"
           "                     rows through the codec's quantiser, no file written)\n"
           "  --device SEL       device of the model's forward pass (default: the fastest)\n"
           "  --dataset LIST     comma list of text:PATH, image:PATH, audio:PATH, random:N\n"
           "                     (PATH a file or a folder read recursively in sorted order; N bytes,\n"
           "                     k/M/G suffixes allowed), or a corpus scripts/fetch-data.sh downloads:\n"
           "                     enwik8, enwik9 (text:DIR/NAME), librispeech-test-clean (audio:DIR/NAME),\n"
           "                     kodak (image:DIR/NAME); 'all' = the corpora under the data folder:\n"
           "                     text:DIR/text/eval (else DIR/enwik9, else DIR/enwik8), image:DIR/images\n"
           "                     (else DIR/kodak), audio:DIR/audio (else DIR/librispeech-test-clean),\n"
           "                     " EVAL_RANDOM_ALL "\n"
           "  --chunks N         use only the first N chunks of each dataset\n"
           "  --mask7            the paper's 7-bit masking: text bytes >= 128 lose the top bit,\n"
           "                     image/audio/random bytes are shifted right by one; compressed\n"
           "                     lengths are scaled by 8/7\n"
           "  --seed S           seed of random:N (splitmix64, default 0)\n"
           "  --plot FILE.png    the scaling plot: per dataset, the chunked rate (raw) and the adjusted\n"
           "                     rate (2 bytes per parameter) of every lm: row against its parameters\n"
           "                     (log axis), the classical rows' chunked rates as dashed lines; needs\n"
           "                     an lm: compressor; written atomically after the table\n"
           "  --json             stdout holds only a JSON list of objects: compressor, dataset (the\n"
           "                     names given; 'all' and corpus-name rows carry the expanded spec),\n"
           "                     raw_bytes, chunks, chunked_rate, unchunked_rate (fractions),\n"
           "                     seconds, mask7; lm: rows have parameters, chunked_rate (the\n"
           "                     model's payload, chunks stored as they are counted at their coded\n"
           "                     size), file_rate (the .lmc stream), adjusted_rate (model at 2\n"
           "                     bytes per parameter), adjusted_file_rate and stored_chunks (null\n"
           "                     for float models) instead of unchunked_rate\n"
           "  -h, --help         this help\n\n"
           "Data: images are gray = floor(mean(R,G,B)) cut into 32x64 patches (32 rows, 64 columns),\n"
           "image by image; audio (FLAC or 8/16/24/32-bit PCM WAV) is mono = mean of channels,\n"
           "resampled to 16 kHz by linear interpolation (no anti-alias filter), 16-bit sample s ->\n"
           "(s >> 8) + 128. Each file is chunked on its own; its partial last chunk is dropped.\n\n"
           "Data folder (DIR above): $LMC_DATA_DIR if set; else $XDG_DATA_HOME/lmc/data (XDG_DATA_HOME\n"
           "set) or ~/.local/share/lmc/data if it exists, where %s/scripts/fetch-data.sh\n"
           "puts the corpora; else, for development, ../shared/data relative to the current folder\n"
           "if it exists; else ../shared/data next to the source tree this program was built from\n"
           "(%s/../shared/data).\n\n"
           "Under mpirun -np N the ranks share the coding-model rows (the same figures as one process\n"
           "but seconds); float-model and classical rows run on rank 0, which alone prints.\n",
           LMC_SOURCE_DIR, LMC_SOURCE_DIR);
}

/* Split a comma list into `items` (pointers into `list`, which is modified). Returns the number
 * of items, which may exceed `cap` (only the first `cap` are stored). */
static size_t split_list(char *list, char **items, size_t cap) {
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (tok[0]) {
            if (n < cap) items[n] = tok;
            n++;
        }
    return n;
}

static lmc_status resolve_compressor(const char *name, eval_compressor *out) {
    memset(out, 0, sizeof *out);
    out->name = name;
    if (strncmp(name, "lm:", 3) == 0) {
        const char *path = name + 3;
        LMC_RETURN_IF(!path[0], LMC_ERR_INVALID_ARGUMENT, "lm: needs a model: lm:default, a built-in name or a file");
        /* A coding model first (built-in names, `default`, coding model files), then a float one. */
        lmc_status st = lmc_exact_model_open(path, &out->coding);
        if (st == LMC_OK) {
            out->kind = EVAL_LM_CODING;
            lmc_model_config mc = lmc_exact_model_get_config(out->coding);
            out->params = lmc_model_config_num_params(&mc);
            uint8_t *image = NULL;
            st = lmc_exact_model_serialize(out->coding, &image, &out->coding_file_bytes);
            free(image);
            return st;
        }
        char exact_detail[512];
        snprintf(exact_detail, sizeof exact_detail, "%s", lmc_last_error());
        lmc_status float_st = lmc_model_load(path, &out->model);
        if (float_st == LMC_OK) {
            out->kind = EVAL_LM;
            out->params = lmc_model_config_num_params(lmc_model_get_config(out->model));
            return LMC_OK;
        }
        if (st == LMC_ERR_NOT_FOUND || st == LMC_ERR_IO) /* no such file or name: one message */
            return lmc_set_error(st, "%s: %s", name, exact_detail);
        char float_detail[512];
        snprintf(float_detail, sizeof float_detail, "%s", lmc_last_error());
        return lmc_set_error(LMC_ERR_MODEL, "%s: neither a coding model (%s) nor a float model (%s)", name,
                             exact_detail, float_detail);
    }
    out->kind = EVAL_CLASSICAL;
    out->baseline = lmc_baseline_find(name);
    LMC_RETURN_IF(!out->baseline, LMC_ERR_INVALID_ARGUMENT,
                  "unknown compressor '%s' (known: gzip, lzma2, png, flac, zstd, lm:MODEL)", name);
    return LMC_OK;
}

typedef struct progress_state {
    int on;
    const char *compressor, *dataset;
} progress_state;

static void show_progress(uint64_t done, uint64_t total, void *user) {
    const progress_state *p = user;
    if (!p->on || total == 0) return;
    int width = 30, filled = (int)((double)width * (double)done / (double)total);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %3d%% %s on %.40s", bar, (int)(100.0 * (double)done / (double)total),
            p->compressor, p->dataset);
    fflush(stderr);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Memory sinks and sources for the streaming codec. */
typedef struct mem_buf {
    uint8_t *p;
    size_t n, cap, pos;
} mem_buf;

static lmc_status mem_write(void *user, const void *data, size_t n) {
    mem_buf *b = user;
    LMC_RETURN_IF(n > b->cap - b->n, LMC_ERR_BUFFER_TOO_SMALL, "the .lmc stream outgrew its bound");
    memcpy(b->p + b->n, data, n);
    b->n += n;
    return LMC_OK;
}

static lmc_status mem_read(void *user, void *data, size_t cap, size_t *got) {
    mem_buf *b = user;
    size_t k = b->n - b->pos < cap ? b->n - b->pos : cap;
    memcpy(data, b->p + b->pos, k);
    b->pos += k;
    *got = k;
    return LMC_OK;
}

/* A coding model codes one chunk per window, each from BOS: its context must hold a chunk. */
static lmc_status check_coding_context(const eval_compressor *c) {
    LMC_RETURN_IF((size_t)lmc_exact_model_get_config(c->coding).context < LMC_CHUNK_BYTES,
                  LMC_ERR_UNSUPPORTED, "%s: the model's context %d is shorter than a %d-byte chunk", c->name,
                  lmc_exact_model_get_config(c->coding).context, LMC_CHUNK_BYTES);
    return LMC_OK;
}

/* The figures of a coding row from what its .lmc stream held (n chunks of raw bytes). */
static void fill_coding_row(const eval_compressor *c, size_t n, double scale, uint64_t model_bytes,
                            uint64_t file_bytes, uint64_t stored_windows, double compress_s,
                            double decompress_s, eval_row *row) {
    const double raw = (double)n * LMC_CHUNK_BYTES;
    lmc_model_config mc = lmc_exact_model_get_config(c->coding);
    double params = (double)lmc_model_config_num_params(&mc);
    memset(&row->r, 0, sizeof row->r);
    row->r.raw_bytes = (uint64_t)n * LMC_CHUNK_BYTES;
    row->r.n_chunks = n;
    /* The model's payload (stored chunks at their coded size), not the stream's frames. */
    row->r.chunked_rate = scale * (double)model_bytes / raw;
    row->r.compress_seconds = compress_s;
    row->r.decompress_seconds = decompress_s;
    row->adjusted_rate = (scale * (double)model_bytes + 2.0 * params) / raw;
    row->file_rate = scale * (double)file_bytes / raw;
    row->adjusted_file_rate = (scale * (double)file_bytes + (double)c->coding_file_bytes) / raw;
    row->stored_chunks = (int64_t)stored_windows;
}

/* A coding model's row: the n chunks coded as one .lmc stream (window = chunk), timed, then
 * decoded and compared; progress in windows, encoding then decoding. */
static lmc_status measure_coding(const eval_compressor *c, const lmc_dataset *ds, double scale,
                                 progress_state *progress, lmc_device *device, eval_row *row) {
    size_t n = lmc_dataset_chunk_count(ds), raw = n * LMC_CHUNK_BYTES;
    const uint8_t *src = lmc_dataset_bytes(ds);
    lmc_codec_params cp = lmc_codec_params_default();
    cp.window_size = LMC_CHUNK_BYTES;
    LMC_TRY(check_coding_context(c));
    lmc_predictor *pred = NULL;
    lmc_encoder *enc = NULL;
    lmc_decoder *dec = NULL;
    mem_buf out = {NULL, 0, lmc_compress_bound(raw, cp.window_size), 0};
    uint8_t *back = NULL;
    lmc_status st = lmc_exact_predictor_create(c->coding, device, NULL, &pred);
    if (st != LMC_OK) goto done;
    size_t step = pred->max_windows * LMC_CHUNK_BYTES; /* one device batch per write */
    out.p = malloc(out.cap);
    back = malloc(raw + 1); /* +1: the last read asks for one byte past raw, to see the end */
    if (!out.p || !back) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: buffers for %zu bytes", c->name, raw);
        goto done;
    }
    double t0 = now_seconds();
    if ((st = lmc_encoder_create(&cp, pred, mem_write, &out, &enc)) != LMC_OK) goto done;
    for (size_t off = 0; off < raw && st == LMC_OK; off += step) {
        st = lmc_encoder_write(enc, src + off, raw - off < step ? raw - off : step);
        show_progress(off / LMC_CHUNK_BYTES, 2 * (uint64_t)n, progress);
    }
    lmc_codec_stats stats;
    if (st == LMC_OK) st = lmc_encoder_finish(enc, &stats);
    if (st != LMC_OK) goto done;
    double t1 = now_seconds();
    if ((st = lmc_decoder_create(pred, mem_read, &out, &dec)) != LMC_OK) goto done;
    size_t got_total = 0, got = 0;
    do {
        size_t want = raw - got_total < step ? raw - got_total : step;
        st = lmc_decoder_read(dec, back + got_total, want ? want : 1, &got);
        got_total += got;
        show_progress((uint64_t)n + got_total / LMC_CHUNK_BYTES, 2 * (uint64_t)n, progress);
    } while (st == LMC_OK && got > 0 && got_total <= raw);
    if (st != LMC_OK) goto done;
    if (got_total != raw || memcmp(back, src, raw) != 0) {
        st = lmc_set_error(LMC_ERR_VERIFY_MISMATCH, "%s: the decoded bytes differ from the input", c->name);
        goto done;
    }
    fill_coding_row(c, n, scale, stats.model_bytes, stats.file_bytes, stats.stored_windows, t1 - t0,
                    now_seconds() - t1, row);
done:
    lmc_decoder_destroy(dec);
    lmc_encoder_destroy(enc);
    lmc_exact_predictor_destroy(pred);
    free(out.p);
    free(back);
    return st;
}

/* ---- a coding row under mpirun (docs/scale-out.md) ---- */

/* Rank 0 while decoding: the decoded blocks, in order, against the dataset's bytes. */
typedef struct compare_sink {
    const char *name;
    const uint8_t *want;
    size_t n, at;
} compare_sink;

static lmc_status compare_write(void *user, const void *data, size_t n) {
    compare_sink *c = user;
    LMC_RETURN_IF(n > c->n - c->at || memcmp(c->want + c->at, data, n) != 0, LMC_ERR_VERIFY_MISMATCH,
                  "%s: the decoded bytes differ from the input (from byte %zu on)", c->name, c->at);
    c->at += n;
    return LMC_OK;
}

typedef struct dist_progress {
    progress_state *state;
    uint64_t n_chunks;
    int decoding;
} dist_progress;

static void show_dist_progress(void *user, uint64_t in_done, uint64_t out_done, int final) {
    const dist_progress *d = user;
    (void) final;
    uint64_t done = d->decoding ? d->n_chunks + out_done / LMC_CHUNK_BYTES : in_done / LMC_CHUNK_BYTES;
    show_progress(done, 2 * d->n_chunks, d->state);
}

/* The same row with every rank of the job: the chunks are coded by the sharded compressor
 * (cli_dist_coding.h: blocks of whole checksum groups round-robin, rank 0 assembling the very
 * stream one process writes), rank 0 hands the stream to every rank, and the sharded
 * decompressor decodes it, rank 0 comparing the blocks with the input as they arrive. Every
 * figure but the seconds equals one process's: the stream's bytes are the same, and the model's
 * payload is a sum of per-window integers. */
static lmc_status measure_coding_dist(const eval_compressor *c, const lmc_dataset *ds, double scale,
                                      progress_state *progress, lmc_device *device, eval_row *row) {
    const int lead = cli_dist_rank() == 0;
    size_t n = lmc_dataset_chunk_count(ds), raw = n * LMC_CHUNK_BYTES;
    LMC_TRY(check_coding_context(c));
    cli_dist_bytes src = {lmc_dataset_bytes(ds), raw};
    mem_buf out = {NULL, 0, lead ? lmc_compress_bound(raw, LMC_CHUNK_BYTES) : 0, 0};
    unsigned char *stream = NULL;
    size_t stream_n = 0;
    if (lead && !(out.p = malloc(out.cap)))
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: a stream buffer of %zu bytes", c->name, out.cap);
    dist_progress dp = {progress, n, 0};
    cli_dist_coding_result enc, dec;
    cli_dist_input in = cli_dist_input_bytes(&src, c->name);
    double t0 = now_seconds();
    lmc_status st = cli_dist_code(0, &in, lead ? mem_write : NULL, &out, c->coding, device, LMC_CHUNK_BYTES,
                                  lead ? show_dist_progress : NULL, &dp, &enc);
    double t1 = now_seconds();
    if (st == LMC_OK) {
        stream = out.p;
        stream_n = out.n;
        if (cli_dist_broadcast(&stream, &stream_n) != 0)
            st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: a copy of the .lmc stream", c->name);
    }
    if (st == LMC_OK) {
        cli_dist_bytes coded = {stream, stream_n};
        cli_dist_input in_coded = cli_dist_input_bytes(&coded, c->name);
        compare_sink cmp = {c->name, src.p, raw, 0};
        dp.decoding = 1;
        st = cli_dist_code(1, &in_coded, lead ? compare_write : NULL, &cmp, c->coding, device, 0,
                           lead ? show_dist_progress : NULL, &dp, &dec);
        if (st == LMC_OK && lead && cmp.at != raw)
            st = lmc_set_error(LMC_ERR_VERIFY_MISMATCH, "%s: decoded %zu bytes of %zu", c->name, cmp.at, raw);
    }
    if (st == LMC_OK && lead)
        fill_coding_row(c, n, scale, enc.model_bytes, enc.out_bytes, enc.stored_windows, t1 - t0,
                        now_seconds() - t1, row);
    if (stream != out.p) free(stream);
    free(out.p);
    return st;
}

static lmc_status measure_row(const eval_compressor *c, const lmc_dataset *ds, double scale,
                              progress_state *progress, lmc_device *device, eval_row *row) {
    switch (c->kind) {
    case EVAL_CLASSICAL:
        return lmc_baseline_measure(c->baseline, lmc_dataset_bytes(ds), lmc_dataset_chunk_count(ds),
                                    LMC_CHUNK_BYTES, scale, show_progress, progress, &row->r);
    case EVAL_LM: {
        size_t n = lmc_dataset_chunk_count(ds);
        double bits = 0.0, t0 = now_seconds();
        LMC_TRY(lmc_model_code_length(c->model, device, lmc_dataset_bytes(ds), n, LMC_CHUNK_BYTES, &bits));
        double raw = (double)n * LMC_CHUNK_BYTES;
        double params = (double)lmc_model_config_num_params(lmc_model_get_config(c->model));
        memset(&row->r, 0, sizeof row->r);
        row->r.raw_bytes = (uint64_t)raw;
        row->r.n_chunks = n;
        row->r.chunked_rate = scale * bits / 8.0 / raw;
        row->r.compress_seconds = now_seconds() - t0;
        row->adjusted_rate = (scale * bits / 8.0 + 2.0 * params) / raw;
        row->file_rate = row->adjusted_file_rate = NAN;
        row->stored_chunks = -1;
        return LMC_OK;
    }
    case EVAL_LM_CODING:
        return cli_dist_size() > 1 ? measure_coding_dist(c, ds, scale, progress, device, row)
                                   : measure_coding(c, ds, scale, progress, device, row);
    }
    return lmc_set_error(LMC_ERR_UNSUPPORTED, "%s: unknown row kind", c->name);
}

static void print_json(const eval_compressor *comps, char **datasets, const eval_row *rows, size_t n_rows,
                       int mask7) {
    printf("[");
    for (size_t i = 0; i < n_rows; i++) {
        const lmc_baseline_result *r = &rows[i].r;
        printf("%s\n  {\"compressor\": ", i ? "," : "");
        cli_json_string(stdout, comps[rows[i].compressor].name);
        printf(", \"dataset\": ");
        cli_json_string(stdout, datasets[rows[i].dataset]);
        if (is_lm(comps[rows[i].compressor].kind)) {
            char file_rate[32] = "null", adjusted_file_rate[32] = "null", stored[32] = "null";
            if (!isnan(rows[i].file_rate)) {
                snprintf(file_rate, sizeof file_rate, "%.6f", rows[i].file_rate);
                snprintf(adjusted_file_rate, sizeof adjusted_file_rate, "%.6f", rows[i].adjusted_file_rate);
            }
            if (rows[i].stored_chunks >= 0) snprintf(stored, sizeof stored, "%" PRId64, rows[i].stored_chunks);
            printf(", \"parameters\": %zu, \"raw_bytes\": %" PRIu64 ", \"chunks\": %" PRIu64
                   ", \"chunked_rate\": %.6f, \"file_rate\": %s, \"adjusted_rate\": %.6f"
                   ", \"adjusted_file_rate\": %s, \"stored_chunks\": %s, \"seconds\": %.3f, \"mask7\": %s}",
                   comps[rows[i].compressor].params, r->raw_bytes, r->n_chunks, r->chunked_rate, file_rate,
                   rows[i].adjusted_rate, adjusted_file_rate, stored,
                   r->compress_seconds + r->decompress_seconds, mask7 ? "true" : "false");
            continue;
        }
        printf(", \"raw_bytes\": %" PRIu64 ", \"chunks\": %" PRIu64
               ", \"chunked_rate\": %.6f, \"unchunked_rate\": %.6f, \"seconds\": %.3f"
               ", \"mask7\": %s}",
               r->raw_bytes, r->n_chunks, r->chunked_rate, r->unchunked_rate,
               r->compress_seconds + r->decompress_seconds, mask7 ? "true" : "false");
    }
    printf("\n]\n");
}

static void print_table(const eval_compressor *comps, size_t n_comps, char **datasets,
                        const lmc_data_kind *kinds, size_t n_sets, const eval_row *rows, int mask7) {
    printf("Compression rate (compressed / raw, %%), ours (paper's Table 1)%s\n\n",
           mask7 ? ", 7-bit masked, lengths scaled by 8/7" : "");
    printf("| chunk | compressor |");
    for (size_t d = 0; d < n_sets; d++) printf(" [%zu] %s (%s) |", d + 1, lmc_data_kind_str(kinds[d]), paper_column[kinds[d]]);
    printf("\n|---|---|");
    for (size_t d = 0; d < n_sets; d++) printf("---|");
    printf("\n");
    for (int chunked = 0; chunked < 2; chunked++)
        for (size_t c = 0; c < n_comps; c++) {
            if (is_lm(comps[c].kind)) {
                if (!chunked) continue; /* an LM codes chunks of its window only */
                printf("| 2048 | %s (adjusted) |", comps[c].name);
                for (size_t d = 0; d < n_sets; d++)
                    printf(" %.1f (%.1f) |", 100.0 * rows[c * n_sets + d].r.chunked_rate,
                           100.0 * rows[c * n_sets + d].adjusted_rate);
                printf("\n");
                if (comps[c].kind != EVAL_LM_CODING) continue;
                printf("| 2048 | %s .lmc file (+ model file) |", comps[c].name);
                for (size_t d = 0; d < n_sets; d++)
                    printf(" %.1f (%.1f) |", 100.0 * rows[c * n_sets + d].file_rate,
                           100.0 * rows[c * n_sets + d].adjusted_file_rate);
                printf("\n");
                continue;
            }
            printf("| %s | %s |", chunked ? "2048" : "whole", comps[c].name);
            for (size_t d = 0; d < n_sets; d++) {
                const lmc_baseline_result *r = &rows[c * n_sets + d].r;
                double ours = 100.0 * (chunked ? r->chunked_rate : r->unchunked_rate);
                double paper = paper_rate(comps[c].name, chunked, kinds[d]);
                if (paper >= 0)
                    printf(" %.1f (%.1f) |", ours, paper);
                else
                    printf(" %.1f (-) |", ours);
            }
            printf("\n");
        }
    printf("\nDatasets:\n");
    for (size_t d = 0; d < n_sets; d++) {
        const lmc_baseline_result *r = &rows[d].r;
        printf("  [%zu] %s: %" PRIu64 " chunks, %" PRIu64 " bytes\n", d + 1, datasets[d], r->n_chunks,
               r->raw_bytes);
    }
    int any_lm = 0;
    for (size_t c = 0; c < n_comps; c++)
        if (is_lm(comps[c].kind)) {
            if (!any_lm++) printf("\nModels (adjusted = payload + 2 bytes per parameter):\n");
            printf("  %s: %zu parameters (%s model)\n", comps[c].name, comps[c].params,
                   comps[c].kind == EVAL_LM_CODING ? "coding" : "float");
        }
    printf("\nTime (chunked + unchunked, each compressed and decompressed):\n\n");
    printf("| compressor | dataset | seconds | compress MB/s | decompress MB/s |\n|---|---|---:|---:|---:|\n");
    for (size_t c = 0; c < n_comps; c++)
        for (size_t d = 0; d < n_sets; d++) {
            const lmc_baseline_result *r = &rows[c * n_sets + d].r;
            double mb = (is_lm(comps[c].kind) ? 1.0 : 2.0) * (double)r->raw_bytes / 1e6; /* LMs: chunked only */
            printf("| %s | [%zu] | %.2f | %.3g | %.3g |\n", comps[c].name, d + 1,
                   r->compress_seconds + r->decompress_seconds,
                   r->compress_seconds > 0 ? mb / r->compress_seconds : 0.0,
                   r->decompress_seconds > 0 ? mb / r->decompress_seconds : 0.0);
        }
}

/* The name a point of the scaling plot carries: a model's name after "lm:", its folder and
 * ".exact.safetensors" / ".safetensors" dropped, at most 16 characters. */
static void short_model_name(const char *name, char *out, size_t cap) {
    const char *s = strncmp(name, "lm:", 3) == 0 ? name + 3 : name, *slash = strrchr(s, '/');
    if (slash) s = slash + 1;
    snprintf(out, cap, "%.16s", s);
    static const char *const exts[] = {".exact.safetensors", ".safetensors"};
    for (size_t e = 0; e < 2; e++) {
        size_t n = strlen(s), k = strlen(exts[e]);
        if (n > k && strcmp(s + n - k, exts[e]) == 0) {
            if (n - k < cap) out[n - k < 16 ? n - k : 16] = '\0';
            break;
        }
    }
}

/* --plot: the scaling plot (issue 16, the paper's Figure 2 idea), one panel per dataset: each lm
 * row's chunked rate (raw) and adjusted rate (2 bytes per parameter) against its parameters, in
 * order of parameters, and every classical row's chunked rate as a dashed line. */
static lmc_status write_plot(const char *path, const eval_compressor *comps, size_t n_comps, char **datasets,
                             const lmc_data_kind *kinds, size_t n_sets, const eval_row *rows) {
    static const unsigned char ref_rgb[][3] = {{0, 150, 60}, {150, 90, 0}, {120, 60, 170}, {0, 140, 160},
                                               {200, 120, 160}, {110, 110, 110}};
    size_t n_lm = 0;
    for (size_t c = 0; c < n_comps; c++) n_lm += is_lm(comps[c].kind);
    size_t *order = calloc(n_lm ? n_lm : 1, sizeof *order);
    char (*names)[24] = calloc(n_lm ? n_lm : 1, sizeof *names);
    const char **labels = calloc(n_lm ? n_lm : 1, sizeof *labels);
    plot_panel *panels = calloc(n_sets, sizeof *panels);
    plot_curve *curves = calloc(2 * n_sets, sizeof *curves);
    plot_ref *refs = calloc(n_comps * n_sets + 1, sizeof *refs);
    char (*titles)[96] = calloc(n_sets, sizeof *titles);
    char (*ref_labels)[48] = calloc(n_comps * n_sets + 1, sizeof *ref_labels);
    double *all = calloc(4 * n_lm * n_sets + 1, sizeof *all);
    lmc_status st = LMC_OK;
    if (!order || !names || !labels || !panels || !curves || !refs || !titles || !ref_labels ||
        !all) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "--plot: out of memory");
        goto done;
    }
    /* the lm rows by parameters (stable: equal counts keep the order given) */
    for (size_t c = 0, k = 0; c < n_comps; c++)
        if (is_lm(comps[c].kind)) {
            size_t j = k++;
            while (j > 0 && comps[order[j - 1]].params > comps[c].params) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = c;
        }
    for (size_t k = 0; k < n_lm; k++) {
        short_model_name(comps[order[k]].name, names[k], sizeof names[k]);
        labels[k] = names[k];
    }
    size_t n_refs = 0;
    for (size_t d = 0; d < n_sets; d++) {
        double *x = all + 4 * n_lm * d, *yr = x + n_lm, *ya = yr + n_lm;
        for (size_t k = 0; k < n_lm; k++) {
            const eval_row *row = &rows[order[k] * n_sets + d];
            x[k] = (double)comps[order[k]].params;
            yr[k] = 100.0 * row->r.chunked_rate;
            ya[k] = 100.0 * row->adjusted_rate;
        }
        curves[2 * d] = (plot_curve){x, yr, labels, n_lm, {30, 90, 200}, "LM CHUNKED (RAW)"};
        curves[2 * d + 1] = (plot_curve){x, ya, NULL, n_lm, {210, 40, 40}, "LM ADJUSTED (+2 B/PARAM)"};
        size_t first_ref = n_refs;
        for (size_t c = 0, r = 0; c < n_comps; c++) {
            if (is_lm(comps[c].kind)) continue;
            double y = 100.0 * rows[c * n_sets + d].r.chunked_rate;
            snprintf(ref_labels[n_refs], sizeof ref_labels[n_refs], "%.20s %.1f%%", comps[c].name, y);
            const unsigned char *rgb = ref_rgb[r % 6];
            refs[n_refs] = (plot_ref){y, {rgb[0], rgb[1], rgb[2]}, ref_labels[n_refs]};
            n_refs++;
            r++;
        }
        size_t len = strlen(datasets[d]);
        int has_kind = strchr(datasets[d], ':') != NULL; /* "text:PATH" already says its kind */
        snprintf(titles[d], sizeof titles[d], "[%zu] %s%s%s", d + 1, has_kind ? "" : lmc_data_kind_str(kinds[d]),
                 has_kind ? "" : ":", len > 80 ? datasets[d] + len - 80 : datasets[d]);
        panels[d] = (plot_panel){titles[d], &curves[2 * d], 2, &refs[first_ref], n_refs - first_ref};
    }
    if (plot_png_scaling(path, panels, n_sets, "PARAMETERS (LOG SCALE)", "RATE %  (2048-BYTE CHUNKS)") != 0)
        st = lmc_set_error(LMC_ERR_IO, "--plot: cannot write %s: %s", path, strerror(errno));
done:
    free(order);
    free(names);
    free(labels);
    free(panels);
    free(curves);
    free(refs);
    free(titles);
    free(ref_labels);
    free(all);
    return st;
}

/* --plot FILE must be writable before the rows are measured (they may take hours): its folder
 * exists and may be written, and FILE is not a folder. */
static lmc_status check_plot_path(const char *path) {
    LMC_RETURN_IF(!path[0], LMC_ERR_INVALID_ARGUMENT, "--plot needs a file name");
    struct stat st;
    LMC_RETURN_IF(stat(path, &st) == 0 && S_ISDIR(st.st_mode), LMC_ERR_IO, "--plot %s: is a folder", path);
    char *dir = strdup(path);
    LMC_RETURN_IF(!dir, LMC_ERR_OUT_OF_MEMORY, "out of memory");
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int ok = access(dir, W_OK) == 0;
    int e = errno;
    lmc_status status =
        ok ? LMC_OK : lmc_set_error(LMC_ERR_IO, "--plot %s: cannot write in %s: %s", path, dir, strerror(e));
    free(dir);
    return status;
}

int cli_cmd_eval(int argc, char **argv) {
    enum {
        OPT_COMPRESSOR = 1000, OPT_DATASET, OPT_CHUNKS, OPT_JSON, OPT_MASK7, OPT_SEED, OPT_DEVICE, OPT_PLOT
    };
    static const struct option options[] = {
        {"compressor", required_argument, NULL, OPT_COMPRESSOR}, {"dataset", required_argument, NULL, OPT_DATASET},
        {"chunks", required_argument, NULL, OPT_CHUNKS},         {"json", no_argument, NULL, OPT_JSON},
        {"mask7", no_argument, NULL, OPT_MASK7},                 {"seed", required_argument, NULL, OPT_SEED},
        {"device", required_argument, NULL, OPT_DEVICE},          {"plot", required_argument, NULL, OPT_PLOT},
        {"help", no_argument, NULL, 'h'},                        {NULL, 0, NULL, 0}};
    const char *comp_arg = NULL, *set_arg = NULL, *device_sel = NULL, *plot_path = NULL;
    lmc_device *device = NULL;
    int json = 0, mask7 = 0;
    size_t max_chunks = 0;
    uint64_t seed = 0;
    opterr = 0;
    optind = 1;
    int c;
    char *end = NULL;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case OPT_COMPRESSOR: comp_arg = optarg; break;
        case OPT_DATASET: set_arg = optarg; break;
        case OPT_CHUNKS:
            max_chunks = (size_t)strtoull(optarg, &end, 10);
            if (!optarg[0] || *end || max_chunks == 0 || optarg[0] == '-')
                return cli_usage_error("eval", "--chunks needs a positive whole number, not '%s'", optarg);
            break;
        case OPT_SEED:
            seed = strtoull(optarg, &end, 10);
            if (!optarg[0] || *end || optarg[0] == '-')
                return cli_usage_error("eval", "--seed needs a whole number, not '%s'", optarg);
            break;
        case OPT_JSON: json = 1; break;
        case OPT_DEVICE: device_sel = optarg; break;
        case OPT_PLOT: plot_path = optarg; break;
        case OPT_MASK7: mask7 = 1; break;
        case 'h': print_eval_help(); return CLI_EXIT_OK;
        case ':': return cli_usage_error("eval", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("eval", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (!comp_arg) return cli_usage_error("eval", "--compressor LIST is required");
    if (!set_arg) return cli_usage_error("eval", "--dataset LIST is required");

    enum { MAX_ITEMS = 64 };
    char *comp_list = strdup(comp_arg), *set_list = strdup(set_arg);
    char *comp_names[MAX_ITEMS], *set_names[MAX_ITEMS];
    char *expanded_sets[MAX_ITEMS] = {NULL};
    eval_compressor comps[MAX_ITEMS];
    memset(comps, 0, sizeof comps);
    lmc_data_kind kinds[MAX_ITEMS];
    eval_row *rows = NULL;
    int exit_code = CLI_EXIT_OK;
    size_t n_comps = 0, n_sets = 0;
    if (!comp_list || !set_list) {
        exit_code = cli_fail("eval", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory"));
        goto done;
    }

    /* Compressors first: a bad name fails before any data is read. */
    size_t n_given = split_list(comp_list, comp_names, MAX_ITEMS);
    if (n_given > MAX_ITEMS || split_list(set_list, set_names, MAX_ITEMS) > MAX_ITEMS) {
        exit_code = cli_usage_error("eval", "at most %d compressors and %d datasets", MAX_ITEMS, MAX_ITEMS);
        goto done;
    }
    free(set_list); /* split again below, after the compressors are known to be good */
    set_list = strdup(set_arg);
    if (!set_list) goto oom;
    for (size_t i = 0; i < n_given; i++) {
        if (strcmp(comp_names[i], "all") == 0) {
            for (size_t k = 0; k < lmc_baseline_count(); k++) {
                if (n_comps == MAX_ITEMS) break;
                resolve_compressor(lmc_baseline_get(k)->name, &comps[n_comps++]);
            }
            continue;
        }
        if (n_comps == MAX_ITEMS) break;
        lmc_status status = resolve_compressor(comp_names[i], &comps[n_comps]);
        if (status == LMC_ERR_INVALID_ARGUMENT) {
            exit_code = cli_usage_error("eval", "%s", lmc_last_error());
            goto done;
        }
        if (status != LMC_OK) {
            exit_code = cli_fail("eval", status);
            goto done;
        }
        n_comps++;
    }
    if (n_comps == 0) {
        exit_code = cli_usage_error("eval", "--compressor names no compressor");
        goto done;
    }
    if (plot_path) {
        size_t n_lm = 0;
        for (size_t k = 0; k < n_comps; k++) n_lm += is_lm(comps[k].kind);
        if (!n_lm) {
            exit_code = cli_usage_error("eval", "--plot draws rate against parameters: it needs at least one "
                                                "lm: compressor (e.g. --compressor all,lm:default)");
            goto done;
        }
        lmc_status status = check_plot_path(plot_path);
        if (status != LMC_OK) {
            exit_code = status == LMC_ERR_INVALID_ARGUMENT ? cli_usage_error("eval", "%s", lmc_last_error())
                                                           : cli_fail("eval", status);
            goto done;
        }
    }
    /* Under mpirun (docs/scale-out.md) every rank shares the coding rows' work; rank 0 alone
     * measures the float-model and classical rows and prints. */
    const int lead = cli_dist_rank() == 0;
    int any_coding = 0;
    for (size_t k = 0; k < n_comps; k++) any_coding |= comps[k].kind == EVAL_LM_CODING;
    char dev_buf[256];
    for (size_t k = 0; k < n_comps && !device; k++)
        if (comps[k].kind == EVAL_LM_CODING || (lead && comps[k].kind == EVAL_LM)) { /* opened once */
            lmc_status status =
                lmc_device_open(cli_dist_device(device_sel, dev_buf, sizeof dev_buf), &device);
            if (status != LMC_OK) {
                exit_code = cli_fail("eval", status);
                goto done;
            }
        }

    n_given = split_list(set_list, set_names, MAX_ITEMS);
    for (size_t i = 0; i < n_given && n_sets < MAX_ITEMS; i++) {
        if (strcmp(set_names[i], "all") != 0) {
            char *spec = NULL;
            lmc_status status = resolve_fetched(set_names[i], &spec);
            if (status != LMC_OK) {
                exit_code = cli_fail("eval", status);
                goto done;
            }
            expanded_sets[n_sets++] = spec ? spec : strdup(set_names[i]);
            if (!expanded_sets[n_sets - 1]) goto oom;
            continue;
        }
        char buf[4096];
        const char *dir = cli_data_dir(buf, sizeof buf);
        if (!dir) {
            exit_code = cli_fail("eval", LMC_ERR_NOT_FOUND);
            goto done;
        }
        /* Per modality: the development layout, else the folders scripts/fetch-data.sh makes;
         * when none is there, the first, so that the reader names what is missing. */
        static const char *const parts[][4] = {{"text:", "/text/eval", "/enwik9", "/enwik8"},
                                               {"image:", "/images", "/kodak", NULL},
                                               {"audio:", "/audio", "/librispeech-test-clean", NULL}};
        for (size_t k = 0; k < 3 && n_sets < MAX_ITEMS; k++) {
            size_t len = strlen(dir) + 64, pick = 1;
            expanded_sets[n_sets] = malloc(len);
            if (!expanded_sets[n_sets]) goto oom;
            for (size_t alt = 1; alt < 4 && parts[k][alt]; alt++) {
                snprintf(expanded_sets[n_sets], len, "%s%s", dir, parts[k][alt]);
                if (is_folder(expanded_sets[n_sets])) {
                    pick = alt;
                    break;
                }
            }
            snprintf(expanded_sets[n_sets++], len, "%s%s%s", parts[k][0], dir, parts[k][pick]);
        }
        if (n_sets < MAX_ITEMS) {
            expanded_sets[n_sets++] = strdup(EVAL_RANDOM_ALL);
            if (!expanded_sets[n_sets - 1]) goto oom;
        }
    }
    if (n_sets == 0) {
        exit_code = cli_usage_error("eval", "--dataset names no dataset");
        goto done;
    }

    rows = calloc(n_comps * n_sets, sizeof *rows);
    if (!rows) goto oom;
    progress_state progress = {lead && isatty(STDERR_FILENO), NULL, NULL};
    lmc_dataset_params params = lmc_dataset_params_default();
    params.max_chunks = max_chunks;
    params.mask7 = mask7;
    params.seed = seed;
    for (size_t d = 0; d < n_sets && (lead || any_coding); d++) {
        if (progress.on) fprintf(stderr, "\r\033[Kreading %s ...", expanded_sets[d]);
        lmc_dataset *ds = NULL;
        lmc_status status = lmc_dataset_open(expanded_sets[d], &params, &ds);
        if (progress.on) fprintf(stderr, "\r\033[K");
        if (status == LMC_ERR_INVALID_ARGUMENT) { /* a malformed spec: the user's mistake */
            exit_code = cli_usage_error("eval", "%s", lmc_last_error());
            goto done;
        }
        if (status == LMC_OK && lmc_dataset_chunk_count(ds) == 0)
            status = lmc_set_error(LMC_ERR_NOT_FOUND, "%s: no whole 2048-byte chunk in the data",
                                   expanded_sets[d]);
        if (status != LMC_OK) {
            lmc_dataset_destroy(ds);
            exit_code = cli_fail("eval", status);
            goto done;
        }
        kinds[d] = lmc_dataset_kind(ds);
        double scale = mask7 ? lmc_mask_scale(8, 1) : 1.0;
        for (size_t k = 0; k < n_comps && status == LMC_OK; k++) {
            if (!lead && comps[k].kind != EVAL_LM_CODING) continue;
            eval_row *row = &rows[k * n_sets + d];
            row->compressor = k;
            row->dataset = d;
            progress.compressor = comps[k].name;
            progress.dataset = expanded_sets[d];
            status = measure_row(&comps[k], ds, scale, &progress, device, row);
        }
        if (progress.on) fprintf(stderr, "\r\033[K");
        lmc_dataset_destroy(ds);
        if (status != LMC_OK) {
            exit_code = cli_fail("eval", status);
            goto done;
        }
    }
    if (!lead) goto done; /* its share of the coding rows is in rank 0's figures */
    if (json) {
        print_json(comps, expanded_sets, rows, n_comps * n_sets, mask7);
    } else {
        print_table(comps, n_comps, expanded_sets, kinds, n_sets, rows, mask7);
    }
    if (plot_path) {
        fflush(stdout);
        lmc_status status = write_plot(plot_path, comps, n_comps, expanded_sets, kinds, n_sets, rows);
        if (status != LMC_OK) {
            exit_code = cli_fail("eval", status);
            goto done;
        }
        fprintf(stderr, "lmc eval: wrote the scaling plot %s\n", plot_path);
    }
    goto done;
oom:
    exit_code = cli_fail("eval", lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory"));
done:
    for (size_t k = 0; k < n_comps; k++) {
        lmc_model_destroy(comps[k].model);
        lmc_exact_model_destroy(comps[k].coding);
    }
    lmc_device_destroy(device);
    free(rows);
    for (size_t i = 0; i < MAX_ITEMS; i++) free(expanded_sets[i]);
    free(comp_list);
    free(set_list);
    return exit_code;
}
