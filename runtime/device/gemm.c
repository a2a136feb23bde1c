/* gemm.c : CLBlast SGEMM behind lmc_gemm() (see gemm.h). The only file including clblast_c.h.
 * CLBlast tunes per device, so results may differ between devices, never between runs on one
 * device with the same shapes: training only (DESIGN.md §3), never the coding path. */
#include "gemm.h"

#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* CLBlast's kernel parameters per device. CLBlast ships tuned parameters for many GPUs but none
 * for PoCL's CPU devices, whose defaults run our shapes at ~20 GFLOP/s. The rows below were
 * hand-tuned on PoCL 'pthread' (LLVM, AVX-512 host, docs/clblast-tuning.md): Xgemm 106 GFLOP/s at
 * 1024^3 and XgemmDirect 62 at 2048x192x64 (defaults 20). A row applies to every device whose
 * platform name contains `platform` and whose type is `type`; other devices keep CLBlast's
 * database. Parameters only change speed and summation order, never the shapes computed, and a
 * device always gets the same ones, so training stays repeatable on it. */
typedef struct gemm_tuning {
    const char *platform, *type, *kernel;
    size_t n;
    const char *names[16];
    size_t values[16];
} gemm_tuning;

static const gemm_tuning kTunings[] = {
    {"Portable Computing Language", "CPU", "Xgemm", 16,
     {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "SA", "SB", "STRM", "STRN",
      "VWM", "VWN"},
     {0, 1, 16, 2, 4, 4, 32, 4, 4, 64, 0, 0, 0, 0, 8, 16}},
};

int lmc_gemm_tuned(const lmc_device *device) {
    const char *env = getenv("LMC_GEMM_TUNING"); /* "off": CLBlast's own database everywhere */
    if (env && strcmp(env, "off") == 0) return 0;
    for (size_t i = 0; device && i < sizeof kTunings / sizeof kTunings[0]; i++)
        if (strstr(device->info.platform, kTunings[i].platform) && strcmp(device->info.type, kTunings[i].type) == 0 &&
            !device->info.is_simulator)
            return 1;
    return 0;
}

/* Gives CLBlast this device's rows of kTunings (before its first use on the device: CLBlast keeps
 * compiled programs, so an override only takes effect for kernels not yet built). CLBlast keeps
 * the parameters in its own locked cache, so repeating this is harmless; it is cheap. */
static lmc_status apply_tuning(lmc_device *device) {
    if (!lmc_gemm_tuned(device)) return LMC_OK;
    for (size_t i = 0; i < sizeof kTunings / sizeof kTunings[0]; i++) {
        const gemm_tuning *t = &kTunings[i];
        if (!strstr(device->info.platform, t->platform) || strcmp(device->info.type, t->type) != 0 ||
            device->info.is_simulator)
            continue;
        const char *names[16];
        memcpy(names, t->names, sizeof names); /* CLBlast's C API takes const char ** */
        CLBlastStatusCode st =
            CLBlastOverrideParameters(device->id, t->kernel, CLBlastPrecisionSingle, t->n, names, t->values);
        LMC_RETURN_IF(st != CLBlastSuccess, LMC_ERR_CLBLAST, "CLBlastOverrideParameters(%s) on %s failed: %d",
                      t->kernel, device->info.selector, (int)st);
    }
    return LMC_OK;
}

/* Files the CLBlast call just enqueued with the profiler (profile.h), as "sgemm NT MxNxK" (with
 * " xCOUNT" when batched): 2·M·N·K flops a product, and the bytes of A, B and C once each (read A,
 * B, C, write C when beta != 0), the least traffic the product needs. */
static void profile_gemm(lmc_device *device, const char *kind, int trans_a, int trans_b, size_t M, size_t N,
                         size_t K, float beta, size_t count) {
    if (!lmc_device_profiling(device)) return;
    char label[128]; /* the profiler keeps 47 bytes, plenty for real shapes */
    if (count > 1)
        snprintf(label, sizeof label, "%s %c%c %zux%zux%zu x%zu", kind, trans_a ? 'T' : 'N',
                 trans_b ? 'T' : 'N', M, N, K, count);
    else
        snprintf(label, sizeof label, "%s %c%c %zux%zux%zu", kind, trans_a ? 'T' : 'N', trans_b ? 'T' : 'N',
                 M, N, K);
    double c = (double)count, m = (double)M, n = (double)N, k = (double)K;
    double bytes = 4.0 * c * (m * k + k * n + (beta != 0.0f ? 2.0 : 1.0) * m * n);
    lmc_device_profile_record(device, label, 0.0, 2.0 * c * m * n * k, bytes);
}

lmc_status lmc_gemm(lmc_device *device, int trans_a, int trans_b, size_t M, size_t N, size_t K,
                    float alpha, cl_mem A, size_t a_off, size_t lda, cl_mem B, size_t b_off,
                    size_t ldb, float beta, cl_mem C, size_t c_off, size_t ldc) {
    LMC_RETURN_IF(!device || !device->queue, LMC_ERR_INVALID_ARGUMENT, "lmc_gemm: not an OpenCL device");
    if (M == 0 || N == 0) return LMC_OK;
    LMC_TRY(apply_tuning(device));
    CLBlastStatusCode st =
        CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                     trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, alpha, A, a_off, lda, B,
                     b_off, ldb, beta, C, c_off, ldc, &device->queue, lmc_device_profile_span(device));
    profile_gemm(device, "sgemm", trans_a, trans_b, M, N, K, beta, 1);
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
    LMC_TRY(apply_tuning(device));
    float *ab = malloc(2 * count * sizeof *ab); /* CLBlast wants one alpha and one beta per product */
    if (!ab) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "batched GEMM scalars");
    for (size_t i = 0; i < count; i++) {
        ab[i] = alpha;
        ab[count + i] = beta;
    }
    CLBlastStatusCode st = CLBlastSgemmBatched(
        CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, ab, A, a_offs, lda, B, b_offs, ldb,
        ab + count, C, c_offs, ldc, count, &device->queue, lmc_device_profile_span(device));
    profile_gemm(device, "sgemm_batched", trans_a, trans_b, M, N, K, beta, count);
    free(ab);
    LMC_RETURN_IF(st != CLBlastSuccess, LMC_ERR_CLBLAST,
                  "CLBlastSgemmBatched(%zu x %zux%zux%zu, trans %d%d) on %s failed: %d", count, M, N, K, trans_a,
                  trans_b, device->info.selector, (int)st);
    return LMC_OK;
}
