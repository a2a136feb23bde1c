/* spec.c : the model of DESIGN.md §2 as data: the presets, the checks a configuration must pass,
 * the parameter count, the tensor table (names, shapes, offsets) and the flat parameter layout.
 * The one place both the plain-C oracle (ref/) and the OpenCL model (model/) read the spec from.
 * Invariant: the tensor table order is the parameter vector order; the two are written here,
 * side by side, so they cannot drift apart. */
#include <stdio.h>
#include <string.h>

#include "spec.h"

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
        size_t base = lmc_spec_offset_out(cfg);
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
        size_t off = lmc_spec_offset_layer(cfg, (int)l);
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


size_t lmc_spec_offset_embed(const lmc_model_config *cfg) {
    (void)cfg;
    return 0;
}

size_t lmc_spec_offset_layer(const lmc_model_config *cfg, int l) {
    size_t C = (size_t)cfg->d_model;
    return (size_t)LMC_VOCAB * C + (size_t)l * (12 * C * C + 9 * C);
}

size_t lmc_spec_offset_out(const lmc_model_config *cfg) { return lmc_spec_offset_layer(cfg, cfg->n_layers); }

void lmc_spec_layer_view(const lmc_model_config *cfg, float *base, int l, lmc_spec_layer *out) {
    size_t C = (size_t)cfg->d_model;
    float *p = base + lmc_spec_offset_layer(cfg, l);
    out->wq = p;            p += C * C;
    out->wk = p;            p += C * C;
    out->wv = p;            p += C * C;
    out->wo = p;            p += C * C;
    out->ln1_scale = p;     p += C;
    out->ln1_offset = p;    p += C;
    out->w1 = p;            p += 4 * C * C;
    out->b1 = p;            p += 4 * C;
    out->w2 = p;            p += 4 * C * C;
    out->b2 = p;            p += C;
    out->ln2_scale = p;     p += C;
    out->ln2_offset = p;
}

