/* device.h : the devices lmc computes on: every OpenCL device of every platform, plus the
 * plain-C reference `cpu-ref`, which is always present and is the oracle for the others.
 *
 * Selection follows DESIGN.md §6. A selector is
 *   - "cpu-ref";
 *   - "P.D", the platform and device index as `lmc devices` lists them;
 *   - otherwise a case-insensitive substring of "platform device-name" (e.g. "pthread", "basic",
 *     "oclgrind"). A substring matching several devices is an error that lists them.
 * The default device is $LMC_DEVICE when set, else the first GPU, else PoCL's pthread device,
 * else another PoCL device, else cpu-ref. A simulator (oclgrind) is used only when named. */
#ifndef LMC_DEVICE_H
#define LMC_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_DEVICE_TEXT_CAP 256

typedef enum lmc_device_kind {
    LMC_DEVICE_KIND_CPU_REF = 0, /* the plain-C reference */
    LMC_DEVICE_KIND_OPENCL = 1
} lmc_device_kind;

/* What `lmc devices` shows of a device. Plain data: copy it freely. */
typedef struct lmc_device_info {
    lmc_device_kind kind;
    char selector[32];         /* "P.D" or "cpu-ref" */
    int platform_index;        /* -1 for cpu-ref */
    int device_index;          /* -1 for cpu-ref */
    char platform[LMC_DEVICE_TEXT_CAP];
    char name[LMC_DEVICE_TEXT_CAP];
    char vendor[LMC_DEVICE_TEXT_CAP];
    char driver_version[LMC_DEVICE_TEXT_CAP];
    char opencl_c_version[LMC_DEVICE_TEXT_CAP];
    char type[16];             /* "GPU", "CPU", "accelerator", "other" or "reference" */
    unsigned compute_units;
    uint64_t global_mem_bytes;
    uint64_t max_alloc_bytes;
    size_t max_work_group_size;
    /* fp32 capabilities that decide whether float results can be made exact (DESIGN.md §3). */
    int fp32_denormals;                  /* keeps denormals instead of flushing them to zero */
    int fp32_fma;                        /* fma() is a single hardware rounding */
    int fp32_correctly_rounded_div_sqrt; /* -cl-fp32-correctly-rounded-divide-sqrt available */
    int is_gpu;
    int is_simulator;                    /* oclgrind: only used when named */
} lmc_device_info;

/* lmc_devices_list() : enumerate cpu-ref and every OpenCL device of every platform.
 * A machine without any OpenCL platform is not an error: the list then holds cpu-ref alone.
 * @return LMC_OK with *list (owned by the caller, free with lmc_devices_free()) and *count. */
lmc_status lmc_devices_list(lmc_device_info **list, size_t *count);

/* lmc_devices_free() : release a list from lmc_devices_list(). Accepts NULL. */
void lmc_devices_free(lmc_device_info *list);

/* lmc_devices_select() : resolve one selector against `list`.
 * @return LMC_OK with *index; LMC_ERR_DEVICE_NOT_FOUND (detail lists the devices) or
 *         LMC_ERR_DEVICE_AMBIGUOUS (detail lists the matches). */
lmc_status lmc_devices_select(const lmc_device_info *list, size_t count, const char *selector,
                              size_t *index);

/* lmc_devices_select_many() : resolve a comma-separated list of selectors; "all" means every
 * device except simulators. Duplicates are dropped, order is kept.
 * @return LMC_OK with indices[0..*n); LMC_ERR_BUFFER_TOO_SMALL when more than `cap` match. */
lmc_status lmc_devices_select_many(const lmc_device_info *list, size_t count, const char *selectors,
                                   size_t *indices, size_t cap, size_t *n);

/* lmc_devices_default() : the default device: $LMC_DEVICE when set (resolved like a selector,
 * errors included), else by the order in DESIGN.md §6. cpu-ref guarantees a result. */
lmc_status lmc_devices_default(const lmc_device_info *list, size_t count, size_t *index);

/* An open device: an OpenCL context and in-order queue, or the CPU reference. */
typedef struct lmc_device lmc_device;

/* lmc_device_create() : open the device `info` describes (as returned by lmc_devices_list()).
 * @return LMC_OK with *out, owned by the caller (lmc_device_destroy()). */
lmc_status lmc_device_create(const lmc_device_info *info, lmc_device **out);

/* lmc_device_open() : list the devices, resolve `selector` (NULL: the default) and open it. */
lmc_status lmc_device_open(const char *selector, lmc_device **out);

/* lmc_device_destroy() : release the device and every program cached on it. Accepts NULL. */
void lmc_device_destroy(lmc_device *device);

/* lmc_device_get_info() : the description the device was opened from; valid while it lives. */
const lmc_device_info *lmc_device_get_info(const lmc_device *device);

/* lmc_device_probe_dot() : compute out[r] = sum_k a[r*K+k]*b[k] in index order on `device`
 * (a (rows,K) row-major, b (K), out (rows)). With contracted = 0 every device must agree with
 * cpu-ref bit for bit; contracted = 1 lets the compiler fuse multiply-adds, the negative
 * control that shows a device would differ without the rules of DESIGN.md §3.
 * On cpu-ref `contracted` computes with explicit fma(), the fused result a contracting
 * compiler produces. */
lmc_status lmc_device_probe_dot(lmc_device *device, const float *a, const float *b, size_t rows,
                                size_t K, int contracted, float *out);

/* lmc_device_check_exact() : run the probe on fixed pseudo-random inputs (256 rows, K = 257)
 * on `device` and on the plain-C reference. *exact = 1 when the strict probe matches cpu-ref bit
 * for bit; *contraction_differs = 1 when the contracted probe differs from the strict reference
 * (the device fuses multiply-adds when allowed to). Either output may be NULL. */
lmc_status lmc_device_check_exact(lmc_device *device, int *exact, int *contraction_differs);

#ifdef __cplusplus
}
#endif
#endif /* LMC_DEVICE_H */
