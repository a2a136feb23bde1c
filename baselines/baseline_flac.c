/* baseline_flac.c : FLAC as the paper runs it: the bytes as 8-bit mono samples at 16 kHz (byte b
 * is the sample b - 128, the unsigned-PCM convention of 8-bit WAV), libFLAC compression level 8
 * (`flac --best`), one stream with STREAMINFO (its MD5 and sizes filled in through a seekable
 * memory sink) and the VORBIS_COMMENT libFLAC always adds.
 * Invariant: decompression accepts exactly one 8-bit mono stream of exactly raw_len samples. */
#include <string.h>

#include <FLAC/stream_decoder.h>
#include <FLAC/stream_encoder.h>

#include "baseline_internal.h"

typedef struct flac_sink_mem {
    lmc_buffer *out;
    size_t pos;
    int failed;
} flac_sink_mem;

static FLAC__StreamEncoderWriteStatus sink_write(const FLAC__StreamEncoder *enc, const FLAC__byte buffer[],
                                                 size_t bytes, uint32_t samples, uint32_t frame, void *user) {
    (void)enc;
    (void)samples;
    (void)frame;
    flac_sink_mem *s = user;
    if (s->pos + bytes > s->out->cap) {
        size_t cap = s->out->cap ? s->out->cap : 4096;
        while (cap < s->pos + bytes) cap *= 2;
        if (lmc_buffer_reserve(s->out, cap) != LMC_OK) {
            s->failed = 1;
            return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
        }
    }
    memcpy(s->out->data + s->pos, buffer, bytes);
    s->pos += bytes;
    if (s->pos > s->out->len) s->out->len = s->pos;
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

static FLAC__StreamEncoderSeekStatus sink_seek(const FLAC__StreamEncoder *enc, FLAC__uint64 offset, void *user) {
    (void)enc;
    flac_sink_mem *s = user;
    if (offset > s->out->len) return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
    s->pos = (size_t)offset;
    return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}

static FLAC__StreamEncoderTellStatus sink_tell(const FLAC__StreamEncoder *enc, FLAC__uint64 *offset, void *user) {
    (void)enc;
    *offset = ((flac_sink_mem *)user)->pos;
    return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

static lmc_status flac_compress(const uint8_t *src, size_t n, lmc_buffer *dst) {
    FLAC__StreamEncoder *enc = FLAC__stream_encoder_new();
    LMC_RETURN_IF(!enc, LMC_ERR_OUT_OF_MEMORY, "flac: libFLAC could not start");
    flac_sink_mem sink = {dst, 0, 0};
    dst->len = 0;
    lmc_status status = LMC_OK;
    FLAC__stream_encoder_set_channels(enc, 1);
    FLAC__stream_encoder_set_bits_per_sample(enc, 8);
    FLAC__stream_encoder_set_sample_rate(enc, 16000);
    FLAC__stream_encoder_set_compression_level(enc, 8);
    FLAC__stream_encoder_set_total_samples_estimate(enc, n);
    FLAC__StreamEncoderInitStatus init =
        FLAC__stream_encoder_init_stream(enc, sink_write, sink_seek, sink_tell, NULL, &sink);
    if (init != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
        status = lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "flac: init: %s",
                               FLAC__StreamEncoderInitStatusString[init]);
        goto fail;
    }
    FLAC__int32 block[4096];
    for (size_t i = 0; i < n; i += 4096) {
        size_t m = n - i < 4096 ? n - i : 4096;
        for (size_t k = 0; k < m; k++) block[k] = (FLAC__int32)src[i + k] - 128;
        if (!FLAC__stream_encoder_process_interleaved(enc, block, (uint32_t)m)) {
            status = lmc_set_error(sink.failed ? LMC_ERR_OUT_OF_MEMORY : LMC_ERR_INVALID_ARGUMENT,
                                   "flac: encode: %s",
                                   FLAC__StreamEncoderStateString[FLAC__stream_encoder_get_state(enc)]);
            goto fail;
        }
    }
    if (!FLAC__stream_encoder_finish(enc)) {
        status = lmc_set_error(sink.failed ? LMC_ERR_OUT_OF_MEMORY : LMC_ERR_INVALID_ARGUMENT,
                               "flac: finish: %s",
                               FLAC__StreamEncoderStateString[FLAC__stream_encoder_get_state(enc)]);
        goto fail;
    }
fail:
    FLAC__stream_encoder_delete(enc);
    return status;
}

typedef struct flac_source_mem {
    const uint8_t *src;
    size_t n, pos;
    uint8_t *dst;
    size_t raw_len, written;
    int error;
} flac_source_mem;

static FLAC__StreamDecoderReadStatus source_read(const FLAC__StreamDecoder *dec, FLAC__byte buffer[],
                                                 size_t *bytes, void *user) {
    (void)dec;
    flac_source_mem *s = user;
    size_t m = s->n - s->pos < *bytes ? s->n - s->pos : *bytes;
    memcpy(buffer, s->src + s->pos, m);
    s->pos += m;
    *bytes = m;
    return m ? FLAC__STREAM_DECODER_READ_STATUS_CONTINUE : FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
}

static FLAC__StreamDecoderWriteStatus source_write(const FLAC__StreamDecoder *dec, const FLAC__Frame *frame,
                                                   const FLAC__int32 *const buffer[], void *user) {
    (void)dec;
    flac_source_mem *s = user;
    if (frame->header.channels != 1 || frame->header.bits_per_sample != 8 ||
        frame->header.blocksize > s->raw_len - s->written) {
        s->error = 1;
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    for (uint32_t i = 0; i < frame->header.blocksize; i++)
        s->dst[s->written++] = (uint8_t)(buffer[0][i] + 128);
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void source_error(const FLAC__StreamDecoder *dec, FLAC__StreamDecoderErrorStatus status, void *user) {
    (void)dec;
    (void)status;
    ((flac_source_mem *)user)->error = 1;
}

static lmc_status flac_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t raw_len) {
    FLAC__StreamDecoder *dec = FLAC__stream_decoder_new();
    LMC_RETURN_IF(!dec, LMC_ERR_OUT_OF_MEMORY, "flac: libFLAC could not start");
    flac_source_mem s = {src, n, 0, dst, raw_len, 0, 0};
    lmc_status status = LMC_OK;
    FLAC__stream_decoder_set_md5_checking(dec, true);
    if (FLAC__stream_decoder_init_stream(dec, source_read, NULL, NULL, NULL, NULL, source_write, NULL,
                                         source_error, &s) != FLAC__STREAM_DECODER_INIT_STATUS_OK) {
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "flac: decoder init failed");
        goto fail;
    }
    FLAC__bool ok = FLAC__stream_decoder_process_until_end_of_stream(dec);
    FLAC__bool md5_ok = FLAC__stream_decoder_finish(dec);
    if (!ok || !md5_ok || s.error || s.written != raw_len)
        status = lmc_set_error(LMC_ERR_CORRUPT, "flac: stream does not decode to %zu 8-bit mono samples (%zu decoded%s)",
                               raw_len, s.written, md5_ok ? "" : ", MD5 mismatch");
fail:
    FLAC__stream_decoder_delete(dec);
    return status;
}

const lmc_baseline lmc_baseline_flac = {"flac", "8-bit mono 16 kHz (byte - 128), libFLAC level 8", flac_compress,
                                        flac_decompress};
