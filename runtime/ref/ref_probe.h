/* ref_probe.h : plain-C reference of the exactness probe (cl/device/probe.cl). */
#ifndef LMC_REF_PROBE_H
#define LMC_REF_PROBE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void lmc_ref_probe_dot(const float *a, const float *b, size_t rows, size_t K, float *out);
void lmc_ref_probe_dot_fused(const float *a, const float *b, size_t rows, size_t K, float *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_REF_PROBE_H */
