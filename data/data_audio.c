/* data_audio.c : FLAC (libFLAC) and WAV (parsed here) -> mono 16-bit -> 16 kHz -> the paper's
 * bytes (DESIGN.md §6).
 *
 * Order of operations, all in exact integer arithmetic: each sample is reduced to 16 bits
 * (lmc_audio_to16: wider samples shifted right with floor, narrower ones shifted left), the
 * channels of a frame are averaged with floor, the mono signal is resampled to 16 kHz by linear
 * interpolation (floor of the exact rational value), and each sample becomes (s >> 8) + 128.
 *
 * Invariant: a file that is not what it claims (bad magic, a libFLAC decode error or MD5
 * mismatch, WAV chunks that run past the end) is an error naming the file, never silent data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <FLAC/stream_decoder.h>

#include "lmc/data.h"

/* floor(a / b) for b > 0 */
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int32_t lmc_audio_to16(int32_t sample, unsigned bits) {
    if (bits > 16) return (int32_t)floor_div(sample, (int64_t)1 << (bits - 16));
    if (bits < 16) return (int32_t)((int64_t)sample * ((int64_t)1 << (16 - bits)));
    return sample;
}

/* A growable mono 16-bit signal. */
typedef struct mono_signal {
    int16_t *data;
    size_t len, cap;
    uint32_t rate;
} mono_signal;

static int signal_reserve(mono_signal *s, size_t extra) {
    if (s->len + extra <= s->cap) return 0;
    size_t cap = s->cap ? s->cap : 65536;
    while (cap < s->len + extra) cap *= 2;
    int16_t *p = realloc(s->data, cap * sizeof *p);
    if (!p) return -1;
    s->data = p;
    s->cap = cap;
    return 0;
}

/* ---- FLAC ---- */

typedef struct flac_sink {
    mono_signal sig;
    lmc_status status;
    char message[256];
} flac_sink;

static FLAC__StreamDecoderWriteStatus flac_write(const FLAC__StreamDecoder *dec, const FLAC__Frame *frame,
                                                 const FLAC__int32 *const buffer[], void *user) {
    (void)dec;
    flac_sink *k = user;
    unsigned ch = frame->header.channels, bits = frame->header.bits_per_sample;
    uint32_t rate = frame->header.sample_rate;
    if (k->sig.rate == 0) k->sig.rate = rate;
    if (rate != k->sig.rate || bits == 0 || bits > 32 || ch == 0) {
        k->status = LMC_ERR_CORRUPT;
        snprintf(k->message, sizeof k->message, "frame with %u Hz, %u bits, %u channels", rate, bits, ch);
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if (signal_reserve(&k->sig, frame->header.blocksize)) {
        k->status = LMC_ERR_OUT_OF_MEMORY;
        snprintf(k->message, sizeof k->message, "out of memory");
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    for (unsigned i = 0; i < frame->header.blocksize; i++) {
        int64_t sum = 0;
        for (unsigned c = 0; c < ch; c++) sum += lmc_audio_to16(buffer[c][i], bits);
        k->sig.data[k->sig.len++] = (int16_t)floor_div(sum, ch);
    }
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void flac_error(const FLAC__StreamDecoder *dec, FLAC__StreamDecoderErrorStatus err, void *user) {
    (void)dec;
    flac_sink *k = user;
    if (k->status == LMC_OK) {
        k->status = LMC_ERR_CORRUPT;
        snprintf(k->message, sizeof k->message, "%s", FLAC__StreamDecoderErrorStatusString[err]);
    }
}

static lmc_status load_flac(const char *path, mono_signal *out) {
    flac_sink sink;
    memset(&sink, 0, sizeof sink);
    lmc_status status = LMC_OK;
    FLAC__StreamDecoder *dec = FLAC__stream_decoder_new();
    if (!dec) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: libFLAC could not start", path);
    FLAC__stream_decoder_set_md5_checking(dec, true);
    FLAC__StreamDecoderInitStatus init =
        FLAC__stream_decoder_init_file(dec, path, flac_write, NULL, flac_error, &sink);
    if (init != FLAC__STREAM_DECODER_INIT_STATUS_OK) {
        status = lmc_set_error(LMC_ERR_IO, "%s: libFLAC: %s", path,
                               FLAC__StreamDecoderInitStatusString[init]);
        goto fail;
    }
    FLAC__bool ok = FLAC__stream_decoder_process_until_end_of_stream(dec);
    FLAC__StreamDecoderState state = FLAC__stream_decoder_get_state(dec);
    FLAC__bool md5_ok = FLAC__stream_decoder_finish(dec);
    if (sink.status != LMC_OK) {
        status = lmc_set_error(sink.status, "%s: corrupt FLAC: %s", path, sink.message);
        goto fail;
    }
    if (!ok || state != FLAC__STREAM_DECODER_END_OF_STREAM) {
        status = lmc_set_error(LMC_ERR_CORRUPT, "%s: corrupt FLAC: decoder stopped in state %s", path,
                               FLAC__StreamDecoderStateString[state]);
        goto fail;
    }
    if (!md5_ok) {
        status = lmc_set_error(LMC_ERR_CHECKSUM, "%s: corrupt FLAC: MD5 of the decoded audio differs", path);
        goto fail;
    }
    if (sink.sig.rate == 0) sink.sig.rate = LMC_AUDIO_RATE; /* no frames: an empty signal */
    *out = sink.sig;
    sink.sig.data = NULL;
fail:
    free(sink.sig.data);
    FLAC__stream_decoder_delete(dec);
    return status;
}

/* ---- WAV ---- */

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static lmc_status read_whole_file(const char *path, uint8_t **data, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return lmc_set_error(LMC_ERR_NOT_FOUND, "%s: cannot open", path);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    lmc_status status = LMC_OK;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 16;
            uint8_t *p = realloc(buf, ncap);
            if (!p) {
                status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
                break;
            }
            buf = p;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) status = lmc_set_error(LMC_ERR_IO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (status != LMC_OK) {
        free(buf);
        return status;
    }
    *data = buf;
    *len = n;
    return LMC_OK;
}

static lmc_status parse_wav(const char *path, const uint8_t *p, size_t n, mono_signal *out) {
    LMC_RETURN_IF(n < 12, LMC_ERR_TRUNCATED, "%s: WAV file shorter than its RIFF header", path);
    LMC_RETURN_IF(memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WAVE", 4) != 0, LMC_ERR_FORMAT,
                  "%s: not a RIFF/WAVE file", path);
    unsigned channels = 0, bits = 0, block = 0;
    uint32_t rate = 0;
    int have_fmt = 0;
    size_t pos = 12;
    while (pos + 8 <= n) {
        const uint8_t *id = p + pos;
        size_t size = le32(p + pos + 4);
        pos += 8;
        LMC_RETURN_IF(size > n - pos, LMC_ERR_TRUNCATED,
                      "%s: corrupt WAV: chunk '%.4s' of %zu bytes runs past the end of the file (%zu left)",
                      path, (const char *)id, size, n - pos);
        if (memcmp(id, "fmt ", 4) == 0) {
            LMC_RETURN_IF(size < 16, LMC_ERR_CORRUPT, "%s: corrupt WAV: fmt chunk of %zu bytes", path, size);
            unsigned tag = le16(p + pos);
            channels = le16(p + pos + 2);
            rate = le32(p + pos + 4);
            block = le16(p + pos + 12);
            bits = le16(p + pos + 14);
            if (tag == 0xFFFEu) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the tag */
                LMC_RETURN_IF(size < 40, LMC_ERR_CORRUPT, "%s: corrupt WAV: short extensible fmt chunk", path);
                tag = le16(p + pos + 24);
            }
            LMC_RETURN_IF(tag != 1, LMC_ERR_UNSUPPORTED,
                          "%s: WAV format tag %u is not integer PCM (only 8/16/24/32-bit PCM is read)", path, tag);
            LMC_RETURN_IF(bits != 8 && bits != 16 && bits != 24 && bits != 32, LMC_ERR_UNSUPPORTED,
                          "%s: WAV with %u bits per sample (8, 16, 24 or 32 are read)", path, bits);
            LMC_RETURN_IF(channels == 0 || rate == 0 || block != channels * (bits / 8), LMC_ERR_CORRUPT,
                          "%s: corrupt WAV: %u channels, %u Hz, block align %u", path, channels,
                          (unsigned)rate, block);
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0) {
            LMC_RETURN_IF(!have_fmt, LMC_ERR_CORRUPT, "%s: corrupt WAV: data chunk before fmt chunk", path);
            size_t frames = size / block, bytes = bits / 8;
            out->rate = rate;
            out->len = 0;
            if (signal_reserve(out, frames + 1))
                return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
            const uint8_t *s = p + pos;
            for (size_t f = 0; f < frames; f++) {
                int64_t sum = 0;
                for (unsigned c = 0; c < channels; c++, s += bytes) {
                    int32_t v;
                    if (bits == 8)
                        v = (int32_t)s[0] - 128; /* 8-bit WAV is unsigned */
                    else if (bits == 16)
                        v = (int16_t)le16(s);
                    else if (bits == 24)
                        v = (int32_t)(le32((const uint8_t[4]){0, s[0], s[1], s[2]})) / 256;
                    else
                        v = (int32_t)le32(s);
                    sum += lmc_audio_to16(v, bits);
                }
                out->data[out->len++] = (int16_t)floor_div(sum, channels);
            }
            return LMC_OK;
        }
        pos += size + (size & 1); /* chunks are padded to even sizes */
    }
    return lmc_set_error(have_fmt ? LMC_ERR_TRUNCATED : LMC_ERR_CORRUPT, "%s: corrupt WAV: no %s chunk",
                         path, have_fmt ? "data" : "fmt");
}

static lmc_status load_wav(const char *path, mono_signal *out) {
    uint8_t *file = NULL;
    size_t n = 0;
    LMC_TRY(read_whole_file(path, &file, &n));
    lmc_status status = parse_wav(path, file, n, out);
    free(file);
    return status;
}

lmc_status lmc_audio_load_mono16(const char *path, int16_t **samples, size_t *n_samples,
                                 uint32_t *sample_rate) {
    LMC_RETURN_IF(!path || !samples || !n_samples || !sample_rate, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_audio_load_mono16: NULL argument");
    *samples = NULL;
    *n_samples = 0;
    *sample_rate = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return lmc_set_error(LMC_ERR_NOT_FOUND, "%s: cannot open", path);
    uint8_t magic[12] = {0};
    size_t got = fread(magic, 1, sizeof magic, f);
    fclose(f);
    mono_signal sig;
    memset(&sig, 0, sizeof sig);
    lmc_status status;
    if (got >= 4 && memcmp(magic, "fLaC", 4) == 0)
        status = load_flac(path, &sig);
    else if (got >= 4 && memcmp(magic, "RIFF", 4) == 0)
        status = load_wav(path, &sig);
    else
        status = lmc_set_error(got < 4 ? LMC_ERR_TRUNCATED : LMC_ERR_FORMAT,
                               "%s: not a FLAC or WAV file (unknown magic)", path);
    if (status != LMC_OK) {
        free(sig.data);
        return status;
    }
    *samples = sig.data;
    *n_samples = sig.len;
    *sample_rate = sig.rate;
    return LMC_OK;
}

lmc_status lmc_audio_resample(const int16_t *in, size_t n_in, uint32_t in_rate, uint32_t out_rate,
                              int16_t **out, size_t *n_out) {
    LMC_RETURN_IF(!out || !n_out || (!in && n_in) || in_rate == 0 || out_rate == 0,
                  LMC_ERR_INVALID_ARGUMENT, "lmc_audio_resample: bad argument");
    *out = NULL;
    /* output k sits at input position k * in_rate / out_rate; keep it within [0, n_in - 1] */
    size_t n = n_in ? (size_t)((uint64_t)(n_in - 1) * out_rate / in_rate) + 1 : 0;
    int16_t *dst = malloc((n ? n : 1) * sizeof *dst);
    if (!dst) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "lmc_audio_resample: out of memory");
    for (size_t k = 0; k < n; k++) {
        uint64_t num = (uint64_t)k * in_rate;
        size_t i = (size_t)(num / out_rate);
        int64_t frac = (int64_t)(num % out_rate);
        if (frac == 0) {
            dst[k] = in[i];
        } else {
            int64_t v = (int64_t)in[i] * ((int64_t)out_rate - frac) + (int64_t)in[i + 1] * frac;
            dst[k] = (int16_t)floor_div(v, out_rate);
        }
    }
    *out = dst;
    *n_out = n;
    return LMC_OK;
}

lmc_status lmc_audio_load_bytes(const char *path, uint8_t **bytes, size_t *n_bytes) {
    LMC_RETURN_IF(!bytes || !n_bytes, LMC_ERR_INVALID_ARGUMENT, "lmc_audio_load_bytes: NULL argument");
    *bytes = NULL;
    *n_bytes = 0;
    int16_t *mono = NULL, *res = NULL;
    size_t n = 0;
    uint32_t rate = 0;
    LMC_TRY(lmc_audio_load_mono16(path, &mono, &n, &rate));
    lmc_status status = LMC_OK;
    if (rate != LMC_AUDIO_RATE) {
        status = lmc_audio_resample(mono, n, rate, LMC_AUDIO_RATE, &res, &n);
        if (status != LMC_OK) goto fail;
        free(mono);
        mono = res;
        res = NULL;
    }
    uint8_t *b = malloc(n ? n : 1);
    if (!b) {
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) b[i] = lmc_audio_byte(mono[i]);
    *bytes = b;
    *n_bytes = n;
fail:
    free(mono);
    free(res);
    return status;
}
