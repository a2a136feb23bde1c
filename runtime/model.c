/* model.c : model configurations and presets, the tensor table (names, shapes, offsets of
 * DESIGN.md §2), the specified initialisation, and log-probabilities through the plain-C
 * reference. Files are in model_file.c.
 * Invariant: the tensor table order is the parameter vector order (ref/ref_model.c's layout),
 * and initialisation is a pure function of (config, seed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "ref/ref_model.h"
#include "rng.h"

lmc_status lmc_model_config_preset(const char *name, lmc_model_config *out) {
    static const struct {
        const char *name;
        lmc_model_config cfg;
    } presets[] = {
        {"tiny", {16, 2, 2, 64}},
        {"200k", {64, 4, 8, 2048}},
        {"800k", {128, 4, 8, 2048}},
        {"3.2m", {256, 4, 8, 2048}},
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (name && strcmp(name, presets[i].name) == 0) {
            *out = presets[i].cfg;
            return LMC_OK;
        }
    return lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "unknown model preset '%s' (tiny, 200k, 800k, 3.2m)",
                         name ? name : "(null)");
}

lmc_status lmc_model_config_check(const lmc_model_config *cfg) {
    LMC_RETURN_IF(!cfg, LMC_ERR_INVALID_ARGUMENT, "no model configuration");
    LMC_RETURN_IF(cfg->d_model < 2 || cfg->d_model > 8192 || cfg->d_model % 2 != 0,
                  LMC_ERR_INVALID_ARGUMENT, "d_model %d: must be even, 2..8192", cfg->d_model);
    LMC_RETURN_IF(cfg->n_layers < 1 || cfg->n_layers > 256, LMC_ERR_INVALID_ARGUMENT,
                  "n_layers %d: must be 1..256", cfg->n_layers);
    LMC_RETURN_IF(cfg->n_heads < 1 || cfg->d_model % cfg->n_heads != 0, LMC_ERR_INVALID_ARGUMENT,
                  "n_heads %d must divide d_model %d", cfg->n_heads, cfg->d_model);
    LMC_RETURN_IF(cfg->context < 1 || cfg->context > (1 << 20), LMC_ERR_INVALID_ARGUMENT,
                  "context %d: must be 1..1048576", cfg->context);
    return LMC_OK;
}

size_t lmc_model_config_num_params(const lmc_model_config *cfg) {
    size_t C = (size_t)cfg->d_model, L = (size_t)cfg->n_layers;
    return L * (12 * C * C + 9 * C) + 512 * C + 256;
}

lmc_model_params lmc_model_params_default(void) {
    lmc_model_params p;
    memset(&p, 0, sizeof p);
    lmc_model_config_preset("200k", &p.config);
    p.seed = 1;
    return p;
}

/* One layer's tensors in vector order: name suffix, rows and columns as multiples of C (0 cols:
 * a vector). */
static const struct {
    const char *suffix;
    int rows_c, cols_c; /* rows = rows_c * C; cols = cols_c * C (0: 1-D) */
} layer_tensors[] = {
    {"attn.wq", 1, 1},    {"attn.wk", 1, 1},   {"attn.wv", 1, 1}, {"attn.wo", 1, 1},
    {"ln1.scale", 1, 0},  {"ln1.offset", 1, 0}, {"ffn.w1", 1, 4}, {"ffn.b1", 4, 0},
    {"ffn.w2", 4, 1},     {"ffn.b2", 1, 0},    {"ln2.scale", 1, 0}, {"ln2.offset", 1, 0},
};
#define N_LAYER_TENSORS (sizeof layer_tensors / sizeof layer_tensors[0])

size_t lmc_model_num_tensors(const lmc_model_config *cfg) {
    return 3 + (size_t)cfg->n_layers * N_LAYER_TENSORS;
}

lmc_status lmc_model_tensor_desc(const lmc_model_config *cfg, size_t i, lmc_tensor_desc *out) {
    size_t C = (size_t)cfg->d_model, n = lmc_model_num_tensors(cfg);
    LMC_RETURN_IF(i >= n, LMC_ERR_INVALID_ARGUMENT, "tensor index %zu past %zu", i, n);
    memset(out, 0, sizeof *out);
    if (i == 0) {
        snprintf(out->name, sizeof out->name, "embed");
        out->ndim = 2;
        out->shape[0] = LMC_VOCAB;
        out->shape[1] = C;
        out->offset = 0;
    } else if (i >= n - 2) {
        size_t base = lmc_ref_offset_out(cfg);
        if (i == n - 2) {
            snprintf(out->name, sizeof out->name, "out.w");
            out->ndim = 2;
            out->shape[0] = C;
            out->shape[1] = LMC_VOCAB;
            out->offset = base;
        } else {
            snprintf(out->name, sizeof out->name, "out.b");
            out->ndim = 1;
            out->shape[0] = LMC_VOCAB;
            out->offset = base + C * LMC_VOCAB;
        }
    } else {
        size_t l = (i - 1) / N_LAYER_TENSORS, j = (i - 1) % N_LAYER_TENSORS;
        size_t off = lmc_ref_offset_layer(cfg, (int)l);
        for (size_t k = 0; k < j; k++) {
            size_t r = (size_t)layer_tensors[k].rows_c * C, c = (size_t)layer_tensors[k].cols_c * C;
            off += c ? r * c : r;
        }
        snprintf(out->name, sizeof out->name, "layer%zu.%s", l, layer_tensors[j].suffix);
        out->shape[0] = (size_t)layer_tensors[j].rows_c * C;
        out->shape[1] = (size_t)layer_tensors[j].cols_c * C;
        out->ndim = out->shape[1] ? 2 : 1;
        out->offset = off;
    }
    out->size = out->ndim == 2 ? out->shape[0] * out->shape[1] : out->shape[0];
    return LMC_OK;
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
