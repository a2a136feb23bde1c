// matmul.cl : the model's matrix products, register-tiled, with fused epilogues. Twins of
// lmc_ref_matmul_fwd / _bwd (runtime/train/ops.c, lmc_op_matmul_*), the products of the training
// path that CLBlast ran far from the device's peak at these shapes (K = 64..256 or 16384 rows,
// narrow outputs of 16..256 columns).
//
// The preamble sets the tile: TM rows by NV vectors of VW floats (VW 4, 8 or 16; NV 1 or 2),
// chosen by the host per device and per output width so that VW*NV divides the width N. One
// work-item computes one tile in registers: per k it loads NV vectors of B's row k and
// broadcasts TM scalars of A, TM*NV vector FMAs. A(m,k) is A[m*sam + k*sak], so one kernel reads
// A plain (sam = K, sak = 1) or transposed (sam = 1, sak = lda); B(k, n) is B[k*ldb + n].
//
// matmul_tile : work-items (tiles of M) x (tiles of N) x S; work-item (.., s) sums k in
//     [s*kchunk, min(K, (s+1)*kchunk)) in order, with fma, from 0. S = 1: the epilogue writes
//     C = acc (+ beta*C when beta != 0) (+ bias[n] when has_bias) (+ R[m,n] when has_res), in that
//     order, and G = gelu(C) when has_gelu (the W1 product: f1 and g in one pass). S > 1: writes
//     the partial sum to P[s] (M x N, leading dimension N) for matmul_reduce.
// matmul_reduce : one work-item per (m, n): C[m,n] = (beta*C[m,n] when beta != 0) + Σ_s P[s][m,n],
//     s in order 0..S-1.
// transpose : one work-item per element: out (N, M) = in (M, N)ᵀ.
// Every sum has a fixed order of its own: no atomics, the same bits on every run.

#ifndef TM // built without a preamble (the transpose alone): any tile
#define TM 4
#define VW 4
#define NV 1
#endif

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define VF CAT(float, VW)
#define VLOAD CAT(vload, VW)
#define VSTORE CAT(vstore, VW)
#define GELU_K 0.7978845608028654f

static inline VF gelu(VF x) {
    VF u = GELU_K * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanh(u));
}

kernel void matmul_tile(global float *Cm, global float *G, global float *P, global const float *A,
                        global const float *Bm, global const float *bias, global const float *R, int M,
                        int N, int K, int sam, int sak, int ldb, int kchunk, float beta, int has_bias,
                        int has_res, int has_gelu) {
    int ntn = N / (VW * NV), ntm = (M + TM - 1) / TM;
    int gid = (int)get_global_id(0), s = (int)get_global_id(1);
    if (gid >= ntm * ntn) return;
    int n0 = (gid % ntn) * (VW * NV), m0 = (gid / ntn) * TM;
    int k0 = s * kchunk, k1 = min(K, k0 + kchunk);
    VF acc[TM][NV];
    long arow[TM];
    #pragma unroll
    for (int r = 0; r < TM; r++) {
        arow[r] = (long)min(m0 + r, M - 1) * sam;
        #pragma unroll
        for (int v = 0; v < NV; v++) acc[r][v] = (VF)(0.0f);
    }
    for (int k = k0; k < k1; k++) {
        global const float *br = Bm + (long)k * ldb + n0;
        VF b[NV];
        #pragma unroll
        for (int v = 0; v < NV; v++) b[v] = VLOAD(v, br);
        long ak = (long)k * sak;
        #pragma unroll
        for (int r = 0; r < TM; r++) {
            VF a = (VF)(A[arow[r] + ak]);
            #pragma unroll
            for (int v = 0; v < NV; v++) acc[r][v] = fma(a, b[v], acc[r][v]);
        }
    }
    if (get_global_size(1) > 1) {
        global float *p = P + (long)s * M * N;
        for (int r = 0; r < TM && m0 + r < M; r++)
            #pragma unroll
            for (int v = 0; v < NV; v++) VSTORE(acc[r][v], 0, p + (long)(m0 + r) * N + n0 + v * VW);
        return;
    }
    for (int r = 0; r < TM && m0 + r < M; r++)
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            long o = (long)(m0 + r) * N + n0 + v * VW;
            VF c = acc[r][v];
            if (beta != 0.0f) c = c + beta * VLOAD(0, Cm + o);
            if (has_bias) c = c + VLOAD(0, bias + n0 + v * VW);
            if (has_res) c = c + VLOAD(0, R + o);
            VSTORE(c, 0, Cm + o);
            if (has_gelu) VSTORE(gelu(c), 0, G + o);
        }
}

kernel void matmul_reduce(global float *Cm, global const float *P, int MN, int S, float beta) {
    int i = (int)get_global_id(0);
    if (i >= MN) return;
    float c = beta != 0.0f ? beta * Cm[i] : 0.0f;
    for (int s = 0; s < S; s++) c += P[(long)s * MN + i];
    Cm[i] = c;
}

kernel void transpose(global float *out, global const float *in, int M, int N) {
    int i = (int)get_global_id(0);
    if (i >= M * N) return;
    int m = i / N, n = i % N;
    out[(long)n * M + m] = in[i];
}
