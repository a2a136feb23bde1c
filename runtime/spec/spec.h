/* spec.h : the flat parameter layout of DESIGN.md §2 (spec.c), beside the public configuration
 * and tensor-table functions of lmc/model.h that spec.c also defines. Used by the oracle (ref/),
 * the float model (model/) and the coding path (exact/); depends on nothing but lmc/model.h. */
#ifndef LMC_SPEC_H
#define LMC_SPEC_H

#include <stddef.h>

#include "lmc/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pointers to one layer's tensors inside a flat parameter (or gradient) vector. */
typedef struct lmc_spec_layer {
    float *wq, *wk, *wv, *wo;   /* (C,C) */
    float *ln1_scale, *ln1_offset; /* (C) */
    float *w1;                  /* (C,4C) */
    float *b1;                  /* (4C) */
    float *w2;                  /* (4C,C) */
    float *b2;                  /* (C) */
    float *ln2_scale, *ln2_offset; /* (C) */
} lmc_spec_layer;

/* Offsets (in floats) of embed, layer l and the output tensors in the flat vector. */
size_t lmc_spec_offset_embed(const lmc_model_config *cfg);
size_t lmc_spec_offset_layer(const lmc_model_config *cfg, int l);
size_t lmc_spec_offset_out(const lmc_model_config *cfg); /* out.w; out.b follows it */
void lmc_spec_layer_view(const lmc_model_config *cfg, float *base, int l, lmc_spec_layer *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_SPEC_H */
