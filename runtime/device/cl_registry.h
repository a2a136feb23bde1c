/* cl_registry.h : the OpenCL C sources embedded at build time (cmake/lmc_embed.cmake writes the
 * table from the cl/ folder). Looked up by file name without ".cl"; `path` is where the file
 * lives under cl/ (and under $LMC_KERNEL_DIR when that replaces the embedded copies). */
#ifndef LMC_CL_REGISTRY_H
#define LMC_CL_REGISTRY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmc_cl_source {
    const char *name;   /* "probe" for cl/device/probe.cl */
    const char *path;   /* "device/probe": the file under cl/, without ".cl" */
    const char *text;   /* NUL-terminated */
    size_t length;      /* bytes, without the NUL */
} lmc_cl_source;

extern const lmc_cl_source lmc_cl_registry[];
extern const size_t lmc_cl_registry_count;

#ifdef __cplusplus
}
#endif
#endif /* LMC_CL_REGISTRY_H */
