/* model_score.c : the ideal code length of bytes under a float model (lmc_model_code_length in
 * include/lmc/train.h), the measure of `lmc eval lm:FILE.safetensors` (DESIGN.md §6).
 * Each chunk is coded on its own from BOS, as the coder codes a window: for every byte the row of
 * 256 log-probabilities (log-softmax of the logits, nats) is rounded to Q16, turned into integer
 * frequencies by the codec's quantiser lmc_quantize_row, and the byte costs -log2(freq/2^16)
 * bits. This is exactly what an arithmetic coder fed those frequencies would spend, up to its
 * final flush; nothing is written. Invariant: the forward runs on `device` (cpu-ref: the plain-C
 * reference; OpenCL: model_cl.c with the fused attention, batches of chunks), the quantiser is
 * the integer one of the codec, so on one device the result is the same on every run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "lmc/codec.h"
#include "lmc/model.h"
#include "lmc/train.h"
#include "model_cl.h"

#define SCORE_BATCH 8 /* chunks per OpenCL forward */

/* bits of the n bytes `tok` given their rows of log-probabilities logp (n, 256) */
static double row_bits(const float *logp, const uint8_t *tok, size_t n) {
    double bits = 0.0;
    int32_t q[LMC_ROW_SIZE];
    uint32_t freq[LMC_ROW_SIZE];
    for (size_t t = 0; t < n; t++) {
        const float *r = logp + t * LMC_ROW_SIZE;
        for (int c = 0; c < LMC_ROW_SIZE; c++) {
            double x = rint((double)r[c] * 65536.0); /* Q16, clamped to int32 */
            q[c] = x < (double)INT32_MIN ? INT32_MIN : x > (double)INT32_MAX ? INT32_MAX : (int32_t)x;
        }
        lmc_quantize_row(q, freq);
        bits += (double)LMC_FREQ_BITS - log2((double)freq[tok[t]]);
    }
    return bits;
}

lmc_status lmc_model_code_length(const lmc_model *model, lmc_device *device, const uint8_t *bytes,
                                 size_t n_chunks, size_t chunk_len, double *bits) {
    LMC_RETURN_IF(!model || !bytes || !bits || chunk_len == 0, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_model_code_length: missing argument");
    const lmc_model_config *cfg = lmc_model_get_config(model);
    LMC_RETURN_IF(chunk_len > (size_t)cfg->context, LMC_ERR_INVALID_ARGUMENT,
                  "chunks of %zu bytes are longer than the model's context %d", chunk_len, cfg->context);
    *bits = 0.0;
    size_t B = SCORE_BATCH;
    lmc_status st = LMC_OK;
    float *logp = NULL;
    uint8_t *tok = NULL;
    lmc_cl_model *m = NULL;
    int on_cl = device && device->info.kind != LMC_DEVICE_KIND_CPU_REF;
    if (!on_cl) B = 1;
    logp = malloc(B * chunk_len * LMC_ROW_SIZE * sizeof *logp);
    tok = malloc(B * chunk_len);
    if (!logp || !tok) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "code length: %zu rows", B * chunk_len);
        goto fail;
    }
    if (on_cl) {
        st = lmc_cl_model_create(device, cfg, (int)B, (int)chunk_len, &m);
        if (st == LMC_OK) st = lmc_cl_model_write(m, LMC_CL_PARAMS, lmc_model_params_cdata(model));
        if (st != LMC_OK) goto fail;
    }
    for (size_t c0 = 0; c0 < n_chunks; c0 += B) {
        size_t nb = n_chunks - c0 < B ? n_chunks - c0 : B;
        if (on_cl) {
            /* a partial last batch repeats its last chunk; those rows are not counted */
            for (size_t b = 0; b < B; b++)
                memcpy(tok + b * chunk_len, bytes + (c0 + (b < nb ? b : nb - 1)) * chunk_len, chunk_len);
            st = lmc_cl_model_forward(m, tok, NULL);
            if (st == LMC_OK) st = lmc_cl_model_read_logp(m, logp);
        } else {
            memcpy(tok, bytes + c0 * chunk_len, chunk_len);
            st = lmc_model_logprobs(model, tok, chunk_len, logp);
        }
        if (st != LMC_OK) goto fail;
        for (size_t b = 0; b < nb; b++)
            *bits += row_bits(logp + b * chunk_len * LMC_ROW_SIZE, tok + b * chunk_len, chunk_len);
    }
fail:
    lmc_cl_model_destroy(m);
    free(logp);
    free(tok);
    return st;
}
