/* gemm.c : CLBlast SGEMM behind lmc_gemm() (see gemm.h). The only file including clblast_c.h.
 * CLBlast tunes per device, so results may differ between devices, never between runs on one
 * device with the same shapes: training only (DESIGN.md §3), never the coding path. */
#include "gemm.h"

#include <clblast_c.h>

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
