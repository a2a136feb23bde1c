/* gemm.c : CLBlast SGEMM behind lmc_gemm() (see gemm.h). The only file including clblast_c.h.
 * CLBlast tunes per device, so results may differ between devices, never between runs on one
 * device with the same shapes: training only (DESIGN.md §3), never the coding path. */
#include "gemm.h"

#include <clblast_c.h>
#include <stdlib.h>

lmc_status lmc_gemm(lmc_device *device, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                    float alpha, cl_mem A, size_t a_off, size_t lda, cl_mem B, size_t b_off,
                    size_t ldb, float beta, cl_mem C, size_t c_off, size_t ldc) {
    LMC_RETURN_IF(!device || !device->queue, LMC_ERR_INVALID_ARGUMENT, "lmc_gemm: not an OpenCL device");
    if (M == 0 || N == 0) return LMC_OK;
    CLBlastStatusCode st = CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                                        trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, alpha, A,
                                        a_off, lda, B, b_off, ldb, beta, C, c_off, ldc, &device->queue, NULL);
    LMC_RETURN_IF(st != CLBlastSuccess, LMC_ERR_CLBLAST, "CLBlastSgemm(%zux%zux%zu, trans %d%d) on %s failed: %d",
                  M, N, K, trans_a, trans_b, device->info.selector, (int)st);
    return LMC_OK;
}

lmc_status lmc_gemm_batched(lmc_device *device, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                            float alpha, cl_mem A, const size_t *a_offs, size_t lda, cl_mem B,
                            const size_t *b_offs, size_t ldb, float beta, cl_mem C,
                            const size_t *c_offs, size_t ldc, size_t count) {
    LMC_RETURN_IF(!device || !device->queue, LMC_ERR_INVALID_ARGUMENT, "lmc_gemm_batched: not an OpenCL device");
    if (M == 0 || N == 0 || count == 0) return LMC_OK;
    float *ab = malloc(2 * count * sizeof *ab); /* CLBlast wants one alpha and one beta per product */
    if (!ab) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "batched GEMM scalars");
    for (size_t i = 0; i < count; i++) {
        ab[i] = alpha;
        ab[count + i] = beta;
    }
    CLBlastStatusCode st = CLBlastSgemmBatched(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                                               trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, ab, A,
                                               a_offs, lda, B, b_offs, ldb, ab + count, C, c_offs, ldc, count,
                                               &device->queue, NULL);
    free(ab);
    LMC_RETURN_IF(st != CLBlastSuccess, LMC_ERR_CLBLAST,
                  "CLBlastSgemmBatched(%zu x %zux%zux%zu, trans %d%d) on %s failed: %d", count, M, N, K, trans_a,
                  trans_b, device->info.selector, (int)st);
    return LMC_OK;
}
