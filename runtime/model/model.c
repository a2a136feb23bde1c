/* model.c : the float model as data: allocation, the specified initialisation (DESIGN.md §2) and
 * log-probabilities through the plain-C reference. The configuration, tensor table and
 * parameter layout are in spec/spec.c; files in model_file.c.
 * Invariant: initialisation is a pure function of (config, seed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ref_model.h"
#include "rng.h"

lmc_model_params lmc_model_params_default(void) {
    lmc_model_params p;
    memset(&p, 0, sizeof p);
    lmc_model_config_preset("200k", &p.config);
    p.seed = 1;
    return p;
}

lmc_status lmc_model_alloc(const lmc_model_config *cfg, lmc_model **out) {
    *out = NULL;
    LMC_TRY(lmc_model_config_check(cfg));
    lmc_model *m = calloc(1, sizeof *m);
    if (!m) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model");
    m->config = *cfg;
    m->n_params = lmc_model_config_num_params(cfg);
    m->params = calloc(m->n_params, sizeof(float));
    if (!m->params) {
        lmc_model_destroy(m);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "%zu model parameters", lmc_model_config_num_params(cfg));
    }
    *out = m;
    return LMC_OK;
}

lmc_status lmc_model_create(const lmc_model_params *params, lmc_model **out) {
    LMC_RETURN_IF(!params || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_model_create: NULL argument");
    lmc_model *m = NULL;
    LMC_TRY(lmc_model_alloc(&params->config, &m));
    lmc_rng rng;
    lmc_rng_seed(&rng, params->seed);
    size_t nt = lmc_model_num_tensors(&m->config);
    /* Tensors are drawn in table order. Matrices: truncated normal (±2σ), σ = 1/sqrt(fan_in),
     * fan_in = rows (y = x·W); the embedding: truncated normal with σ 0.02; LN scales 1; biases
     * and LN offsets 0. */
    for (size_t i = 0; i < nt; i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&m->config, i, &d);
        float *p = m->params + d.offset;
        if (d.ndim == 2) {
            double sigma = strcmp(d.name, "embed") == 0 ? 0.02 : 1.0 / sqrt((double)d.shape[0]);
            for (size_t k = 0; k < d.size; k++) p[k] = (float)lmc_rng_truncnormal(&rng, sigma);
        } else if (strstr(d.name, ".scale")) {
            for (size_t k = 0; k < d.size; k++) p[k] = 1.0f;
        }
    }
    *out = m;
    return LMC_OK;
}

void lmc_model_destroy(lmc_model *model) {
    if (!model) return;
    free(model->params);
    free(model);
}

const lmc_model_config *lmc_model_get_config(const lmc_model *model) { return &model->config; }
float *lmc_model_params_data(lmc_model *model) { return model->params; }
const float *lmc_model_params_cdata(const lmc_model *model) { return model->params; }

lmc_status lmc_model_logprobs(const lmc_model *model, const uint8_t *bytes, size_t n, float *out) {
    LMC_RETURN_IF(!model || (!bytes && n) || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_model_logprobs: NULL argument");
    LMC_RETURN_IF(n == 0 || n > (size_t)model->config.context, LMC_ERR_INVALID_ARGUMENT,
                  "window of %zu bytes: must be 1..%d (the model's context)", n, model->config.context);
    lmc_ref_acts *acts = NULL;
    LMC_TRY(lmc_ref_acts_create(&model->config, 1, (int)n, &acts));
    lmc_ref_forward(&model->config, model->params, bytes, acts, NULL);
    memcpy(out, lmc_ref_acts_logp(acts), n * LMC_VOCAB * sizeof(float));
    lmc_ref_acts_destroy(acts);
    return LMC_OK;
}
