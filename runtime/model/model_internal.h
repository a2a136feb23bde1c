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

/* A parsed safetensors header (runtime/model/model_file.c), shared with the coding-model loader. */
typedef struct st_entry {
    char name[128];
    char dtype[16];
    int ndim;
    uint64_t shape[8];
    uint64_t begin, end;
    int has_dtype, has_shape, has_offsets;
    int used;
} st_entry;

typedef struct st_header {
    st_entry *e;
    size_t n, cap;
    char format[64];
    char d_model[32], n_layers[32], n_heads[32], context[32];
    int has_metadata;
} st_header;

/* lmc_st_parse() : parse the header of a safetensors image into *h (zeroed by the caller; free
 * h->e after), check that __metadata__ is present and that the tensors cover the data section
 * exactly; *body, *body_len = the data section. Errors are LMC_ERR_MODEL with a detail. */
lmc_status lmc_st_parse(const uint8_t *data, size_t size, st_header *h, const uint8_t **body, size_t *body_len);

#endif /* LMC_MODEL_INTERNAL_H */
