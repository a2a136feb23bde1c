/* exact_internal.h : the inside of a coding model, shared by runtime/exact_*.c. Not public.
 *
 * The model is a list of integer tensors (int16 or int32 in the file) held as one flat int32
 * array, the blob, in tensor-table order; `lay` holds the blob offset of each tensor in the slots
 * cl/exact/exact.cl reads. cl/exact/exact.cl is included here as plain C (LMC_EXACT_HOST): the cpu-ref
 * forward pass is that same integer code. */
#ifndef LMC_EXACT_INTERNAL_H
#define LMC_EXACT_INTERNAL_H

#include "lmc/exact.h"

#define LMC_EXACT_HOST 1
#include "exact.cl"

#define EX_VALUE_LIM (1 << 24) /* int32 tensors other than tables stay within +-2^24 */

typedef struct ex_tensor {
    char name[64];
    int is_i16;      /* I16 in the file (else I32) */
    int ndim;        /* 1 or 2 */
    size_t shape[2];
    size_t size;     /* elements */
    size_t offset;   /* in the blob */
    int slot;        /* its index in lay, or -1 */
} ex_tensor;

struct lmc_exact_model {
    lmc_model_config config;
    ex_tensor *t;    /* the tensor table, in blob order */
    size_t nt;
    int32_t *blob;   /* (blob_n) */
    size_t blob_n;
    int32_t *lay;    /* (lay_n) layout read by cl/exact/exact.cl */
    int lay_n;
    uint8_t id[LMC_MODEL_ID_SIZE];
    int format;      /* 1: lmc-exact-1, 2: lmc-exact-2 (lay[EX_LAY_FORMAT] holds it too) */
};

/* The metadata name of format version v (1 or 2). */
const char *lmc_exact_format_name(int v);

/* lmc_exact_model_finish() : compute m->id from the tensors (after they are filled). */
lmc_status lmc_exact_model_finish(lmc_exact_model *m);

#endif /* LMC_EXACT_INTERNAL_H */
