/* ops.c : host launchers of the model kernels (see ops.h). Each launcher sets the arguments in
 * the order of its kernel in cl/<family>.cl and enqueues an NDRange of the work-item count the
 * kernel documents: the elementwise kernels with no local size, the tiled ones (matmul.cl,
 * attention_fused.cl) in small explicit groups (launch_2d). Results never depend on the local
 * size, since every work-item reduces in a fixed order on its own. */
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "profile.h"
#include "program.h"

typedef struct karg {
    size_t size;
    const void *value;
} karg;

#define KMEM(m) ((karg){sizeof(cl_mem), &(m)})
#define KINT(i) ((karg){sizeof(cl_int), &(cl_int){(cl_int)(i)}})
#define KFLT(f) ((karg){sizeof(cl_float), &(cl_float){(cl_float)(f)}})

/* Kernel `name` of `program` built with `preamble` (may be NULL), its arguments set. Caller
 * releases *out. */
static lmc_status kernel_with_args(lmc_device *d, const char *program, const char *preamble, const char *name,
                                   const karg *args, size_t nargs, cl_kernel *out) {
    cl_program prog = NULL;
    LMC_TRY(lmc_program_get(d, program, preamble, &prog));
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(prog, name, &err);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "clCreateKernel(%s) on %s: %s", name, d->info.selector,
                  lmc_cl_error_name(err));
    for (size_t i = 0; i < nargs && err == CL_SUCCESS; i++) err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].value);
    if (err != CL_SUCCESS) {
        clReleaseKernel(k);
        return lmc_set_error(LMC_ERR_OPENCL, "arguments of kernel %s on %s: %s (%d)", name, d->info.selector,
                             lmc_cl_error_name(err), (int)err);
    }
    *out = k;
    return LMC_OK;
}

/* Enqueues the 1-D range of `global` work-items of kernel `name` (program built with `preamble`,
 * may be NULL), filed by the profiler under `name`. */
static lmc_status launch_pre(lmc_device *d, const char *program, const char *preamble, const char *name,
                             size_t global, const karg *args, size_t nargs) {
    if (global == 0) return LMC_OK;
    cl_kernel k = NULL;
    LMC_TRY(kernel_with_args(d, program, preamble, name, args, nargs, &k));
    cl_int err = clEnqueueNDRangeKernel(d->queue, k, 1, NULL, &global, NULL, 0, NULL, lmc_device_profile_event(d));
    lmc_device_profile_record(d, name, (double)global, 0, 0);
    clReleaseKernel(k);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "kernel %s on %s: %s (%d)", name, d->info.selector,
                  lmc_cl_error_name(err), (int)err);
    return LMC_OK;
}

static lmc_status launch(lmc_device *d, const char *program, const char *name, size_t global, const karg *args,
                         size_t nargs) {
    return launch_pre(d, program, NULL, name, global, args, nargs);
}


#define LAUNCH(prog, name, global, ...)                                                        \
    do {                                                                                       \
        const karg args_[] = {__VA_ARGS__};                                                    \
        LMC_TRY(launch(d, prog, name, (size_t)(global), args_, sizeof args_ / sizeof args_[0])); \
    } while (0)

lmc_status lmc_op_embed_fwd(lmc_device *d, cl_mem out, cl_mem in, cl_mem embed, cl_mem pos, int B, int T, int C) {
    LAUNCH("embed", "embed_fwd", (size_t)B * T * C, KMEM(out), KMEM(in), KMEM(embed), KMEM(pos), KINT(T), KINT(C),
           KINT(B * T * C));
    return LMC_OK;
}

lmc_status lmc_op_embed_bwd(lmc_device *d, cl_mem dembed, cl_mem dout, cl_mem in, int B, int T, int C) {
    LAUNCH("embed", "embed_bwd", (size_t)C, KMEM(dembed), KMEM(dout), KMEM(in), KINT(B * T), KINT(C));
    return LMC_OK;
}

/* Whether the tiled kernels take the CPU shapes (wide vectors) on this device: a CPU that is not a
 * simulator. Elsewhere (GPUs; oclgrind, which so tests the GPU shapes) the narrow ones. */
static int wide_simd(const lmc_device *d) { return strcmp(d->info.type, "CPU") == 0 && !d->info.is_simulator; }

/* The register-tiled products of cl/model/matmul.cl. The tile is a function of the device type
 * and the output width only: wide vectors and 8 rows on CPUs (SIMD registers), float4 and 4
 * rows elsewhere (GPU registers per work-item). Widths that are not a multiple of 4 go to CLBlast. */
typedef struct mm_tile {
    int tm, vw, nv;
} mm_tile;

static int mm_tile_for(const lmc_device *d, int N, mm_tile *t) {
    int cpu = wide_simd(d);
    t->tm = cpu ? 8 : 4;
    t->vw = cpu && N % 16 == 0 ? 16 : N % 8 == 0 && cpu ? 8 : 4;
    if (N % t->vw != 0) return 0;
    t->nv = cpu && N % (2 * t->vw) == 0 ? 2 : 1;
    return 1;
}

/* Enqueues kernel `name` of `program` (built with `preamble`) over a 2-D range of global[0] x
 * global[1] work-items in work-groups of `group` x 1 (global[0] rounded up to a multiple; the
 * kernels return early past their count). An explicit, small group: PoCL would otherwise pick
 * one of thousands of work-items whose private arrays together overflow a thread's stack.
 * Results never depend on the group: every work-item sums on its own. */
/* cost: what the profile files the launch under (lmc bench train --profile): `label`, and either
 * explicit flops and bytes or, both 0, `items` for the bench's per-name cost formulas. */
typedef struct launch_cost {
    const char *label;
    double items, flops, bytes;
} launch_cost;

static lmc_status launch_2d(lmc_device *d, const char *program, const char *preamble, const char *name,
                            const size_t global[2], size_t group, const karg *args, size_t nargs,
                            const launch_cost *cost) {
    if (global[0] == 0 || global[1] == 0) return LMC_OK;
    cl_kernel k = NULL;
    LMC_TRY(kernel_with_args(d, program, preamble, name, args, nargs, &k));
    size_t most = 0;
    if (clGetKernelWorkGroupInfo(k, d->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof most, &most, NULL) == CL_SUCCESS &&
        most > 0 && group > most)
        group = most;
    size_t local[2] = {group, 1}, g[2] = {(global[0] + group - 1) / group * group, global[1]};
    cl_int err = clEnqueueNDRangeKernel(d->queue, k, 2, NULL, g, local, 0, NULL, lmc_device_profile_event(d));
    lmc_device_profile_record(d, cost->label, cost->items, cost->flops, cost->bytes);
    clReleaseKernel(k);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "kernel %s on %s: %s (%d)", name, d->info.selector,
                  lmc_cl_error_name(err), (int)err);
    return LMC_OK;
}

/* work-items per group of the tiled kernels (matmul.cl, attention_fused.cl) */
#define TILE_GROUP 16

/* C (M,N) = Σ_k A(m,k) B(k,n) (+ beta C) (+ bias) (+ R), G = gelu(C) when G; A(m,k) = A[m*sam + k*sak],
 * B row-major with leading dimension ldb, C and R with leading dimension N. Long sums (K far above
 * the tiles' count) are split into S chunks reduced in order by matmul_reduce. */
static lmc_status mm(lmc_device *d, const mm_tile *t, cl_mem C, cl_mem G, cl_mem A, int sam, int sak, cl_mem Bm,
                     int ldb, cl_mem bias, cl_mem R, int M, int N, int K, float beta) {
    if (M == 0 || N == 0) return LMC_OK;
    char pre[96];
    snprintf(pre, sizeof pre, "#define TM %d\n#define VW %d\n#define NV %d\n", t->tm, t->vw, t->nv);
    size_t tiles = (size_t)((M + t->tm - 1) / t->tm) * (size_t)(N / (t->vw * t->nv));
    /* split K so that there are ~256 work-items, each summing at least 128 terms */
    size_t S = 1;
    if (!bias && !R && !G && tiles < 256 && K >= 256) {
        S = (256 + tiles - 1) / tiles;
        size_t smax = (size_t)K / 128;
        if (S > smax) S = smax;
        if (S > 64) S = 64;
        if (S < 1) S = 1;
    }
    int kchunk = (int)(((size_t)K + S - 1) / S);
    cl_mem P = C;
    if (S > 1) LMC_TRY(lmc_buf_create_uninit(d, S * (size_t)M * (size_t)N * sizeof(float), &P));
    cl_mem g = G ? G : C, b = bias ? bias : C, r = R ? R : C; /* unused arguments still name a buffer */
    const karg args[] = {KMEM(C), KMEM(g), KMEM(P), KMEM(A), KMEM(Bm), KMEM(b), KMEM(r),
                         KINT(M), KINT(N), KINT(K), KINT(sam), KINT(sak), KINT(ldb), KINT(kchunk), KFLT(beta),
                         KINT(bias != NULL), KINT(R != NULL), KINT(G != NULL)};
    size_t global[2] = {tiles, S};
    char label[64];
    snprintf(label, sizeof label, "matmul_tile %dx%dx%d", M, N, K);
    double mn = (double)M * N, bytes = 4.0 * ((double)M * K + (double)K * N + mn) + (beta != 0.0f || R ? 4.0 * mn : 0.0);
    const launch_cost cost = {label, (double)tiles * (double)S, 2.0 * mn * K, bytes + (G ? 4.0 * mn : 0.0)};
    lmc_status st = launch_2d(d, "matmul", pre, "matmul_tile", global, TILE_GROUP, args, sizeof args / sizeof args[0],
                              &cost);
    if (st == LMC_OK && S > 1) {
        const karg ra[] = {KMEM(C), KMEM(P), KINT(M * N), KINT((int)S), KFLT(beta)};
        st = launch_pre(d, "matmul", pre, "matmul_reduce", (size_t)M * N, ra, 5);
    }
    if (S > 1) clReleaseMemObject(P); /* released when the kernels are done with it */
    return st;
}

/* out (N,OC) = inp (N,IC) · w (IC,OC) (+ bias) (+ res), g = gelu(out) when g */
static lmc_status matmul_fwd(lmc_device *d, cl_mem out, cl_mem g, cl_mem inp, cl_mem w, cl_mem bias, cl_mem res,
                             int N, int IC, int OC) {
    mm_tile t;
    if (mm_tile_for(d, OC, &t)) return mm(d, &t, out, g, inp, IC, 1, w, OC, bias, res, N, OC, IC, 0.0f);
    LMC_TRY(lmc_gemm(d, 0, 0, (size_t)N, (size_t)OC, (size_t)IC, 1.0f, inp, 0, (size_t)IC, w, 0, (size_t)OC, 0.0f,
                     out, 0, (size_t)OC));
    if (bias) LAUNCH("bias", "bias_add", (size_t)N * OC, KMEM(out), KMEM(bias), KINT(N), KINT(OC));
    if (res) LAUNCH("bias", "add_inplace", (size_t)N * OC, KMEM(out), KMEM(res), KINT(N * OC));
    if (g) LAUNCH("gelu", "gelu_fwd", (size_t)N * OC, KMEM(g), KMEM(out), KINT(N * OC));
    return LMC_OK;
}

lmc_status lmc_op_matmul_fwd(lmc_device *d, cl_mem out, cl_mem inp, cl_mem w, cl_mem bias, int N, int IC, int OC) {
    return matmul_fwd(d, out, NULL, inp, w, bias, NULL, N, IC, OC);
}

lmc_status lmc_op_matmul_res_fwd(lmc_device *d, cl_mem out, cl_mem inp, cl_mem w, cl_mem bias, cl_mem res, int N,
                                 int IC, int OC) {
    return matmul_fwd(d, out, NULL, inp, w, bias, res, N, IC, OC);
}

lmc_status lmc_op_matmul_gelu_fwd(lmc_device *d, cl_mem f, cl_mem g, cl_mem inp, cl_mem w, cl_mem bias, int N,
                                  int IC, int OC) {
    return matmul_fwd(d, f, g, inp, w, bias, NULL, N, IC, OC);
}

lmc_status lmc_op_matmul_bwd(lmc_device *d, cl_mem dinp, cl_mem dw, cl_mem dbias, cl_mem dout, cl_mem inp,
                             cl_mem w, int N, int IC, int OC) {
    mm_tile tx, tw;
    if (mm_tile_for(d, IC, &tx) && mm_tile_for(d, OC, &tw)) {
        /* dinp (N,IC) += dout (N,OC) · wᵀ, with wᵀ (OC,IC) transposed first (contiguous rows of B) */
        cl_mem wt = NULL;
        LMC_TRY(lmc_buf_create_uninit(d, (size_t)IC * OC * sizeof(float), &wt));
        const karg ta[] = {KMEM(wt), KMEM(w), KINT(IC), KINT(OC)};
        lmc_status st = launch(d, "matmul", "transpose", (size_t)IC * OC, ta, 4);
        if (st == LMC_OK) st = mm(d, &tx, dinp, NULL, dout, OC, 1, wt, IC, NULL, NULL, N, IC, OC, 1.0f);
        clReleaseMemObject(wt);
        LMC_TRY(st);
        /* dw (IC,OC) += inpᵀ (IC,N) · dout (N,OC): A(i, n) = inp[n*IC + i] */
        LMC_TRY(mm(d, &tw, dw, NULL, inp, 1, IC, dout, OC, NULL, NULL, IC, OC, N, 1.0f));
    } else {
        LMC_TRY(lmc_gemm(d, 0, 1, (size_t)N, (size_t)IC, (size_t)OC, 1.0f, dout, 0, (size_t)OC, w, 0, (size_t)OC,
                         1.0f, dinp, 0, (size_t)IC));
        LMC_TRY(lmc_gemm(d, 1, 0, (size_t)IC, (size_t)OC, (size_t)N, 1.0f, inp, 0, (size_t)IC, dout, 0, (size_t)OC,
                         1.0f, dw, 0, (size_t)OC));
    }
    if (dbias) LAUNCH("bias", "bias_grad", (size_t)OC, KMEM(dbias), KMEM(dout), KINT(N), KINT(OC));
    return LMC_OK;
}

lmc_status lmc_op_layernorm_fwd(lmc_device *d, cl_mem out, cl_mem mean, cl_mem rstd, cl_mem inp, cl_mem scale,
                                cl_mem offset, int N, int C) {
    LAUNCH("layernorm", "layernorm_fwd", (size_t)N, KMEM(out), KMEM(mean), KMEM(rstd), KMEM(inp), KMEM(scale),
           KMEM(offset), KINT(N), KINT(C));
    return LMC_OK;
}

lmc_status lmc_op_layernorm_bwd(lmc_device *d, cl_mem dinp, cl_mem dscale, cl_mem doffset, cl_mem dout,
                                cl_mem inp, cl_mem scale, cl_mem mean, cl_mem rstd, int N, int C) {
    LAUNCH("layernorm", "layernorm_bwd_dx", (size_t)N, KMEM(dinp), KMEM(dout), KMEM(inp), KMEM(scale), KMEM(mean),
           KMEM(rstd), KINT(N), KINT(C));
    LAUNCH("layernorm", "layernorm_bwd_params", (size_t)C, KMEM(dscale), KMEM(doffset), KMEM(dout), KMEM(inp),
           KMEM(mean), KMEM(rstd), KINT(N), KINT(C));
    return LMC_OK;
}

/* Offsets of the (b, h) blocks: q/k/v/out head h of window b starts at b*T*C + h*hs (leading
 * dimension C); its (T,T) block of att/dpre at (b*NH + h)*T*T (leading dimension T). */
static lmc_status head_offsets(int B, int T, int C, int NH, size_t **qkv, size_t **tt) {
    size_t n = (size_t)B * (size_t)NH, hs = (size_t)(C / NH);
    *qkv = malloc(n * sizeof **qkv);
    *tt = malloc(n * sizeof **tt);
    if (!*qkv || !*tt) {
        free(*qkv);
        free(*tt);
        *qkv = *tt = NULL;
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "attention offsets");
    }
    for (size_t b = 0; b < (size_t)B; b++)
        for (size_t h = 0; h < (size_t)NH; h++) {
            (*qkv)[b * NH + h] = b * (size_t)T * (size_t)C + h * hs;
            (*tt)[b * NH + h] = (b * NH + h) * (size_t)T * (size_t)T;
        }
    return LMC_OK;
}

lmc_status lmc_op_attention_fwd(lmc_device *d, cl_mem out, cl_mem att, cl_mem q, cl_mem k, cl_mem v, int B,
                                int T, int C, int NH) {
    size_t *qkv = NULL, *tt = NULL, n = (size_t)B * (size_t)NH, hs = (size_t)(C / NH), Tz = (size_t)T;
    LMC_TRY(head_offsets(B, T, C, NH, &qkv, &tt));
    float scale = 1.0f / sqrtf((float)hs);
    /* att (T,T) = scale * q (T,hs) · kᵀ, per (b, h) */
    lmc_status st = lmc_gemm_batched(d, 0, 1, Tz, Tz, hs, scale, q, qkv, (size_t)C, k, qkv, (size_t)C, 0.0f, att, tt,
                                     Tz, n);
    if (st == LMC_OK) {
        const karg args[] = {KMEM(att), KINT(B * NH * T), KINT(T)};
        st = launch(d, "attention", "attention_softmax_fwd", n * Tz, args, 3);
    }
    /* out (T,hs) = att (T,T) · v (T,hs) */
    if (st == LMC_OK)
        st = lmc_gemm_batched(d, 0, 0, Tz, hs, Tz, 1.0f, att, tt, Tz, v, qkv, (size_t)C, 0.0f, out, qkv, (size_t)C, n);
    free(qkv);
    free(tt);
    return st;
}

lmc_status lmc_op_attention_bwd(lmc_device *d, cl_mem dq, cl_mem dk, cl_mem dv, cl_mem dpre, cl_mem dout,
                                cl_mem q, cl_mem k, cl_mem v, cl_mem att, int B, int T, int C, int NH) {
    size_t *qkv = NULL, *tt = NULL, n = (size_t)B * (size_t)NH, hs = (size_t)(C / NH), Tz = (size_t)T;
    LMC_TRY(head_offsets(B, T, C, NH, &qkv, &tt));
    float scale = 1.0f / sqrtf((float)hs);
    /* datt (T,T) = dy (T,hs) · vᵀ, then the softmax backward in place */
    lmc_status st = lmc_gemm_batched(d, 0, 1, Tz, Tz, hs, 1.0f, dout, qkv, (size_t)C, v, qkv, (size_t)C, 0.0f, dpre,
                                     tt, Tz, n);
    if (st == LMC_OK) {
        const karg args[] = {KMEM(dpre), KMEM(att), KINT(B * NH * T), KINT(T)};
        st = launch(d, "attention", "attention_softmax_bwd", n * Tz, args, 4);
    }
    /* dq += scale * dpre · k;  dk += scale * dpreᵀ · q;  dv += attᵀ · dy */
    if (st == LMC_OK)
        st = lmc_gemm_batched(d, 0, 0, Tz, hs, Tz, scale, dpre, tt, Tz, k, qkv, (size_t)C, 1.0f, dq, qkv, (size_t)C, n);
    if (st == LMC_OK)
        st = lmc_gemm_batched(d, 1, 0, Tz, hs, Tz, scale, dpre, tt, Tz, q, qkv, (size_t)C, 1.0f, dk, qkv, (size_t)C, n);
    if (st == LMC_OK)
        st = lmc_gemm_batched(d, 1, 0, Tz, hs, Tz, 1.0f, att, tt, Tz, dout, qkv, (size_t)C, 1.0f, dv, qkv, (size_t)C, n);
    free(qkv);
    free(tt);
    return st;
}

/* Rows (queries, or keys) per work-item of the fused attention, the lanes of its vectors
 * (cl/model/attention_fused.cl): each row loaded from the other side is reused qb times. 16 on
 * CPUs (one 512-bit register where there is one: measured on PoCL pthread, B 2 T 2048 HS 8, fwd
 * 43 -> 31 ms and bwd 135 -> 87 ms against 8), 8 elsewhere (registers per work-item). A function
 * of the device type only. */
static int fused_qb(const lmc_device *d) { return wide_simd(d) ? 16 : 8; }

static lmc_status fused_preamble(int C, int NH, int qb, char *buf, size_t cap) {
    LMC_RETURN_IF(NH <= 0 || C % NH != 0 || C / NH > 256, LMC_ERR_INVALID_ARGUMENT,
                  "fused attention: C %d is not NH %d heads of at most 256", C, NH);
    snprintf(buf, cap, "#define HS %d\n#define QB %d\n", C / NH, qb);
    return LMC_OK;
}

/* work-items of the fused kernels: one per block of qb rows of each (b, h) */
static size_t fused_items(int B, int T, int NH, int qb) { return (size_t)B * NH * (size_t)((T + qb - 1) / qb); }

lmc_status lmc_op_attention_fused_fwd(lmc_device *d, cl_mem out, cl_mem lse, cl_mem q, cl_mem k, cl_mem v, int B,
                                      int T, int C, int NH) {
    char pre[64];
    int qb = fused_qb(d);
    LMC_TRY(fused_preamble(C, NH, qb, pre, sizeof pre));
    float scale = 1.0f / sqrtf((float)(C / NH));
    const karg args[] = {KMEM(out), KMEM(lse), KMEM(q), KMEM(k), KMEM(v), KINT(B), KINT(T), KINT(C), KINT(NH), KFLT(scale)};
    const size_t g[2] = {fused_items(B, T, NH, qb), 1};
    const launch_cost cost = {"attention_fused_fwd", (double)B * NH * T, 0, 0};
    return launch_2d(d, "attention_fused", pre, "attention_fused_fwd", g, TILE_GROUP, args, 10, &cost);
}

lmc_status lmc_op_attention_fused_bwd(lmc_device *d, cl_mem dq, cl_mem dk, cl_mem dv, cl_mem dsum, cl_mem dout,
                                      cl_mem out, cl_mem lse, cl_mem q, cl_mem k, cl_mem v, int B, int T, int C,
                                      int NH) {
    char pre[64];
    int qb = fused_qb(d);
    LMC_TRY(fused_preamble(C, NH, qb, pre, sizeof pre));
    float scale = 1.0f / sqrtf((float)(C / NH));
    const karg qa[] = {KMEM(dq), KMEM(dsum), KMEM(dout), KMEM(out), KMEM(lse), KMEM(q), KMEM(k), KMEM(v),
                       KINT(B), KINT(T), KINT(C), KINT(NH), KFLT(scale)};
    const size_t g[2] = {fused_items(B, T, NH, qb), 1};
    const launch_cost cq = {"attention_fused_bwd_q", (double)B * NH * T, 0, 0};
    LMC_TRY(launch_2d(d, "attention_fused", pre, "attention_fused_bwd_q", g, TILE_GROUP, qa, 13, &cq));
    const karg kva[] = {KMEM(dk), KMEM(dv), KMEM(dout), KMEM(dsum), KMEM(lse), KMEM(q), KMEM(k), KMEM(v),
                        KINT(B), KINT(T), KINT(C), KINT(NH), KFLT(scale)};
    const launch_cost ckv = {"attention_fused_bwd_kv", (double)B * NH * T, 0, 0};
    return launch_2d(d, "attention_fused", pre, "attention_fused_bwd_kv", g, TILE_GROUP, kva, 13, &ckv);
}

lmc_status lmc_op_gelu_fwd(lmc_device *d, cl_mem out, cl_mem inp, int n) {
    LAUNCH("gelu", "gelu_fwd", (size_t)n, KMEM(out), KMEM(inp), KINT(n));
    return LMC_OK;
}

lmc_status lmc_op_gelu_bwd(lmc_device *d, cl_mem dinp, cl_mem inp, cl_mem dout, int n) {
    LAUNCH("gelu", "gelu_bwd", (size_t)n, KMEM(dinp), KMEM(inp), KMEM(dout), KINT(n));
    return LMC_OK;
}

lmc_status lmc_op_logsoftmax_xent_fwd(lmc_device *d, cl_mem logp, cl_mem losses, cl_mem logits, cl_mem targets,
                                      int N, int V) {
    LAUNCH("softmax_xent", "logsoftmax_xent_fwd", (size_t)N, KMEM(logp), KMEM(losses), KMEM(logits), KMEM(targets),
           KINT(N), KINT(V));
    return LMC_OK;
}

lmc_status lmc_op_logsoftmax_xent_bwd(lmc_device *d, cl_mem dlogits, cl_mem logp, cl_mem targets, float dloss,
                                      int N, int V) {
    LAUNCH("softmax_xent", "logsoftmax_xent_bwd", (size_t)N * V, KMEM(dlogits), KMEM(logp), KMEM(targets),
           KFLT(dloss), KINT(N), KINT(V));
    return LMC_OK;
}

lmc_status lmc_op_add_inplace(lmc_device *d, cl_mem y, cl_mem x, int n) {
    LAUNCH("bias", "add_inplace", (size_t)n, KMEM(y), KMEM(x), KINT(n));
    return LMC_OK;
}

lmc_status lmc_op_adam(lmc_device *d, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int n, float lr,
                       float beta1, float beta2, float eps, long t) {
    /* the same bias corrections as lmc_ref_adam, computed once in double */
    float c1 = (float)(1.0 - pow((double)beta1, (double)t));
    float c2 = (float)(1.0 - pow((double)beta2, (double)t));
    LAUNCH("adam", "adam_step", (size_t)n, KMEM(params), KMEM(grads), KMEM(m), KMEM(v), KINT(n), KFLT(lr),
           KFLT(beta1), KFLT(beta2), KFLT(eps), KFLT(c1), KFLT(c2));
    return LMC_OK;
}

lmc_status lmc_buf_create(lmc_device *d, size_t bytes, const void *host, cl_mem *out) {
    cl_int err = CL_SUCCESS;
    *out = clCreateBuffer(d->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "buffer of %zu bytes on %s: %s", bytes, d->info.selector,
                  lmc_cl_error_name(err));
    lmc_status st = host ? lmc_buf_write(d, *out, bytes, host) : lmc_buf_zero(d, *out, bytes);
    if (st != LMC_OK) {
        clReleaseMemObject(*out);
        *out = NULL;
    }
    return st;
}

lmc_status lmc_buf_create_uninit(lmc_device *d, size_t bytes, cl_mem *out) {
    cl_int err = CL_SUCCESS;
    *out = clCreateBuffer(d->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "buffer of %zu bytes on %s: %s", bytes, d->info.selector,
                  lmc_cl_error_name(err));
    return LMC_OK;
}

lmc_status lmc_buf_write(lmc_device *d, cl_mem buf, size_t bytes, const void *host) {
    if (!bytes) return LMC_OK;
    LMC_CL_CHECK(clEnqueueWriteBuffer(d->queue, buf, CL_TRUE, 0, bytes, host, 0, NULL, NULL));
    return LMC_OK;
}

lmc_status lmc_buf_read(lmc_device *d, cl_mem buf, size_t bytes, void *host) {
    if (!bytes) return LMC_OK;
    LMC_CL_CHECK(clEnqueueReadBuffer(d->queue, buf, CL_TRUE, 0, bytes, host, 0, NULL, NULL));
    return LMC_OK;
}

lmc_status lmc_buf_zero(lmc_device *d, cl_mem buf, size_t bytes) {
    if (!bytes) return LMC_OK;
    const cl_float zero = 0.0f;
    if (bytes % 4 == 0) {
        LMC_CL_CHECK(
            clEnqueueFillBuffer(d->queue, buf, &zero, sizeof zero, 0, bytes, 0, NULL, lmc_device_profile_event(d)));
        lmc_device_profile_record(d, "fill (zero)", 0, 0, (double)bytes);
    } else {
        const cl_uchar z = 0;
        LMC_CL_CHECK(clEnqueueFillBuffer(d->queue, buf, &z, 1, 0, bytes, 0, NULL, NULL));
    }
    return LMC_OK;
}
