/* gemm.h : the matrix products of the model on an OpenCL device, through CLBlast. gemm.c is the
 * only file that includes clblast_c.h. Row-major throughout; matrices (in, out), y = x·W. */
#ifndef LMC_GEMM_H
#define LMC_GEMM_H

#include "device_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C (M,N) = alpha * op(A) · op(B) + beta * C with op(X) = X or Xᵀ; A, B, C at float offsets
 * a_off, b_off, c_off, leading dimensions as stored (row-major). */
lmc_status lmc_gemm(lmc_device *device, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                    float alpha, cl_mem A, size_t a_off, size_t lda, cl_mem B, size_t b_off,
                    size_t ldb, float beta, cl_mem C, size_t c_off, size_t ldc);

/* `count` independent products C_i = alpha op(A_i) op(B_i) + beta C_i of one shape, the i-th
 * operands at float offsets a_offs[i], b_offs[i], c_offs[i] of the same three buffers. */
lmc_status lmc_gemm_batched(lmc_device *device, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                            float alpha, cl_mem A, const size_t *a_offs, size_t lda, cl_mem B,
                            const size_t *b_offs, size_t ldb, float beta, cl_mem C,
                            const size_t *c_offs, size_t ldc, size_t count);

/* lmc_gemm_tuned() : 1 when lmc_gemm uses our own CLBlast parameters on this device (a PoCL CPU
 * device, see gemm.c), 0 when it uses CLBlast's database. */
int lmc_gemm_tuned(const lmc_device *device);

#ifdef __cplusplus
}
#endif
#endif /* LMC_GEMM_H */
