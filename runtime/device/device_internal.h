/* device_internal.h : what runtime/ files share about an open device. Not a public header.
 *
 * An lmc_device of kind OpenCL owns one context, one in-order queue and a cache of built
 * programs keyed by (program name, preamble). The cpu-ref device owns nothing. */
#ifndef LMC_DEVICE_INTERNAL_H
#define LMC_DEVICE_INTERNAL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "lmc/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmc_program_entry {
    char *name;
    char *preamble;
    cl_program program;
    struct lmc_program_entry *next;
} lmc_program_entry;

struct lmc_device {
    lmc_device_info info;
    cl_platform_id platform; /* NULL for cpu-ref */
    cl_device_id id;
    cl_context context;
    cl_command_queue queue;
    lmc_program_entry *programs; /* in-process program cache */
    unsigned programs_from_disk;   /* programs loaded from the on-disk binary cache */
    unsigned programs_from_source; /* programs compiled from source */
    struct lmc_profile *profile;   /* per-kernel timing while on (profile.h); NULL: off */
};

/* Frees the profile of a device being destroyed (profile.c). */
void lmc_device_profile_free_(lmc_device *device);

/* lmc_cl_error_name() : "CL_OUT_OF_RESOURCES" for -5, "CL_UNKNOWN_ERROR" for unknown codes. */
const char *lmc_cl_error_name(cl_int code);

/* LMC_CL_CHECK(expr) : evaluate an OpenCL call; on failure record the call, the code's name and
 * file:line, and return LMC_ERR_OPENCL from the enclosing function. Never aborts. */
#define LMC_CL_CHECK(expr)                                                                   \
    do {                                                                                     \
        cl_int lmc_cl_err_ = (expr);                                                         \
        if (lmc_cl_err_ != CL_SUCCESS)                                                       \
            return lmc_set_error(LMC_ERR_OPENCL, "%s failed: %s (%d) at %s:%d", #expr,       \
                                 lmc_cl_error_name(lmc_cl_err_), (int)lmc_cl_err_, __FILE__, \
                                 __LINE__);                                                  \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif /* LMC_DEVICE_INTERNAL_H */
