/* model_internal.h : the inside of an lmc_model, shared by model.c and model_file.c. */
#ifndef LMC_MODEL_INTERNAL_H
#define LMC_MODEL_INTERNAL_H

#include "lmc/model.h"

struct lmc_model {
    lmc_model_config config;
    size_t n_params;
    float *params; /* (n_params) in the order of lmc_model_tensor_desc() */
};

/* model_alloc() : a model of `cfg` with zeroed parameters. */
lmc_status lmc_model_alloc(const lmc_model_config *cfg, lmc_model **out);

#endif /* LMC_MODEL_INTERNAL_H */
