/* exact_builtin.c : built-in coding models (embedded at build time), found by name, "default"
 * (the one LMC_DEFAULT_BUILTIN names) or by model id (a .lmc header's).
 * Key invariant: the list is only ever added to, so every id a released lmc wrote stays here. */
#include <string.h>

#include "exact_builtin.h"
#include "exact_internal.h"
#include "lmc/sha256.h"

size_t lmc_builtin_model_count(void) { return lmc_builtin_registry_count; }

size_t lmc_builtin_model_default(void) { return lmc_builtin_default_index; }

const char *lmc_builtin_model_name(size_t i) {
    return i < lmc_builtin_registry_count ? lmc_builtin_registry[i].name : NULL;
}

lmc_status lmc_builtin_model_load(size_t i, lmc_exact_model **out) {
    LMC_RETURN_IF(i >= lmc_builtin_registry_count, LMC_ERR_NOT_FOUND, "no built-in model %zu", i);
    return lmc_exact_model_load_memory(lmc_builtin_registry[i].data, lmc_builtin_registry[i].size, out);
}

lmc_status lmc_builtin_model_find_id(const uint8_t id[LMC_MODEL_ID_SIZE], lmc_exact_model **out) {
    LMC_RETURN_IF(!id || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_builtin_model_find_id: NULL argument");
    *out = NULL;
    for (size_t i = lmc_builtin_registry_count; i-- > 0;) {
        lmc_exact_model *m = NULL;
        LMC_TRY(lmc_builtin_model_load(i, &m));
        if (memcmp(m->id, id, LMC_MODEL_ID_SIZE) == 0) {
            *out = m;
            return LMC_OK;
        }
        lmc_exact_model_destroy(m);
    }
    char hex[65];
    lmc_sha256_hex(id, hex);
    return lmc_set_error(LMC_ERR_MODEL_MISMATCH, "no built-in coding model has id %s (name the model with -m FILE)", hex);
}

lmc_status lmc_exact_model_open(const char *name, lmc_exact_model **out) {
    LMC_RETURN_IF(!name || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_model_open: NULL argument");
    *out = NULL;
    if (strcmp(name, "default") == 0) {
        LMC_RETURN_IF(lmc_builtin_registry_count == 0, LMC_ERR_NOT_FOUND, "this lmc has no built-in model");
        return lmc_builtin_model_load(lmc_builtin_default_index, out);
    }
    for (size_t i = 0; i < lmc_builtin_registry_count; i++)
        if (strcmp(name, lmc_builtin_registry[i].name) == 0) return lmc_builtin_model_load(i, out);
    return lmc_exact_model_load(name, out);
}
