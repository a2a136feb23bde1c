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

/* lmc_file_write_atomic() : write `size` bytes to PATH.tmp.PID, fsync, rename to `path`; the
 * temporary is removed on failure, so `path` is either the old file or the complete new one. */
lmc_status lmc_file_write_atomic(const char *path, const void *data, size_t size);

/* lmc_file_read_all() : the whole file in a malloc'd buffer (*data, caller frees). */
lmc_status lmc_file_read_all(const char *path, uint8_t **data, size_t *size);

#endif /* LMC_MODEL_INTERNAL_H */
