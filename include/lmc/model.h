/* model.h : the float Transformer of DESIGN.md §2: configurations and presets, creation with the
 * specified initialisation, safetensors model files (format `lmc-float-1`) and log-probabilities
 * computed by the plain-C reference (cpu-ref).
 *
 * A model is one flat float32 parameter vector in a fixed tensor order (embed; per layer attn.wq,
 * wk, wv, wo, ln1.scale, ln1.offset, ffn.w1, b1, w2, b2, ln2.scale, ln2.offset; out.w, out.b),
 * each tensor row-major with matrices stored (in, out) so that y = x·W. Its size is
 * L(12C²+9C) + 512C + 256. Files store the same tensors under the names of DESIGN.md §2. */
#ifndef LMC_MODEL_H
#define LMC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_VOCAB 256
#define LMC_MODEL_FORMAT "lmc-float-1"

/* The shape of a model. d_model even, d_model % n_heads == 0. */
typedef struct lmc_model_config {
    int d_model;  /* C */
    int n_layers; /* L */
    int n_heads;  /* NH */
    int context;  /* T: the longest window the model is trained or evaluated on */
} lmc_model_config;

/* lmc_model_config_preset() : the presets of DESIGN.md §2: "tiny" (C16 L2 NH2 T64), "200k" (C64),
 * "800k" (C128), "3.2m" (C256), the last three with L4 NH8 T2048.
 * @return LMC_OK, or LMC_ERR_INVALID_ARGUMENT for an unknown name. */
lmc_status lmc_model_config_preset(const char *name, lmc_model_config *out);

/* lmc_model_config_check() : LMC_OK when `cfg` describes a buildable model, else
 * LMC_ERR_INVALID_ARGUMENT with the reason. */
lmc_status lmc_model_config_check(const lmc_model_config *cfg);

/* lmc_model_config_num_params() : L(12C²+9C) + 512C + 256. */
size_t lmc_model_config_num_params(const lmc_model_config *cfg);

/* Creation parameters. lmc_model_params_default() gives the 200k preset and seed 1. */
typedef struct lmc_model_params {
    lmc_model_config config;
    uint64_t seed; /* the initialisation is a pure function of (config, seed) */
} lmc_model_params;

lmc_model_params lmc_model_params_default(void);

typedef struct lmc_model lmc_model;

/* lmc_model_create() : a freshly initialised model (DESIGN.md §2: linear weights truncated
 * normal ±2σ with σ = 1/sqrt(fan_in), biases 0, embeddings σ 0.02, LN scale 1, offset 0).
 * @return LMC_OK with *out owned by the caller (lmc_model_destroy()). */
lmc_status lmc_model_create(const lmc_model_params *params, lmc_model **out);

/* lmc_model_destroy() : accepts NULL. */
void lmc_model_destroy(lmc_model *model);

/* lmc_model_load() : read a safetensors model file. Every tensor of the configuration must be
 * present with dtype F32 and its exact shape, no other tensor may be, the metadata must name
 * format lmc-float-1 and a valid configuration, and the data must fill the file exactly.
 * @return LMC_OK with *out (caller-owned); LMC_ERR_IO / LMC_ERR_NOT_FOUND when the file cannot be
 *         read; LMC_ERR_MODEL with a detail naming the offending tensor or field otherwise. */
lmc_status lmc_model_load(const char *path, lmc_model **out);

/* lmc_model_load_memory() : the same from a buffer of `size` bytes (not retained). */
lmc_status lmc_model_load_memory(const void *data, size_t size, lmc_model **out);

/* lmc_model_save() : write the model as safetensors. Deterministic (sorted keys, no timestamps:
 * the same model gives the same bytes) and atomic (written to PATH.tmp.PID, synced, renamed). */
lmc_status lmc_model_save(const lmc_model *model, const char *path);

/* lmc_model_serialize() : the file image in a malloc'd buffer (*data, caller frees with free()). */
lmc_status lmc_model_serialize(const lmc_model *model, uint8_t **data, size_t *size);

/* lmc_model_get_config() : valid while the model lives. */
const lmc_model_config *lmc_model_get_config(const lmc_model *model);

/* lmc_model_params_data() : the flat parameter vector (lmc_model_config_num_params() floats),
 * owned by the model and writable (training updates it in place). */
float *lmc_model_params_data(lmc_model *model);
const float *lmc_model_params_cdata(const lmc_model *model);

/* Tensor table: index i in [0, lmc_model_num_tensors()) in parameter order. */
typedef struct lmc_tensor_desc {
    char name[48];   /* e.g. "layer0.attn.wq" */
    int ndim;        /* 1 or 2 */
    size_t shape[2]; /* (in, out) for matrices */
    size_t offset;   /* in floats, into the parameter vector */
    size_t size;     /* in floats */
} lmc_tensor_desc;

size_t lmc_model_num_tensors(const lmc_model_config *cfg);
/* lmc_model_tensor_desc() : describe tensor `i` of `cfg`. @return LMC_ERR_INVALID_ARGUMENT past the end. */
lmc_status lmc_model_tensor_desc(const lmc_model_config *cfg, size_t i, lmc_tensor_desc *out);

/* lmc_model_logprobs() : natural-log probabilities of every byte of `bytes` (n ≤ context) given
 * the bytes before it (first input BOS = 0), computed by the plain-C reference.
 * out (n, 256), caller-owned. */
lmc_status lmc_model_logprobs(const lmc_model *model, const uint8_t *bytes, size_t n, float *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_MODEL_H */
