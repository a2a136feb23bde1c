/* ref_probe.c : the plain-C twin of cl/device/probe.cl, the oracle of the device exactness probe.
 * Built with -ffp-contract=off (cmake/lmc_warnings.cmake), so `acc + a*b` rounds twice, exactly
 * like probe_dot under FP_CONTRACT OFF. */
#include <math.h>

#include "ref_probe.h"

/* a (rows, K) row-major, b (K) -> out (rows); summed in index order. */
void lmc_ref_probe_dot(const float *a, const float *b, size_t rows, size_t K, float *out) {
    for (size_t r = 0; r < rows; r++) {
        float acc = 0.0f;
        for (size_t k = 0; k < K; k++) acc = acc + a[r * K + k] * b[k];
        out[r] = acc;
    }
}

/* The same sum with every multiply-add fused into one rounding, what a contracting compiler
 * makes of the loop above. */
void lmc_ref_probe_dot_fused(const float *a, const float *b, size_t rows, size_t K, float *out) {
    for (size_t r = 0; r < rows; r++) {
        float acc = 0.0f;
        for (size_t k = 0; k < K; k++) acc = fmaf(a[r * K + k], b[k], acc);
        out[r] = acc;
    }
}
