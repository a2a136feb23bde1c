/* exact_builtin.h : the registry of built-in coding models that cmake/lmc_embed_models.cmake
 * generates from the LMC_BUILTIN_MODELS list (runtime/exact/CMakeLists.txt), oldest first. */
#ifndef LMC_EXACT_BUILTIN_H
#define LMC_EXACT_BUILTIN_H

#include <stddef.h>

typedef struct lmc_builtin_entry {
    const char *name;          /* file name without .safetensors */
    const unsigned char *data; /* the coding model image (lmc-exact-1 or -2) */
    size_t size;
} lmc_builtin_entry;

extern const lmc_builtin_entry lmc_builtin_registry[];
extern const size_t lmc_builtin_registry_count;
/* The entry "default" opens: LMC_DEFAULT_BUILTIN of runtime/exact/CMakeLists.txt (0 when the
 * registry is empty, where "default" is an error). */
extern const size_t lmc_builtin_default_index;

#endif /* LMC_EXACT_BUILTIN_H */
