// exact.cl : the exact (integer) forward pass of a coding model, lmc-exact-1 and lmc-exact-2
// (DESIGN.md §3, runtime/exact/EXACT.md §3-4): ex_position(), one position of one window with a KV cache (the definition,
// and the cpu-ref oracle), and the batched kernels exb_* (the OpenCL path): the same operations
// layer by layer over many rows (positions of windows) at once.
//
// Key invariant: every value is an integer and every operation is an integer operation whose
// result C and OpenCL C define identically (two's-complement wrap in 64-bit unsigned, shifts of
// unsigned values, divisions of non-negative values), so the logits are the same on every device
// and in any order. This one file is compiled twice: as an OpenCL program (after common.cl), and
// through runtime/exact/exact_internal.h as plain C (LMC_EXACT_HOST defined, the exb_* part left out), the
// cpu-ref oracle. The batched kernels apply, to each value, the functions ex_position() applies,
// in its order; sums of products are wrap-around sums, exact in any order (so tiled and in 8-lane
// vectors); the tests compare their rows with the oracle's row by row.
//
// Fixed point: activations Q12 (value * 4096) in int32, clamped to +-2^19 (+-128.0); weights
// int16 per output column with a requantisation multiplier m_j in [2^14, 2^15) and shift s_j:
// y_j = round_half_up(acc_j * m_j / 2^s_j) + bias_j, acc_j = sum_i x_i * w_ij exact in 64 bits.
// Logits come out Q16. Attention weights are exp() values Q16 from two tables (exact: the tables
// are data of the coding model), divided by their sum with an integer rounding division.
// lmc-exact-2 (the layout's EX_LAY_FORMAT; LMC_EXACT_FORMAT2 for the kernels) takes every product
// operand as int16: ex_operand() of the Q12 values (Q9), weights Q15, attention's output Q9.

#ifdef LMC_EXACT_HOST
#include <stddef.h>
#include <stdint.h>
typedef int32_t ex_i32;
typedef uint32_t ex_u32;
typedef int64_t ex_i64;
typedef uint64_t ex_u64;
#define EX_G
#define EX_STATIC static inline
#else
typedef int ex_i32;
typedef uint ex_u32;
typedef long ex_i64;
typedef ulong ex_u64;
#define EX_G __global
#define EX_STATIC
#endif

// Layout: indices into the `lay` int array the host builds (runtime/exact/exact_model.c).
#define EX_LAY_C 0
#define EX_LAY_L 1
#define EX_LAY_NH 2
#define EX_LAY_T 3
#define EX_LAY_EMBED 4
#define EX_LAY_POS 5
#define EX_LAY_EXP_HI 6
#define EX_LAY_EXP_LO 7
#define EX_LAY_GELU 8
#define EX_LAY_ATT_M 9
#define EX_LAY_ATT_S 10
#define EX_LAY_OUT_W 11
#define EX_LAY_OUT_M 12
#define EX_LAY_OUT_S 13
#define EX_LAY_OUT_B 14
// Device copies only (runtime/exact/exact_predictor.c): the blob offset of the 65536-entry table
// of ex_exp(-a), a = 0 .. 2^16 - 1, that the OpenCL predictor appends to its copy of the blob,
// computed by ex_exp() itself, the int before it holding a0, the a from which on every entry is 0
// (so lanes with a >= a0 weigh 0); the model's own layout leaves this slot 0 and never reads it.
#define EX_LAY_EXP_TAB 15
// The format: 1 (lmc-exact-1) or 2 (lmc-exact-2, whose products take int16 operands: EXACT.md §4).
#define EX_LAY_FORMAT 16
#define EX_LAY_LAYER0 17
#define EX_LAY_PER_LAYER 24
// Per-layer offsets, relative to EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER.
#define EX_WQ 0
#define EX_WK 3
#define EX_WV 6
#define EX_WO 9
#define EX_LN1_G 12
#define EX_LN1_B 13
#define EX_W1 14
#define EX_B1 17
#define EX_W2 18
#define EX_B2 21
#define EX_LN2_G 22
#define EX_LN2_B 23

#define EX_ACT_LIM 524288       // 2^19: activations stay within +-128.0 in Q12
#define EX_LOGIT_LIM 1073741824 // 2^30: logits stay within +-16384 nats in Q16
#define EX_LN_EPS_Q24 168       // round(1e-5 * 2^24): LayerNorm's eps in the variance's Q24
// lmc-exact-2: every activation entering a product is taken as ex_q9() of its Q12 value, an int16
// on a 1/512 grid (+-64.0), and attention weights are Q15 at most 32767, so that every product is
// of two int16 values (|product| < 2^30, a pair of them < 2^31: vpmaddwd, dp2a-like paths).
#define EX2_IN_SHIFT 3      // Q12 -> Q9
#define EX2_IN_LIM 32767
#define EX2_WEIGHT_MAX 32767 // exp(0) in Q15, capped to int16

// floor(v / 2^s) for any v, 0 <= s < 63, with unsigned shifts only.
EX_STATIC ex_i64 ex_asr(ex_i64 v, int s) {
    if (v >= 0) return (ex_i64)((ex_u64)v >> s);
    return -(ex_i64)((ex_u64)(-(v + 1)) >> s) - 1;
}

// round(v / 2^s), halves rounded up (towards +infinity); s >= 1. `perturb` (the negative
// control of the tests) rounds down instead.
EX_STATIC ex_i64 ex_round_shift(ex_i64 v, int s, int perturb) {
    ex_u64 bias = perturb ? (ex_u64)0 : ((ex_u64)1 << (s - 1));
    return ex_asr((ex_i64)((ex_u64)v + bias), s);
}

// floor(a / b) for b > 0.
EX_STATIC ex_i64 ex_floordiv(ex_i64 a, ex_i64 b) {
    if (a >= 0) return (ex_i64)((ex_u64)a / (ex_u64)b);
    return -(ex_i64)(((ex_u64)(-(a + 1))) / (ex_u64)b) - 1;
}

// round(a / b), halves up, b > 0.
EX_STATIC ex_i64 ex_rounddiv(ex_i64 a, ex_i64 b) { return ex_floordiv(2 * a + b, 2 * b); }

EX_STATIC ex_i64 ex_clamp(ex_i64 v, ex_i64 lim) { return v < -lim ? -lim : v > lim ? lim : v; }

// A product operand of a Q12 activation: itself (lmc-exact-1, in_shift 0) or, lmc-exact-2
// (in_shift EX2_IN_SHIFT), round(x / 8) halves up, clamped to +-32767: Q9 as int16.
EX_STATIC ex_i64 ex_operand(ex_i64 x, int in_shift) {
    return in_shift ? ex_clamp(ex_round_shift(x, EX2_IN_SHIFT, 0), EX2_IN_LIM) : x;
}

// floor(sqrt(v)), bit by bit (v < 2^62).
EX_STATIC ex_u64 ex_isqrt(ex_u64 v) {
    ex_u64 r = 0, bit = (ex_u64)1 << 62;
    while (bit > v) bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

// y (N) = requant(x (K) . W (K, N)) + bias, clamped to +-lim. w, m, s, b are blob offsets of the
// weights (K, N), multipliers (N), shifts (N) and bias (N) (b < 0: no bias).
// in_shift: the format's (ex_operand()): the products take x's operands (x_is_operand: x holds
// them already, lmc-exact-2's attention output), and the requantisation shifts in_shift bits
// fewer (the file's m_j / 2^s_j is the same real factor in both formats).
EX_STATIC void ex_linear(EX_G const ex_i32 *blob, EX_G const ex_i32 *x, int K, int N, int w, int m,
                         int s, int b, ex_i64 lim, int in_shift, int x_is_operand, int perturb, EX_G ex_i32 *y) {
    for (int j = 0; j < N; j++) {
        ex_u64 acc = 0; // wrap-around sum: exact and order-independent
        for (int i = 0; i < K; i++)
            acc += (ex_u64)ex_operand(x[i], x_is_operand ? 0 : in_shift) * (ex_u64)(ex_i64)blob[w + (size_t)i * N + j];
        ex_i64 v = ex_round_shift((ex_i64)(acc * (ex_u64)(ex_i64)blob[m + j]), blob[s + j] - in_shift, perturb);
        if (b >= 0) v += blob[b + j];
        y[j] = (ex_i32)ex_clamp(v, lim);
    }
}

// y (C) = LayerNorm(x) * g + b, all Q12. Integer mean (floored), variance (floored) + eps, sd by
// integer square root in Q16, each element divided by it with rounding.
EX_STATIC void ex_layernorm(EX_G const ex_i32 *blob, EX_G const ex_i32 *x, int C, int g, int b,
                            int perturb, EX_G ex_i32 *y) {
    ex_i64 sum = 0;
    for (int i = 0; i < C; i++) sum += x[i];
    ex_i64 mean = ex_floordiv(sum, C);
    ex_u64 sq = 0;
    for (int i = 0; i < C; i++) {
        ex_i64 d = x[i] - mean;
        sq += (ex_u64)(d * d);
    }
    ex_u64 var = sq / (ex_u64)C + EX_LN_EPS_Q24; // Q24
    ex_i64 sd = (ex_i64)ex_isqrt(var << 8);      // Q16, >= 207
    for (int i = 0; i < C; i++) {
        ex_i64 n = ex_rounddiv((x[i] - mean) * 65536, sd); // Q12
        ex_i64 v = ex_round_shift(n * blob[g + i], 12, perturb) + blob[b + i];
        y[i] = (ex_i32)ex_clamp(v, EX_ACT_LIM);
    }
}

// gelu of a Q12 value: table at steps of 1/64 over [-8, 8] (1025 entries, Q12), linear
// interpolation in between; 0 below -8 and the identity from 8 on.
EX_STATIC ex_i32 ex_gelu(EX_G const ex_i32 *blob, int tab, ex_i32 x, int perturb) {
    if (x < -32768) return 0;
    if (x >= 32768) return x;
    int u = x + 32768;
    int idx = u >> 6, frac = u & 63;
    ex_i64 lo = blob[tab + idx], hi = blob[tab + idx + 1];
    return (ex_i32)(lo + ex_round_shift((hi - lo) * frac, 6, perturb));
}

// exp(x) in Q16 for a Q12 x <= 0: exp_hi[a >> 8] * exp_lo[a & 255] (both Q30), a = -x; 0 from
// 16 nats down.
EX_STATIC ex_i64 ex_exp(EX_G const ex_i32 *blob, int hi, int lo, ex_i64 x, int perturb) {
    ex_i64 a = -x;
    if (a >= 65536) return 0;
    ex_u64 p = (ex_u64)(ex_i64)blob[hi + (int)(a >> 8)] * (ex_u64)(ex_i64)blob[lo + (int)(a & 255)];
    return ex_round_shift((ex_i64)p, 44, perturb);
}

// An attention weight of score - max = x <= 0 (Q12): ex_exp() (Q16, lmc-exact-1) or, in
// lmc-exact-2 (in_shift != 0), the same product rounded to Q15 and capped at 32767 (an int16).
EX_STATIC ex_i64 ex_attn_weight(EX_G const ex_i32 *blob, int hi, int lo, ex_i64 x, int in_shift, int perturb) {
    if (!in_shift) return ex_exp(blob, hi, lo, x, perturb);
    ex_i64 a = -x;
    if (a >= 65536) return 0;
    ex_u64 p = (ex_u64)(ex_i64)blob[hi + (int)(a >> 8)] * (ex_u64)(ex_i64)blob[lo + (int)(a & 255)];
    ex_i64 w = ex_round_shift((ex_i64)p, 45, perturb);
    return w > EX2_WEIGHT_MAX ? EX2_WEIGHT_MAX : w;
}

// The forward pass of position t of one window whose input byte (the previous byte, 0 at t = 0)
// is `byte`. kv: (2, L, T, C) K then V caches of the window, positions < t already filled.
// sc: scratch of 9C + T ints. row: 256 Q16 logits out.
EX_STATIC void ex_position(EX_G const ex_i32 *blob, EX_G const ex_i32 *lay, EX_G ex_i32 *kv,
                           EX_G ex_i32 *sc, int t, int byte, int perturb, EX_G ex_i32 *row) {
    const int C = lay[EX_LAY_C], L = lay[EX_LAY_L], NH = lay[EX_LAY_NH], T = lay[EX_LAY_T];
    const int hs = C / NH;
    const int qs = lay[EX_LAY_FORMAT] == 2 ? EX2_IN_SHIFT : 0; // ex_operand()'s shift
    EX_G ex_i32 *h = sc, *q = sc + C, *att = sc + 2 * C, *tmp = sc + 3 * C, *a = sc + 4 * C;
    EX_G ex_i32 *ff = sc + 5 * C, *e = sc + 9 * C;
    for (int i = 0; i < C; i++)
        h[i] = blob[lay[EX_LAY_EMBED] + byte * C + i] + blob[lay[EX_LAY_POS] + (size_t)t * C + i];
    for (int l = 0; l < L; l++) {
        EX_G const ex_i32 *ly = lay + EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        EX_G ex_i32 *kc = kv + (size_t)l * T * C, *vc = kv + ((size_t)L + l) * T * C;
        ex_linear(blob, h, C, C, ly[EX_WQ], ly[EX_WQ + 1], ly[EX_WQ + 2], -1, EX_ACT_LIM, qs, 0, perturb, q);
        ex_linear(blob, h, C, C, ly[EX_WK], ly[EX_WK + 1], ly[EX_WK + 2], -1, EX_ACT_LIM, qs, 0, perturb,
                  kc + (size_t)t * C);
        ex_linear(blob, h, C, C, ly[EX_WV], ly[EX_WV + 1], ly[EX_WV + 2], -1, EX_ACT_LIM, qs, 0, perturb,
                  vc + (size_t)t * C);
        for (int hd = 0; hd < NH; hd++) {
            // scores Q12 = round(q.k * att_m / 2^att_s) (att_m / 2^att_s = 1/sqrt(hs) / 2^12); in
            // lmc-exact-2 q.k is of the operands (Q18), so 2 * qs bits fewer
            ex_i64 mx = 0;
            for (int p = 0; p <= t; p++) {
                ex_u64 dot = 0;
                for (int d = 0; d < hs; d++)
                    dot += (ex_u64)ex_operand(q[hd * hs + d], qs) * (ex_u64)ex_operand(kc[(size_t)p * C + hd * hs + d], qs);
                ex_i64 s = ex_round_shift((ex_i64)(dot * (ex_u64)(ex_i64)blob[lay[EX_LAY_ATT_M]]),
                                          blob[lay[EX_LAY_ATT_S]] - 2 * qs, perturb);
                s = ex_clamp(s, (ex_i64)1 << 30);
                e[p] = (ex_i32)s;
                if (p == 0 || s > mx) mx = s;
            }
            ex_i64 z = 0;
            for (int p = 0; p <= t; p++) {
                ex_i64 w = ex_attn_weight(blob, lay[EX_LAY_EXP_HI], lay[EX_LAY_EXP_LO], e[p] - mx, qs, perturb);
                e[p] = (ex_i32)w; // Q16, the maximum's 65536 (lmc-exact-2: Q15, at most 32767)
                z += w;
            }
            for (int d = 0; d < hs; d++) {
                ex_i64 num = 0;
                for (int p = 0; p <= t; p++) num += (ex_i64)e[p] * ex_operand(vc[(size_t)p * C + hd * hs + d], qs);
                // Q12; lmc-exact-2: Q9, the operands' own grid (a weighted mean of them, so within
                // +-32767), which Wo takes as they are
                att[hd * hs + d] = (ex_i32)ex_rounddiv(num, z);
            }
        }
        ex_linear(blob, att, C, C, ly[EX_WO], ly[EX_WO + 1], ly[EX_WO + 2], -1, EX_ACT_LIM, qs, qs != 0, perturb, tmp);
        for (int i = 0; i < C; i++) tmp[i] += h[i];
        ex_layernorm(blob, tmp, C, ly[EX_LN1_G], ly[EX_LN1_B], perturb, a);
        ex_linear(blob, a, C, 4 * C, ly[EX_W1], ly[EX_W1 + 1], ly[EX_W1 + 2], ly[EX_B1], EX_ACT_LIM, qs, 0, perturb, ff);
        for (int i = 0; i < 4 * C; i++) ff[i] = ex_gelu(blob, lay[EX_LAY_GELU], ff[i], perturb);
        ex_linear(blob, ff, 4 * C, C, ly[EX_W2], ly[EX_W2 + 1], ly[EX_W2 + 2], ly[EX_B2], EX_ACT_LIM, qs, 0, perturb, tmp);
        for (int i = 0; i < C; i++) tmp[i] += a[i];
        ex_layernorm(blob, tmp, C, ly[EX_LN2_G], ly[EX_LN2_B], perturb, h);
    }
    ex_linear(blob, h, C, 256, lay[EX_LAY_OUT_W], lay[EX_LAY_OUT_M], lay[EX_LAY_OUT_S], lay[EX_LAY_OUT_B],
              EX_LOGIT_LIM, qs, 0, perturb, row);
}

#ifndef LMC_EXACT_HOST
// ---- The batched forward pass (the OpenCL path of runtime/exact/exact_predictor.c) ----------------
//
// The same integer operations as ex_position(), organised layer by layer over a batch of rows:
// row r is position rt[r].y of window rt[r].x of the call. Encoding gives every position of
// every window of a batch a row (positions at or past a window's length get none) and runs each
// layer over all rows; decoding gives one row per unfinished window and attends over the K/V
// cache of earlier calls. K and V are stored per window at kv + base + w * ws, head by head (head
// hd at hd * hs * TS), so that attention reads 8 consecutive positions of a channel with one
// vload8. Encoding's caches (one call's windows, one layer) are transposed, (C, TS): channel j of
// position p at j * TS + p, so exb_attend4()'s sweeps over the keys of one or two channels read
// one stream each. Decoding's (max_windows windows, every layer) are in blocks of 8 positions per
// head, (NH, TS / 8, hs, 8) with TS a multiple of 8: channel d of position p at (p & ~7) * hs +
// d * 8 + (p & 7) (exb_kv_index()), so a decoding row's sweep over all of a head's channels reads
// the head's cache as one contiguous stream (hs * 8 ints per block of keys), not hs streams. Every sum is a wrap-around 64-bit sum (exact, order-free), every
// rounding goes through the scalar helpers above or exb_rs8() (the same rule, 8 lanes), so a row
// does not depend on which rows share the call, the path (whole window or incremental), the
// work-group size or the device. Buffers read with vload8 past their end are padded by 8 ints;
// the lanes of positions past t are masked before they can reach a max, a sum or a store.
//
// The LMC_EXACT_PERTURB* macros (set only by the tests' preambles) make deliberately wrong
// variants, the negative controls: everywhere, on the whole-window path only, in windows other
// than the call's first, or in work-items other than their work-group's first.
#if defined(LMC_EXACT_PERTURB)
#define EXB_PERTURB(w, incr) 1
#elif defined(LMC_EXACT_PERTURB_WHOLE)
#define EXB_PERTURB(w, incr) (!(incr))
#elif defined(LMC_EXACT_PERTURB_BATCH)
#define EXB_PERTURB(w, incr) ((w) > 0)
#elif defined(LMC_EXACT_PERTURB_LOCAL)
#define EXB_PERTURB(w, incr) (get_local_id(0) > 0)
#else
#define EXB_PERTURB(w, incr) 0
#endif
// ... and in one kernel only: exb_attend4() (the 4-row attention blocks of encoding), exb_decode.
#ifdef LMC_EXACT_PERTURB_ATTEND4
#define EXB_PERTURB_ATTEND4 1
#else
#define EXB_PERTURB_ATTEND4 0
#endif
#ifdef LMC_EXACT_PERTURB_DECODE
#define EXB_PERTURB_DECODE 1
#else
#define EXB_PERTURB_DECODE 0
#endif
// ... and in the 64-bit lanes of lmc-exact-2's 8-channel scores only (exe2_score8(), encoding's
// exb_attend4() and decoding's exd2_attend()): ordinary models never reach them, saturated queries
// and keys do.
#ifdef LMC_EXACT_PERTURB_WIDE_SCORE
#define EXE2_PERTURB_WIDE_SCORE 1
#else
#define EXE2_PERTURB_WIDE_SCORE 0
#endif

#define EXB_RB 4 // rows per work-item of exb_linear

// The format the program is built for (the predictor defines LMC_EXACT_FORMAT2 for lmc-exact-2
// models): ex_operand()'s shift of every product operand.
#ifdef LMC_EXACT_FORMAT2
#define EXB_QS EX2_IN_SHIFT
#else
#define EXB_QS 0
#endif
// ... and the requantisation's share of it; LMC_EXACT_PERTURB_FORMAT (a negative control of the
// tests) forgets it: lmc-exact-1's shifts on lmc-exact-2's operands.
#ifdef LMC_EXACT_PERTURB_FORMAT
#define EXB_QS_REQUANT 0
#else
#define EXB_QS_REQUANT EXB_QS
#endif

// Column j of a linear layer from its 64-bit sum acc: requantised by the column's multiplier and
// shift (blob offsets mo, so), plus its bias (bo < 0: none), clamped to +-lim; ex_linear()'s rule.
int exb_requant(__global const int *blob, ulong acc, int mo, int so, int bo, int j, long lim, int perturb) {
    long v = ex_round_shift((long)(acc * (ulong)(long)blob[mo + j]), blob[so + j] - EXB_QS_REQUANT, perturb);
    if (bo >= 0) v += blob[bo + j];
    return (int)ex_clamp(v, lim);
}

// exb_requant() of columns j .. j + 7 on 8 lanes, the shifts per lane. The multipliers are in
// [2^14, 2^15) (the loader's check), so zero-extending them is the same value and spares LLVM one
// of the three 32x32 products of a 64-bit multiply on x86 without AVX-512DQ.
long8 exb_requant8(__global const int *blob, ulong8 acc, int mo, int so, int bo, int j, long lim, int perturb) {
    const ulong8 m = convert_ulong8(as_uint8(vload8(0, blob + mo + j)));
    const ulong8 s = convert_ulong8(as_uint8(vload8(0, blob + so + j) - (int8)EXB_QS_REQUANT)); // in [1, 62]
    const ulong8 u = acc * m + (perturb ? (ulong8)0 : (ulong8)1 << (s - (ulong8)1));
    const ulong8 neg = (ulong8)0 - (u >> (ulong8)63); // all ones where negative: ex_asr()'s floor
    long8 v = as_long8(((u ^ neg) >> s) ^ neg);
    if (bo >= 0) v += convert_long8(vload8(0, blob + bo + j));
    return clamp(v, (long8)(-lim), (long8)lim);
}

// floor(v / 2^s) + rounding as ex_round_shift() on 8 lanes of 32 bits (v + the half fits an int).
int8 exb_rs8i(int8 v, uint s, int perturb) {
    const uint8 u = as_uint8(v) + (uint8)(perturb ? 0u : 1u << (s - 1));
    const uint8 neg = (uint8)0 - (u >> (uint8)31);
    return as_int8(((u ^ neg) >> (uint8)s) ^ neg);
}

// ex_gelu() on 8 lanes of 32 bits: x within +-2^30, the table's entries within +-2^24 (the
// loader's check), so (hi - lo) * frac < 2^31 and every step fits an int.
int8 exb_gelu8(__global const int *blob, int tab, int8 x, int perturb) {
    const int8 u = clamp(x, (int8)(-32768), (int8)32767) + (int8)32768; // in [0, 65535]
    const int8 idx = (u >> 6) + (int8)tab, frac = u & (int8)63;
    const int8 lo = (int8)(blob[idx.s0], blob[idx.s1], blob[idx.s2], blob[idx.s3], blob[idx.s4], blob[idx.s5], blob[idx.s6],
                           blob[idx.s7]);
    const int8 hi = (int8)(blob[idx.s0 + 1], blob[idx.s1 + 1], blob[idx.s2 + 1], blob[idx.s3 + 1], blob[idx.s4 + 1],
                           blob[idx.s5 + 1], blob[idx.s6 + 1], blob[idx.s7 + 1]);
    const int8 g = lo + exb_rs8i((hi - lo) * frac, 6, perturb);
    return select(select(g, (int8)0, x < (int8)(-32768)), x, x >= (int8)32768);
}

#if EXB_QS
// ex_operand() on 8 lanes of 32 bits (x within +-2^30).
int8 exb_operand8(int8 x) { return clamp(exb_rs8i(x, EXB_QS, 0), (int8)(-EX2_IN_LIM), (int8)EX2_IN_LIM); }
#endif

// The offset of channel j (of a row of C = NH * hs) at position t in a window's K or V cache
// of TS positions per channel (the layout above).
size_t exb_kv_index(int j, int t, int hs, int TS) {
    const int hd = j / hs, d = j - hd * hs;
    return (size_t)hd * hs * TS + (size_t)(t & ~7) * hs + (size_t)d * 8 + (size_t)(t & 7);
}

#if EXB_QS
// lmc-exact-2's encoding K cache (one call's windows, one layer), short, in the operands' pairs:
// per window (at twice its int offset) head hd at hd * 2 hp * TS, channel d of position t at
// (d >> 1) * 2 TS + 2 t + (d & 1), so that one short16 holds 8 keys x 2 channels (hp = ceil(hs /
// 2); a head's pad channel is never written and meets a query pad of 0). V is as in lmc-exact-1,
// (C, TS), but short, from the same twice the window's int offset: channel j of position t at j *
// TS + t, so that 16 consecutive keys of a channel are one short16, to be multiplied with 16
// weights in pairs of keys (exb_attend4()).
size_t exe2_k_index(int j, int t, int hs, int TS) {
    const int hd = j / hs, d = j - hd * hs;
    return (size_t)hd * 2 * ((hs + 1) / 2) * TS + (size_t)(d >> 1) * 2 * TS + (size_t)t * 2 + (size_t)(d & 1);
}

// The operand pair (q[2c], q[2c + 1]) (0 past the head's hs channels) on 8 lanes of pairs.
int16 exe2_qpair(__global const int *q, int c, int hs) {
    const short2 v = (short2)((short)q[2 * c], 2 * c + 1 < hs ? (short)q[2 * c + 1] : (short)0);
    return convert_int16((short16)(v, v, v, v, v, v, v, v));
}

// The operand pair (x[0], x[1]) on 8 lanes of pairs: a linear layer's inputs i, i + 1.
int16 exe2_xpair(__global const int *x) {
    const short2 v = (short2)((short)x[0], (short)x[1]);
    return convert_int16((short16)(v, v, v, v, v, v, v, v));
}

// The pair sums of one short16 of K (8 keys x 2 channels) times a query pair, per key (|sum| <=
// 2 * 32767^2 < 2^31: vpmaddwd on x86) ...
int8 exe2_pairs(__global const short *k, int16 qp) {
    const int16 u = convert_int16(vload16(0, k)) * qp;
    return u.even + u.odd;
}

// ... and widened, to sum over more pairs than 4.
long8 exe2_dot(__global const short *k, int16 qp) { return convert_long8(exe2_pairs(k, qp)); }
#endif

// Adds the 8 pair sums of the int16 products u ((e_a v_a + e_b v_b), within +-2^31) to a split
// 32-bit accumulator (lo, hi): lo += pair (mod 2^32), hi += pair >> 16 (exb_attend4(), exd2_attend()).
#define EXE2_SPLIT_ADD(lo, hi, u)                                                                      \
    do {                                                                                                   \
        const int8 pair_ = (u).even + (u).odd;                                                             \
        lo += as_uint8(pair_);                                                                             \
        hi += pair_ >> 16;                                                                                 \
    } while (0)

// The exact sum of at most 2^16 pair sums per lane from their split accumulator (lo, hi):
// hi * 2^16 + r, r = lo - hi * 2^16 mod 2^32 (the low 16 bits' sum, in [0, 2^32)).
long8 exe2_split_sum(uint8 lo, int8 hi) {
    const uint8 r = lo - (as_uint8(hi) << (uint8)16);
    return convert_long8(hi) * 65536 + convert_long8(r);
}

// any() of a comparison's lanes (-1 or 0) as one OR reduction and one sign test: pocl's any()
// tests the lanes one by one, a branch each, which cost several percent of the attention loops.
__attribute__((always_inline)) inline int ex_any_int8(int8 m) {
    const int4 a = m.lo | m.hi;
    const int2 b = a.lo | a.hi;
    return (b.x | b.y) < 0;
}
__attribute__((always_inline)) inline int ex_any_short8(short8 m) {
    const short4 a = m.lo | m.hi;
    const short2 b = a.lo | a.hi;
    return (short)(b.x | b.y) < 0;
}
__attribute__((always_inline)) inline int ex_any_long8(long8 m) {
    const long4 a = m.lo | m.hi;
    const long2 b = a.lo | a.hi;
    return (b.x | b.y) < 0;
}

// ex_round_shift() on 8 lanes: v holds two's-complement values; unsigned operations only.
ulong8 exb_rs8(ulong8 v, ulong s, int perturb) {
    ulong8 u = v + (perturb ? (ulong)0 : ((ulong)1 << (s - 1)));
    ulong8 neg = (ulong8)0 - (u >> (ulong)63); // all ones where negative
    return ((u ^ neg) >> s) ^ neg;            // floor(u / 2^s) as ex_asr() computes it
}


// The scores (Q12) of keys p..p+7 from their dot products: requantised by att_m / 2^att_s,
// clamped to +-2^30, lanes at or past nk set to -2^30 (they cannot raise the max); stored at e + p
// and returned (for the max).
long8 exb_score8(ulong8 dot, long att_m, int att_s, int p, int nk, __global int *e, int perturb) {
    const long lim = (long)1 << 30;
    long8 s = clamp(as_long8(exb_rs8(dot * (ulong)att_m, (ulong)att_s, perturb)), (long8)(-lim), (long8)lim);
    s = select((long8)(-lim), s, (long8)(0, 1, 2, 3, 4, 5, 6, 7) + (long)p < (long8)nk);
    vstore8(convert_int8(s), 0, e + p);
    return s;
}

// lmc-exact-2's scores of keys p..p+7 in heads of 8 channels, from the four pair sums d0..d3 of
// each key's dot product (|pair| <= 2 * 32767^2 < 2^31): exb_score8()'s values, stored as it stores
// them and returned, computed in 32-bit lanes (8 a register, no 64-bit multiply or shift to
// emulate) where that is exact: fast (16 <= att_s <= 40, 0 < att_m < 2^15) and every |pair| < 2^29
// in the block, so the dot fits an int; else in exb_score8()'s 64-bit lanes (which
// LMC_EXACT_PERTURB_WIDE_SCORE, a negative control, gives the negated dot).
// The 32-bit form: dot = dh 2^16 + dl (0 <= dl < 2^16, |dh| <= 2^15), the rounding term c = 2^(s-1)
// (0 perturbed), s = att_s: floor((dot m + c) / 2^s) = (dh m + ((dl m + c_lo) >> 16) + c_hi) >> (s - 16)
// with c_lo = c when s = 16, c_hi = c / 2^16 when s > 16 (dl m + c_lo >= 0 and floor(floor(x / a) / b)
// = floor(x / (a b))); |dh m| < 2^30, dl m + c_lo < 2^31, c_hi <= 2^23: no term or sum overflows.
__attribute__((always_inline)) inline int8 exe2_score8(int8 d0, int8 d1, int8 d2, int8 d3, int att_m, int att_s, int fast,
                                                       int p, int nk, __global int *e, int perturb) {
    const int lim = 1 << 30;
    const int8 mag = (d0 ^ (d0 >> 31)) | (d1 ^ (d1 >> 31)) | (d2 ^ (d2 >> 31)) | (d3 ^ (d3 >> 31)); // |d| or |d| - 1
    if (!fast || ex_any_int8(mag >= (int8)(1 << 29))) {
        const long8 dot = (convert_long8(d0) + convert_long8(d1)) + (convert_long8(d2) + convert_long8(d3));
        return convert_int8(exb_score8(as_ulong8(EXE2_PERTURB_WIDE_SCORE ? -dot : dot), att_m, att_s, p, nk, e, perturb));
    }
    const int8 dot = (d0 + d1) + (d2 + d3);
    const int c_lo = !perturb && att_s == 16 ? 1 << 15 : 0, c_hi = !perturb && att_s > 16 ? 1 << (att_s - 17) : 0;
    const int8 t = (dot >> 16) * att_m + (((dot & 0xFFFF) * att_m + c_lo) >> 16) + c_hi;
    // the bounds as vectors: oclgrind computes clamp(int8, int, int) wrong (its incremental rows differed)
    int8 s = clamp(t >> (att_s - 16), (int8)(-lim), (int8)lim);
    s = select((int8)(-lim), s, (int8)(0, 1, 2, 3, 4, 5, 6, 7) + p < (int8)nk);
    vstore8(s, 0, e + p);
    return s;
}

// ex_exp(-a) on 8 lanes, a >= 0 (0 from a = 2^16 on): one lookup in the table of ex_exp()'s own
// values (lay[EX_LAY_EXP_TAB]); the perturbed variants (perturb != 0) compute it from the two
// tables instead, as ex_exp() does, rounding down.
// (Inlined always, for the lanes' sign bits; no restrict, which oclgrind cannot take inlined.)
__attribute__((always_inline)) inline long8 exb_exp8(__global const int *blob, __global const int *lay, long8 a, int perturb) {
    int8 ia = convert_int8(min(a, (long8)65535));
    long8 w;
    if (!perturb) {
#if EXB_QS // lmc-exact-2's weights fit int16: the table as short, half the cache lines
        __global const short *tab = (__global const short *)(blob + lay[EX_LAY_EXP_TAB]);
        w = convert_long8((short8)(tab[ia.s0], tab[ia.s1], tab[ia.s2], tab[ia.s3], tab[ia.s4], tab[ia.s5], tab[ia.s6],
                                   tab[ia.s7]));
#else
        __global const int *tab = blob + lay[EX_LAY_EXP_TAB];
        w = convert_long8((int8)(tab[ia.s0], tab[ia.s1], tab[ia.s2], tab[ia.s3], tab[ia.s4], tab[ia.s5], tab[ia.s6],
                                 tab[ia.s7]));
#endif
    } else {
        const int exp_hi = lay[EX_LAY_EXP_HI], exp_lo = lay[EX_LAY_EXP_LO];
        int8 ih = (ia >> 8) + exp_hi, il = (ia & 255) + exp_lo;
        long8 hv = (long8)(blob[ih.s0], blob[ih.s1], blob[ih.s2], blob[ih.s3], blob[ih.s4], blob[ih.s5], blob[ih.s6],
                           blob[ih.s7]);
        long8 lv = (long8)(blob[il.s0], blob[il.s1], blob[il.s2], blob[il.s3], blob[il.s4], blob[il.s5], blob[il.s6],
                           blob[il.s7]);
        w = as_long8(exb_rs8(as_ulong8(hv) * as_ulong8(lv), 44, perturb));
    }
    return select(w, (long8)0, a >= (long8)65536);
}

#if EXB_QS
// lmc-exact-2's weights of keys p..p+7 from their scores s (Q12, within +-2^30) and the max mx:
// the table's entry for a = mx - s, 0 from a = 2^16 on and in the lanes at or past nk, in 32-bit
// lanes (a <= 2^31 fits a uint; the weights fit 16 bits), so 8 keys are one AVX2 register, not
// two. The perturbed variants compute them as exb_exp8() does (at most 2^16).
__attribute__((always_inline)) uint8 exe2_weight8(__global const int *blob, __global const int *lay, int8 s, int mx, int p, int nk, int perturb) {
    const uint8 a = (uint8)(uint)mx - as_uint8(s);
    uint8 w;
    if (!perturb) {
        __global const ushort *tab = (__global const ushort *)(blob + lay[EX_LAY_EXP_TAB]); // entries <= 32767
        const uint8 ia = min(a, (uint8)65535);
        w = convert_uint8((ushort8)(tab[ia.s0], tab[ia.s1], tab[ia.s2], tab[ia.s3], tab[ia.s4], tab[ia.s5], tab[ia.s6],
                                    tab[ia.s7]));
        w = select(w, (uint8)0, a >= (uint8)65536);
    } else {
        w = convert_uint8(exb_exp8(blob, lay, convert_long8(a), perturb));
    }
    return select(w, (uint8)0, (int8)(0, 1, 2, 3, 4, 5, 6, 7) + p >= (int8)nk);
}
#endif

// h (M, C) = embed[in[r]] + pos[t] for rows r < M; lmc-exact-2: xo (M, C) their operands, the
// input the next linear layers read (exb_qkv; exb_linear_ln writes it for the later ones).
__kernel void exb_embed(__global const int *blob, __global const int *lay, __global const uchar *in,
                        __global const int2 *rt, int M, __global int *h, __global int *xo) {
    int r = (int)get_global_id(0);
    if (r >= M) return;
    const int C = lay[EX_LAY_C];
    int t = rt[r].y, byte = in[r];
    for (int i = 0; i < C; i++) {
        const int v = blob[lay[EX_LAY_EMBED] + byte * C + i] + blob[lay[EX_LAY_POS] + (size_t)t * C + i];
        h[(size_t)r * C + i] = v;
#if EXB_QS
        xo[(size_t)r * C + i] = (int)ex_operand(v, EXB_QS);
#endif
    }
}

// ex_linear() (then ex_gelu() when gelu) of rows r < M of x (M, K): the weights' blob offsets are
// lay[li], lay[li + 1] (multipliers), lay[li + 2] (shifts), the bias lay[bi] (bi < 0: none).
// Work-item (g, b): columns 16g .. 16g+15 (two blocks of 8 sharing each x value's broadcast),
// rows EXB_RB*b .. EXB_RB*b + EXB_RB-1; the products are
// sign-extended int32 x int32 into 64 bits (vpmuldq on x86). omode 0: y (M, N); omode 1: the
// transposed K/V cache, y[obase + w * ows + j * ots + t] with (w, t) = rt[r]. The weights come from
// w16, the int16 copy of the I16 tensors at the blob's offsets (exd_linear): half the bytes.
void exb_linear_tile(__global const int *blob, __global const short *w16, __global const int *lay, int li, int bi, int K,
                     int N, __global const int *x, int M, __global const int2 *rt, int incr, int gelu, long lim,
                     __global int *y, int omode, int obase, int ows, int ots, int op_out) {
    int g = (int)get_global_id(0), rb = (int)get_global_id(1);
    int j0 = 16 * g, r0 = EXB_RB * rb;
    if (j0 >= N || r0 >= M) return;
    const int jb = j0 + 8 < N ? j0 + 8 : j0; // the second block; jb = j0: computed, not stored
    const int wo = lay[li], mo = lay[li + 1], so = lay[li + 2], bo = bi >= 0 ? lay[bi] : -1;
    __global const int *x0 = x + (size_t)r0 * K;
    __global const int *x1 = x + (size_t)min(r0 + 1, M - 1) * K; // rows past M: computed, not stored
    __global const int *x2 = x + (size_t)min(r0 + 2, M - 1) * K;
    __global const int *x3 = x + (size_t)min(r0 + 3, M - 1) * K;
#if EXB_QS
    // lmc-exact-2: x and the weights are int16 operands (w16: the rows in pairs, as exd2_linear()
    // reads them), so each pair of inputs (i, i + 1) is one vpmaddwd per 8 columns, its pair sums
    // widened to 64 bits only then (K is even: d_model is)
    __global const short *wp = w16 + wo + 2 * j0, *wq = w16 + wo + 2 * jb;
    long8 l0 = (long8)0, l1 = l0, l2 = l0, l3 = l0, m0 = l0, m1 = l0, m2 = l0, m3 = l0;
    for (int i = 0; i < K; i += 2) {
        const size_t ro = (size_t)(i >> 1) * 2 * N;
        const int16 wv = convert_int16(vload16(0, wp + ro)), wu = convert_int16(vload16(0, wq + ro));
        const int16 v0 = exe2_xpair(x0 + i), v1 = exe2_xpair(x1 + i), v2 = exe2_xpair(x2 + i), v3 = exe2_xpair(x3 + i);
        int16 u = v0 * wv;
        l0 += convert_long8(u.even + u.odd);
        u = v0 * wu;
        m0 += convert_long8(u.even + u.odd);
        u = v1 * wv;
        l1 += convert_long8(u.even + u.odd);
        u = v1 * wu;
        m1 += convert_long8(u.even + u.odd);
        u = v2 * wv;
        l2 += convert_long8(u.even + u.odd);
        u = v2 * wu;
        m2 += convert_long8(u.even + u.odd);
        u = v3 * wv;
        l3 += convert_long8(u.even + u.odd);
        u = v3 * wu;
        m3 += convert_long8(u.even + u.odd);
    }
    const ulong8 a0 = as_ulong8(l0), a1 = as_ulong8(l1), a2 = as_ulong8(l2), a3 = as_ulong8(l3);
    const ulong8 b0 = as_ulong8(m0), b1 = as_ulong8(m1), b2 = as_ulong8(m2), b3 = as_ulong8(m3);
#else
    __global const short *wp = w16 + wo + j0, *wq = w16 + wo + jb;
    ulong8 a0 = (ulong8)0, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    for (int i = 0; i < K; i++) {
        ulong8 wv = as_ulong8(convert_long8(vload8(0, wp + (size_t)i * N)));
        ulong8 wu = as_ulong8(convert_long8(vload8(0, wq + (size_t)i * N)));
        ulong8 v0 = (ulong8)(ulong)(long)x0[i], v1 = (ulong8)(ulong)(long)x1[i]; // lmc-exact-2: operands (exb_embed, exb_linear_ln)
        ulong8 v2 = (ulong8)(ulong)(long)x2[i], v3 = (ulong8)(ulong)(long)x3[i];
        a0 += v0 * wv;
        b0 += v0 * wu;
        a1 += v1 * wv;
        b1 += v1 * wu;
        a2 += v2 * wv;
        b2 += v2 * wu;
        a3 += v3 * wv;
        b3 += v3 * wu;
    }
#endif
    ulong acc[EXB_RB][16];
    vstore8(a0, 0, acc[0]);
    vstore8(b0, 0, acc[0] + 8);
    vstore8(a1, 0, acc[1]);
    vstore8(b1, 0, acc[1] + 8);
    vstore8(a2, 0, acc[2]);
    vstore8(b2, 0, acc[2] + 8);
    vstore8(a3, 0, acc[3]);
    vstore8(b3, 0, acc[3] + 8);
    const int hs = lay[EX_LAY_C] / lay[EX_LAY_NH];
    for (int q = 0; q < EXB_RB && r0 + q < M; q++) {
        int r = r0 + q;
        int2 wt = rt[r];
        int perturb = EXB_PERTURB(wt.x, incr);
        for (int h = 0; h < 2 && !(h && jb == j0); h++) {
            const int jh = h ? jb : j0;
            int ov[8], n = 8; // the block's outputs: 8 lanes at once, or a tensor's last < 8 columns one by one
            if (jh + 8 <= N) {
                int8 o = convert_int8(exb_requant8(blob, vload8(0, acc[q] + 8 * h), mo, so, bo, jh, lim, perturb));
                if (gelu) o = exb_gelu8(blob, lay[EX_LAY_GELU], o, perturb);
#if EXB_QS
                if (op_out) o = exb_operand8(o); // a value only products read: stored as its operand
#endif
                if (omode == 0) {
                    vstore8(o, 0, y + (size_t)r * N + jh);
                    continue;
                }
                vstore8(o, 0, ov);
            } else {
                n = N - jh;
                for (int c = 0; c < n; c++) {
                    int o = exb_requant(blob, acc[q][8 * h + c], mo, so, bo, jh + c, lim, perturb);
                    if (gelu) o = ex_gelu(blob, lay[EX_LAY_GELU], o, perturb);
                    if (op_out) o = (int)ex_operand(o, EXB_QS);
                    ov[c] = o;
                }
            }
            for (int c = 0; c < n; c++) {
                const int j = jh + c, o = ov[c];
                if (omode == 0)
                    y[(size_t)r * N + j] = o;
                else if (omode == 1)
                    y[(size_t)obase + (size_t)wt.x * ows + (size_t)j * ots + wt.y] = o;
#if EXB_QS
                else if (omode == 2) // lmc-exact-2's K cache (exe2_k_index())
                    ((__global short *)y)[2 * ((size_t)obase + (size_t)wt.x * ows) + exe2_k_index(j, wt.y, hs, ots)] = (short)o;
                else // omode 3, lmc-exact-2's V cache: short, (C, TS) from twice the window's int offset
                    ((__global short *)y)[2 * ((size_t)obase + (size_t)wt.x * ows) + (size_t)j * ots + wt.y] = (short)o;
#endif
            }
        }
    }
}

__kernel void exb_linear(__global const int *blob, __global const int *lay, int li, int bi, int K, int N,
                         __global const int *x, int M, __global const int2 *rt, int incr, int gelu, long lim,
                         __global int *y, __global const short *w16) {
    // lmc-exact-2: GELU's output (ffn.w2's input only) is stored as its operands
    exb_linear_tile(blob, w16, lay, li, bi, K, N, x, M, rt, incr, gelu, lim, y, 0, 0, 0, 0, EXB_QS && gelu);
}

// Q, K and V of one layer in one launch (global dimension 2 = 0, 1, 2): the triples at lay slots
// li, li + 3, li + 6 (EX_WQ, EX_WK, EX_WV); Q to q (M, C), K and V to the transposed caches.
__kernel void exb_qkv(__global const int *blob, __global const int *lay, int li, __global const int *h, int M,
                      __global const int2 *rt, int incr, __global int *q, __global int *kt, __global int *vt,
                      int obase, int ows, int ots, __global const short *w16) {
    const int C = lay[EX_LAY_C], part = (int)get_global_id(2);
    __global int *y = part == 0 ? q : part == 1 ? kt : vt;
    // lmc-exact-2: Q, K and V (attention's inputs only) are stored as their operands
    exb_linear_tile(blob, w16, lay, li + 3 * part, -1, C, C, h, M, rt, incr, 0, EX_ACT_LIM, y,
                    part == 0 ? 0 : !EXB_QS ? 1 : part == 1 ? 2 : 3, obase, ows, ots, EXB_QS);
}

// y = LayerNorm(linear(x) + res) for rows r < M, one row per work-item: the linear as in
// exb_linear (N = C outputs, 8 at a time) into tmp (M, C), the residual added, then
// ex_layernorm with the scale and offset at lay[gs], lay[bs]. x (M, K), res, y (M, C).
__kernel void exb_linear_ln(__global const int *blob, __global const int *lay, int li, int bi, int K,
                            __global const int *x, __global const int *res, int gs, int bs, int M,
                            __global const int2 *rt, int incr, __global int *tmp, __global int *y,
                            __global const short *w16, __global int *xo) {
    int r = (int)get_global_id(0);
    if (r >= M) return;
    const int C = lay[EX_LAY_C];
    const int wo = lay[li], mo = lay[li + 1], so = lay[li + 2], bo = bi >= 0 ? lay[bi] : -1;
    int perturb = EXB_PERTURB(rt[r].x, incr);
    __global const int *xr = x + (size_t)r * K;
    __global int *tr = tmp + (size_t)r * C;
    for (int j0 = 0; j0 < C; j0 += 16) { // two blocks of 8 columns per sweep over x (exb_linear_tile)
        const int jb = j0 + 8 < C ? j0 + 8 : j0; // jb = j0: computed, not stored
#if EXB_QS // lmc-exact-2: the operands (att, ff) and the weights in pairs, as in exb_linear_tile()
        __global const short *wp = w16 + wo + 2 * j0, *wq = w16 + wo + 2 * jb;
        long8 la = (long8)0, lb = (long8)0;
        for (int i = 0; i < K; i += 2) {
            const size_t ro = (size_t)(i >> 1) * 2 * C;
            const int16 xx = exe2_xpair(xr + i);
            const int16 u = xx * convert_int16(vload16(0, wp + ro)), v = xx * convert_int16(vload16(0, wq + ro));
            la += convert_long8(u.even + u.odd);
            lb += convert_long8(v.even + v.odd);
        }
        const ulong8 a = as_ulong8(la), b = as_ulong8(lb);
#else
        __global const short *wp = w16 + wo + j0, *wq = w16 + wo + jb; // the weights as int16
        ulong8 a = (ulong8)0, b = (ulong8)0;
        for (int i = 0; i < K; i++) {
            ulong8 xv = (ulong8)(ulong)(long)xr[i];
            a += xv * as_ulong8(convert_long8(vload8(0, wp + (size_t)i * C)));
            b += xv * as_ulong8(convert_long8(vload8(0, wq + (size_t)i * C)));
        }
#endif
        ulong acc[16];
        vstore8(a, 0, acc);
        vstore8(b, 0, acc + 8);
        for (int h = 0; h < 2 && !(h && jb == j0); h++) {
            const int jh = h ? jb : j0;
            if (jh + 8 <= C) { // 8 lanes at once, or a row's last < 8 columns one by one
                vstore8(convert_int8(exb_requant8(blob, vload8(0, acc + 8 * h), mo, so, bo, jh, EX_ACT_LIM, perturb)) +
                            vload8(0, res + (size_t)r * C + jh),
                        0, tr + jh);
                continue;
            }
            for (int j = jh; j < C; j++)
                tr[j] = exb_requant(blob, acc[8 * h + j - jh], mo, so, bo, j, EX_ACT_LIM, perturb) + res[(size_t)r * C + j];
        }
    }
    ex_layernorm(blob, tr, C, lay[gs], lay[bs], perturb, y + (size_t)r * C);
#if EXB_QS
    for (int i = 0; i < C; i++) xo[(size_t)r * C + i] = (int)ex_operand(y[(size_t)r * C + i], EXB_QS); // the next layer's input
#endif
}

// One (row, head) of causal attention, ex_position()'s operations on 8 lanes: the scores of keys
// 0..nk-1 (kb: the head's K; channel d of the 8 keys from p (p % 8 = 0) at kb + p * ps + d * cs:
// ps = 1, cs = TS in encoding's transposed caches, ps = hs, cs = 8 in decoding's blocked ones)
// and their max, then in one
// sweep over the keys per 8 channels the exp() weights (the first sweep computes them, their sum
// z, and keeps them in e for the next), and out[d] = rounddiv(sum_p e_p v_pd, z) for d < hs.
// e: scratch of nk + 8 ints. Blocks of 8 keys whose weights are all 0 skip the V loads.
// lmc-exact-2 (encoding only: its decoding rows run exd2_attend()): the keys from kb2, the K cache
// of exe2_k_index() (kb unused).
void exb_attend(__global const int *restrict blob, __global const int *restrict lay, __global const int *restrict qr,
                int nk, int hs, __global const int *restrict kb, __global const int *restrict vb, int ps,
                int cs, __global int *restrict e, int perturb, __global int *restrict out, __global const short *restrict kb2,
                __global const short *restrict vb2) {
    const long att_m = blob[lay[EX_LAY_ATT_M]];
    const int att_s = blob[lay[EX_LAY_ATT_S]] - 2 * EXB_QS; // q.k of the operands (ex_position())
    const long lim = (long)1 << 30;
    const long8 lane = (long8)(0, 1, 2, 3, 4, 5, 6, 7);
    long8 mx8 = (long8)(-lim);
    const int hs8 = (hs & 7) == 0 ? hs : 0; // channels taken 8 at a time (unrolled), then one by one
    // 8 channels (the presets' heads): the query's lanes held in registers across the keys
    const ulong8 Q0 = (ulong8)(ulong)(long)qr[0], Q1 = (ulong8)(ulong)(long)qr[min(1, hs - 1)];
    const ulong8 Q2 = (ulong8)(ulong)(long)qr[min(2, hs - 1)], Q3 = (ulong8)(ulong)(long)qr[min(3, hs - 1)];
    const ulong8 Q4 = (ulong8)(ulong)(long)qr[min(4, hs - 1)], Q5 = (ulong8)(ulong)(long)qr[min(5, hs - 1)];
    const ulong8 Q6 = (ulong8)(ulong)(long)qr[min(6, hs - 1)], Q7 = (ulong8)(ulong)(long)qr[min(7, hs - 1)];
    for (int p = 0; p < nk; p += 8) {
        ulong8 dot = (ulong8)0;
#if EXB_QS
        long8 dp = (long8)0;
        for (int c = 0; c < (hs + 1) / 2; c++) dp += exe2_dot(kb2 + (size_t)c * 2 * cs + 2 * (size_t)p, exe2_qpair(qr, c, hs));
        dot = as_ulong8(dp);
#else
        if (hs == 8) {
            __global const int *kp = kb + (size_t)p * ps;
            ulong8 u0 = Q0 * as_ulong8(convert_long8(vload8(0, kp)));
            ulong8 u1 = Q1 * as_ulong8(convert_long8(vload8(0, kp + cs)));
            ulong8 u2 = Q2 * as_ulong8(convert_long8(vload8(0, kp + 2 * (size_t)cs)));
            ulong8 u3 = Q3 * as_ulong8(convert_long8(vload8(0, kp + 3 * (size_t)cs)));
            u0 += Q4 * as_ulong8(convert_long8(vload8(0, kp + 4 * (size_t)cs)));
            u1 += Q5 * as_ulong8(convert_long8(vload8(0, kp + 5 * (size_t)cs)));
            u2 += Q6 * as_ulong8(convert_long8(vload8(0, kp + 6 * (size_t)cs)));
            u3 += Q7 * as_ulong8(convert_long8(vload8(0, kp + 7 * (size_t)cs)));
            dot = (u0 + u1) + (u2 + u3);
        } else {
            for (int d0 = 0; d0 < hs8; d0 += 8) {
                __global const int *kp = kb + (size_t)p * ps + (size_t)d0 * cs;
                ulong8 u0 = (ulong8)(ulong)(long)qr[d0] * as_ulong8(convert_long8(vload8(0, kp)));
                ulong8 u1 = (ulong8)(ulong)(long)qr[d0 + 1] * as_ulong8(convert_long8(vload8(0, kp + cs)));
                ulong8 u2 = (ulong8)(ulong)(long)qr[d0 + 2] * as_ulong8(convert_long8(vload8(0, kp + 2 * (size_t)cs)));
                ulong8 u3 = (ulong8)(ulong)(long)qr[d0 + 3] * as_ulong8(convert_long8(vload8(0, kp + 3 * (size_t)cs)));
                u0 += (ulong8)(ulong)(long)qr[d0 + 4] * as_ulong8(convert_long8(vload8(0, kp + 4 * (size_t)cs)));
                u1 += (ulong8)(ulong)(long)qr[d0 + 5] * as_ulong8(convert_long8(vload8(0, kp + 5 * (size_t)cs)));
                u2 += (ulong8)(ulong)(long)qr[d0 + 6] * as_ulong8(convert_long8(vload8(0, kp + 6 * (size_t)cs)));
                u3 += (ulong8)(ulong)(long)qr[d0 + 7] * as_ulong8(convert_long8(vload8(0, kp + 7 * (size_t)cs)));
                dot += (u0 + u1) + (u2 + u3);
            }
        }
        for (int d = hs8; d < hs; d++) // a head of other than a multiple of 8 channels
            dot += (ulong8)(ulong)(long)qr[d] * as_ulong8(convert_long8(vload8(0, kb + (size_t)p * ps + (size_t)d * cs)));
#endif
        mx8 = max(mx8, exb_score8(dot, att_m, att_s, p, nk, e, perturb));
    }
    long4 m4 = max(mx8.lo, mx8.hi);
    long2 m2 = max(m4.lo, m4.hi);
    long mx = max(m2.lo, m2.hi);
    long z = 0;
    const long a0 = blob[lay[EX_LAY_EXP_TAB] - 1]; // weights of a >= a0 are 0 (and 0 when perturbed)
    for (int d0 = 0; d0 < hs; d0 += 8) {
        // channel d of the 8 keys from p at vb + p * ps + d * cs (past the head's last channel:
        // its last again, computed and not stored); lmc-exact-2: at vb2, short
#if EXB_QS
        __global const short *v0 = vb2 + (size_t)d0 * cs, *v1 = vb2 + (size_t)min(d0 + 1, hs - 1) * cs;
        __global const short *v2 = vb2 + (size_t)min(d0 + 2, hs - 1) * cs, *v3 = vb2 + (size_t)min(d0 + 3, hs - 1) * cs;
        __global const short *v4 = vb2 + (size_t)min(d0 + 4, hs - 1) * cs, *v5 = vb2 + (size_t)min(d0 + 5, hs - 1) * cs;
        __global const short *v6 = vb2 + (size_t)min(d0 + 6, hs - 1) * cs, *v7 = vb2 + (size_t)min(d0 + 7, hs - 1) * cs;
#else
        __global const int *v0 = vb + (size_t)d0 * cs, *v1 = vb + (size_t)min(d0 + 1, hs - 1) * cs;
        __global const int *v2 = vb + (size_t)min(d0 + 2, hs - 1) * cs, *v3 = vb + (size_t)min(d0 + 3, hs - 1) * cs;
        __global const int *v4 = vb + (size_t)min(d0 + 4, hs - 1) * cs, *v5 = vb + (size_t)min(d0 + 5, hs - 1) * cs;
        __global const int *v6 = vb + (size_t)min(d0 + 6, hs - 1) * cs, *v7 = vb + (size_t)min(d0 + 7, hs - 1) * cs;
#endif
        long8 n0 = (long8)0, n1 = n0, n2 = n0, n3 = n0, n4 = n0, n5 = n0, n6 = n0, n7 = n0, z8 = n0;
        for (int p = 0; p < nk; p += 8) {
            int8 wi; // the weights as int (Q16, at most 65536), widened below: products of two
                     // sign-extended ints are one 32x32->64 multiply per lane (vpmuldq)
            if (d0 == 0) { // ex_exp() of score - max on 8 lanes; masked lanes 0
                long8 a = (long8)mx - convert_long8(vload8(0, e + p));
                if (!ex_any_long8(a < (long8)a0)) { // every lane so far below the max that its weight is 0
                    vstore8((int8)0, 0, e + p);
                    continue;
                }
                wi = convert_int8(select(exb_exp8(blob, lay, a, perturb), (long8)0, lane + (long)p >= (long8)nk));
                vstore8(wi, 0, e + p);
                z8 += convert_long8(wi);
            } else {
                wi = vload8(0, e + p);
                if (!ex_any_int8(wi != (int8)0)) continue;
            }
            const long8 w = convert_long8(wi);
            const size_t pb = (size_t)p * ps;
            n0 += w * convert_long8(vload8(0, v0 + pb));
            n1 += w * convert_long8(vload8(0, v1 + pb));
            n2 += w * convert_long8(vload8(0, v2 + pb));
            n3 += w * convert_long8(vload8(0, v3 + pb));
            n4 += w * convert_long8(vload8(0, v4 + pb));
            n5 += w * convert_long8(vload8(0, v5 + pb));
            n6 += w * convert_long8(vload8(0, v6 + pb));
            n7 += w * convert_long8(vload8(0, v7 + pb));
        }
        if (d0 == 0) {
            long4 z4 = z8.lo + z8.hi;
            long2 z2 = z4.lo + z4.hi;
            z = z2.lo + z2.hi;
        }
        long8 acc[8] = {n0, n1, n2, n3, n4, n5, n6, n7};
        for (int k = 0; k < 8 && d0 + k < hs; k++) {
            long4 s4 = acc[k].lo + acc[k].hi;
            out[d0 + k] = (int)ex_rounddiv(s4.x + s4.y + s4.z + s4.w, z); // lmc-exact-2: the Q9 operand
        }
    }
}

// exb_attend() for 4 rows of one window at positions t0 .. t0+3 (queries qr + q * qs), sharing
// each load of K and V between the 4: keys 0..t0+3 are swept once, each row masking the keys past
// its own position (score -2^30 before the max, weight 0 after it), so every row's values are
// exb_attend()'s. e: scratch of 4 (TS + 8) ints; out + q * qs: row q's hs outputs.
// lmc-exact-2: the keys from kb2 (exe2_k_index(); kb unused), the 4 queries' operand pairs held in
// registers for heads of 8 channels.
void exb_attend4(__global const int *restrict blob, __global const int *restrict lay, __global const int *restrict qr,
                 int qs, int t0, int hs, __global const int *restrict kb, __global const int *restrict vb, int TS,
                 __global int *restrict e, int perturb, __global int *restrict out, __global const short *restrict kb2,
                 __global const short *restrict vb2) {
    const long att_m = blob[lay[EX_LAY_ATT_M]];
    const int att_s = blob[lay[EX_LAY_ATT_S]] - 2 * EXB_QS; // q.k of the operands (ex_position())
    const long lim = (long)1 << 30;
    const long8 lane = (long8)(0, 1, 2, 3, 4, 5, 6, 7);
    const int nk = t0 + 4, es = TS + 8;
    __global const int *q0 = qr, *q1 = qr + qs, *q2 = qr + 2 * qs, *q3 = qr + 3 * qs;
    long8 mx0 = (long8)(-lim), mx1 = mx0, mx2 = mx0, mx3 = mx0;
#if EXB_QS
    const int h8 = hs == 8;
    // heads of 8 channels: the scores of exe2_score8() (32-bit lanes where exact), their maxima here
    const int fast = att_s >= 16 && att_s <= 40 && att_m > 0 && att_m < 32768;
    int8 nx0 = (int8)(-(1 << 30)), nx1 = nx0, nx2 = nx0, nx3 = nx0;
    const int16 A0 = exe2_qpair(q0, 0, hs), A1 = exe2_qpair(q0, h8, hs), A2 = exe2_qpair(q0, 2 * h8, hs), A3 = exe2_qpair(q0, 3 * h8, hs);
    const int16 B0 = exe2_qpair(q1, 0, hs), B1 = exe2_qpair(q1, h8, hs), B2 = exe2_qpair(q1, 2 * h8, hs), B3 = exe2_qpair(q1, 3 * h8, hs);
    const int16 C0 = exe2_qpair(q2, 0, hs), C1 = exe2_qpair(q2, h8, hs), C2 = exe2_qpair(q2, 2 * h8, hs), C3 = exe2_qpair(q2, 3 * h8, hs);
    const int16 D0 = exe2_qpair(q3, 0, hs), D1 = exe2_qpair(q3, h8, hs), D2 = exe2_qpair(q3, 2 * h8, hs), D3 = exe2_qpair(q3, 3 * h8, hs);
#endif
    for (int p = 0; p < nk; p += 8) {
        ulong8 d0 = (ulong8)0, d1 = (ulong8)0, d2 = (ulong8)0, d3 = (ulong8)0;
#if EXB_QS
        __global const short *kp = kb2 + 2 * (size_t)p; // channel pair c at kp + c * 2 TS
        if (h8) {
            const size_t c1 = 2 * (size_t)TS, c2 = 4 * (size_t)TS, c3 = 6 * (size_t)TS;
            const int m = (int)att_m;
            nx0 = max(nx0, exe2_score8(exe2_pairs(kp, A0), exe2_pairs(kp + c1, A1), exe2_pairs(kp + c2, A2), exe2_pairs(kp + c3, A3), m,
                                       att_s, fast, p, t0 + 1, e, perturb));
            nx1 = max(nx1, exe2_score8(exe2_pairs(kp, B0), exe2_pairs(kp + c1, B1), exe2_pairs(kp + c2, B2), exe2_pairs(kp + c3, B3), m,
                                       att_s, fast, p, t0 + 2, e + es, perturb));
            nx2 = max(nx2, exe2_score8(exe2_pairs(kp, C0), exe2_pairs(kp + c1, C1), exe2_pairs(kp + c2, C2), exe2_pairs(kp + c3, C3), m,
                                       att_s, fast, p, t0 + 3, e + 2 * es, perturb));
            nx3 = max(nx3, exe2_score8(exe2_pairs(kp, D0), exe2_pairs(kp + c1, D1), exe2_pairs(kp + c2, D2), exe2_pairs(kp + c3, D3), m,
                                       att_s, fast, p, t0 + 4, e + 3 * es, perturb));
            continue;
        } else {
            long8 e0 = (long8)0, e1 = e0, e2 = e0, e3 = e0;
            for (int c = 0; c < (hs + 1) / 2; c++) {
                __global const short *kc = kp + (size_t)c * 2 * TS;
                e0 += exe2_dot(kc, exe2_qpair(q0, c, hs));
                e1 += exe2_dot(kc, exe2_qpair(q1, c, hs));
                e2 += exe2_dot(kc, exe2_qpair(q2, c, hs));
                e3 += exe2_dot(kc, exe2_qpair(q3, c, hs));
            }
            d0 = as_ulong8(e0);
            d1 = as_ulong8(e1);
            d2 = as_ulong8(e2);
            d3 = as_ulong8(e3);
        }
#else
        for (int d = 0; d < hs; d++) {
            ulong8 kv = as_ulong8(convert_long8(vload8(0, kb + (size_t)d * TS + p)));
            d0 += (ulong8)(ulong)(long)q0[d] * kv;
            d1 += (ulong8)(ulong)(long)q1[d] * kv;
            d2 += (ulong8)(ulong)(long)q2[d] * kv;
            d3 += (ulong8)(ulong)(long)q3[d] * kv;
        }
#endif
        long8 pl = lane + (long)p;
        long8 s0 = clamp(as_long8(exb_rs8(d0 * (ulong)att_m, (ulong)att_s, perturb)), (long8)(-lim), (long8)lim);
        long8 s1 = clamp(as_long8(exb_rs8(d1 * (ulong)att_m, (ulong)att_s, perturb)), (long8)(-lim), (long8)lim);
        long8 s2 = clamp(as_long8(exb_rs8(d2 * (ulong)att_m, (ulong)att_s, perturb)), (long8)(-lim), (long8)lim);
        long8 s3 = clamp(as_long8(exb_rs8(d3 * (ulong)att_m, (ulong)att_s, perturb)), (long8)(-lim), (long8)lim);
        s0 = select((long8)(-lim), s0, pl < (long8)(t0 + 1));
        s1 = select((long8)(-lim), s1, pl < (long8)(t0 + 2));
        s2 = select((long8)(-lim), s2, pl < (long8)(t0 + 3));
        s3 = select((long8)(-lim), s3, pl < (long8)(t0 + 4));
        vstore8(convert_int8(s0), 0, e + p);
        vstore8(convert_int8(s1), 0, e + es + p);
        vstore8(convert_int8(s2), 0, e + 2 * es + p);
        vstore8(convert_int8(s3), 0, e + 3 * es + p);
        mx0 = max(mx0, s0);
        mx1 = max(mx1, s1);
        mx2 = max(mx2, s2);
        mx3 = max(mx3, s3);
    }
#if EXB_QS
    mx0 = max(mx0, convert_long8(nx0)); // -2^30 where hs != 8 (the 64-bit lanes' maxima then)
    mx1 = max(mx1, convert_long8(nx1));
    mx2 = max(mx2, convert_long8(nx2));
    mx3 = max(mx3, convert_long8(nx3));
#endif
    long8 mxs[4] = {mx0, mx1, mx2, mx3};
    long z[4];
    const long a0 = blob[lay[EX_LAY_EXP_TAB] - 1]; // as in exb_attend()
    for (int k = 0; k < 4; k++) {
        long4 m4 = max(mxs[k].lo, mxs[k].hi);
        long2 m2 = max(m4.lo, m4.hi);
        long mx = max(m2.lo, m2.hi);
        __global int *ek = e + k * es;
#if EXB_QS
        // lmc-exact-2: the weights (Q15, at most 32767 but in the negative controls) in 32-bit lanes
        // (exe2_weight8(); z per lane < 2^32 as in exd2_attend()), stored as short over the row's
        // first half (bytes 2p .. 2p + 15: scores of keys p / 2 .. p / 2 + 3, already read; as 4 ints:
        // a short8 vstore8 is 8 stores), then 8 zeros, so that the pairs' sweep below reads 16 keys
        // at a time
        uint8 z8 = (uint8)0;
        for (int p = 0; p < nk; p += 8) {
            const int8 s = vload8(0, ek + p);
            uint8 w = (uint8)0;
            if (ex_any_int8((uint8)(uint)mx - as_uint8(s) < (uint8)(uint)a0)) // as in exb_attend()
                w = exe2_weight8(blob, lay, s, (int)mx, p, t0 + 1 + k, perturb);
            z8 += w;
            vstore4(as_int4(convert_short8_sat(w)), 0, ek + p / 2);
        }
        vstore4((int4)0, 0, ek + ((nk + 7) & ~7) / 2);
        z[k] = (long)z8.s0 + z8.s1 + z8.s2 + z8.s3 + z8.s4 + z8.s5 + z8.s6 + z8.s7;
#else
        long8 z8 = (long8)0;
        for (int p = 0; p < nk; p += 8) {
            long8 a = (long8)mx - convert_long8(vload8(0, ek + p));
            if (!ex_any_long8(a < (long8)a0)) { // as in exb_attend()
                vstore8((int8)0, 0, ek + p);
                continue;
            }
            long8 w = select(exb_exp8(blob, lay, a, perturb), (long8)0, lane + (long)p >= (long8)(t0 + 1 + k));
            vstore8(convert_int8(w), 0, ek + p);
            z8 += w;
        }
        long4 z4 = z8.lo + z8.hi;
        long2 z2 = z4.lo + z4.hi;
        z[k] = z2.lo + z2.hi;
#endif
    }
    // out_d = rounddiv(sum_p e_p v_pd, z), 2 channels of the 4 rows per sweep over the keys
#if EXB_QS
    // lmc-exact-2: weights and V both int16, so each pair of keys' two products and their sum fit
    // an int (vpmaddwd on x86; dot2 on GPUs), widened to 64 bits only then: 16 keys per step, the
    // weights' zeros past the row's last key meeting whatever V holds there
    __global const short *ew = (__global const short *)e;
    for (int d0 = 0; d0 < hs; d0 += 2) {
        __global const short *va = vb2 + (size_t)d0 * TS, *vc = vb2 + (size_t)min(d0 + 1, hs - 1) * TS;
        long8 a0 = (long8)0, a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        // the pair sums in split 32-bit accumulators (EXE2_SPLIT_ADD), chunks of 2^20 keys: 2^16
        // steps of 16 keys, one pair sum per lane each, as exe2_split_sum() takes
        for (int k0 = 0; k0 < nk; k0 += 1 << 20) {
            uint8 la0 = (uint8)0, la1 = la0, la2 = la0, la3 = la0, lc0 = la0, lc1 = la0, lc2 = la0, lc3 = la0;
            int8 ha0 = (int8)0, ha1 = ha0, ha2 = ha0, ha3 = ha0, hc0 = ha0, hc1 = ha0, hc2 = ha0, hc3 = ha0;
            const int k1 = min(nk, k0 + (1 << 20));
            for (int p = k0; p < k1; p += 16) {
                const int16 x = convert_int16(vload16(0, va + p)), y = convert_int16(vload16(0, vc + p));
                const int16 e0 = convert_int16(vload16(0, ew + p)), e1 = convert_int16(vload16(0, ew + 2 * es + p));
                const int16 e2 = convert_int16(vload16(0, ew + 4 * es + p)), e3 = convert_int16(vload16(0, ew + 6 * es + p));
                int16 u0 = e0 * x, u1 = e1 * x, u2 = e2 * x, u3 = e3 * x;
                EXE2_SPLIT_ADD(la0, ha0, u0);
                EXE2_SPLIT_ADD(la1, ha1, u1);
                EXE2_SPLIT_ADD(la2, ha2, u2);
                EXE2_SPLIT_ADD(la3, ha3, u3);
                u0 = e0 * y;
                u1 = e1 * y;
                u2 = e2 * y;
                u3 = e3 * y;
                EXE2_SPLIT_ADD(lc0, hc0, u0);
                EXE2_SPLIT_ADD(lc1, hc1, u1);
                EXE2_SPLIT_ADD(lc2, hc2, u2);
                EXE2_SPLIT_ADD(lc3, hc3, u3);
            }
            a0 += exe2_split_sum(la0, ha0);
            a1 += exe2_split_sum(la1, ha1);
            a2 += exe2_split_sum(la2, ha2);
            a3 += exe2_split_sum(la3, ha3);
            c0 += exe2_split_sum(lc0, hc0);
            c1 += exe2_split_sum(lc1, hc1);
            c2 += exe2_split_sum(lc2, hc2);
            c3 += exe2_split_sum(lc3, hc3);
        }
#else
    for (int d0 = 0; d0 < hs; d0 += 2) {
        __global const int *va = vb + (size_t)d0 * TS, *vc = vb + (size_t)min(d0 + 1, hs - 1) * TS;
        long8 a0 = (long8)0, a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int p = 0; p < nk; p += 8) {
            long8 x = convert_long8(vload8(0, va + p)), y = convert_long8(vload8(0, vc + p));
            long8 e0 = convert_long8(vload8(0, e + p)), e1 = convert_long8(vload8(0, e + es + p));
            long8 e2 = convert_long8(vload8(0, e + 2 * es + p)), e3 = convert_long8(vload8(0, e + 3 * es + p));
            a0 += e0 * x;
            a1 += e1 * x;
            a2 += e2 * x;
            a3 += e3 * x;
            c0 += e0 * y;
            c1 += e1 * y;
            c2 += e2 * y;
            c3 += e3 * y;
        }
#endif
        long8 acc[8] = {a0, a1, a2, a3, c0, c1, c2, c3};
        for (int k = 0; k < 8; k++) {
            int row = k & 3, d = d0 + (k >> 2);
            if (d >= hs) continue;
            long4 s4 = acc[k].lo + acc[k].hi;
            long num = s4.x + s4.y + s4.z + s4.w;
            out[row * qs + d] = (int)ex_rounddiv(num, z[row]); // lmc-exact-2: the Q9 operand
        }
    }
}

// Causal attention of rows r < M: item i = b * NH + head for blocks b of 4 rows (rows 4b ..
// 4b+3), work-item gid takes items gid, gid + G, ... (G = the global size). A block of 4
// consecutive positions of one window goes through exb_attend4(), any other (a window's edge, the
// last rows) row by row through exb_attend(). q (M, C); K/V caches as above, positions 0..t of
// the row's window filled; att (M, C). sc: (G, 4 (TS + 8)) scratch, the scores then the weights.
__kernel void exb_attention(__global const int *restrict blob, __global const int *restrict lay,
                            __global const int *restrict q, int M, __global const int2 *restrict rt, int incr,
                            __global const int *restrict kt, __global const int *restrict vt, int base, int ws, int TS,
                            __global int *restrict sc, __global int *restrict att) {
    const int C = lay[EX_LAY_C], NH = lay[EX_LAY_NH], hs = C / NH;
    const int G = (int)get_global_size(0), gid = (int)get_global_id(0);
    __global int *e = sc + (size_t)gid * 4 * (TS + 8);
    const int blocks = (M + 3) / 4;
    for (int i = gid; i < blocks * NH; i += G) {
        int r0 = 4 * (i / NH), hd = i % NH;
        int2 w0 = rt[r0];
        int whole = r0 + 3 < M;
        for (int k = 1; k < 4 && whole; k++) whole = rt[r0 + k].x == w0.x && rt[r0 + k].y == w0.y + k;
        size_t kvo = (size_t)base + (size_t)w0.x * ws + (size_t)hd * hs * TS;
        if (whole) {
            exb_attend4(blob, lay, q + (size_t)r0 * C + hd * hs, C, w0.y, hs, kt + kvo, vt + kvo, TS, e,
                        EXB_PERTURB(w0.x, incr) | EXB_PERTURB_ATTEND4, att + (size_t)r0 * C + hd * hs,
                        (__global const short *)kt + 2 * ((size_t)base + (size_t)w0.x * ws) + (size_t)hd * 2 * ((hs + 1) / 2) * TS,
                        (__global const short *)vt + 2 * ((size_t)base + (size_t)w0.x * ws) + (size_t)hd * hs * TS);
            continue;
        }
        for (int r = r0; r < r0 + 4 && r < M; r++) {
            int2 wt = rt[r];
            size_t o = (size_t)base + (size_t)wt.x * ws + (size_t)hd * hs * TS;
            exb_attend(blob, lay, q + (size_t)r * C + hd * hs, wt.y + 1, hs, kt + o, vt + o, 1, TS, e, EXB_PERTURB(wt.x, incr),
                       att + (size_t)r * C + hd * hs,
                       (__global const short *)kt + 2 * ((size_t)base + (size_t)wt.x * ws) + (size_t)hd * 2 * ((hs + 1) / 2) * TS,
                       (__global const short *)vt + 2 * ((size_t)base + (size_t)wt.x * ws) + (size_t)hd * hs * TS);
        }
    }
}

// ---- Decoding: one launch per step (exb_decode) ----------------------------------------------
//
// Decoding computes one row per unfinished window per step, a few rows at a time, so launches
// rather than arithmetic bound the layered kernels above. exb_decode runs the whole forward pass
// of one row in one work-group (group g: row g), every layer, the layers' phases separated by
// work-group barriers; the work-items of a group share each phase's columns (8 at a time) or
// heads, so any work-group size gives the same values. Per row scratch: h, q, att, tmp, a (C
// each), ff (4C), then NH score rows of TS + 8 ints.

// A decoding linear layer's outputs jh .. jh + n - 1 (n = min(8, N - jh)) into ov from their 64-bit
// sums acc: requantised (+ bias, clamped to +-lim), then gelu (gelu_tab >= 0) or + res[j]
// (res_on), exd_linear()'s rule; 8 lanes at once (exb_requant8(), exb_gelu8()) or, for a
// tensor's last < 8 columns, one by one. Returns n.
__attribute__((always_inline)) int exd_outputs(__global const int *blob, ulong8 acc, int mo, int so, int bo, int jh, int N,
                                               long lim, int gelu_tab, __global const int *res, int res_on, int perturb,
                                               int *ov) {
    if (jh + 8 <= N) {
        int8 o = convert_int8(exb_requant8(blob, acc, mo, so, bo, jh, lim, perturb));
        if (gelu_tab >= 0) o = exb_gelu8(blob, gelu_tab, o, perturb);
        if (res_on) o += vload8(0, res + jh);
        vstore8(o, 0, ov);
        return 8;
    }
    ulong a[8];
    vstore8(acc, 0, a);
    const int n = N - jh;
    for (int c = 0; c < n; c++) {
        int o = exb_requant(blob, a[c], mo, so, bo, jh + c, lim, perturb);
        if (gelu_tab >= 0) o = ex_gelu(blob, gelu_tab, o, perturb);
        if (res_on) o += res[jh + c];
        ov[c] = o;
    }
    return n;
}

// One row's linear layer in a work-group: y[j * ys] for j < N (kv_hs > 0: y is a K or V cache of
// ys positions per channel and heads of kv_hs channels, written at position kv_t, y[exb_kv_index(j,
// kv_t, kv_hs, ys)]), 8 columns per work-item at a time:
// clamp(requant(x . W_j) (+ b_j), lim), then gelu (gelu_tab >= 0) or + res[j] (res_on), as
// exb_linear and exb_linear_ln compute them. The weights (K, N) are read from w16, the int16 copy
// of the blob's I16 tensors at the blob's offsets (wo): the same values in half the bytes. A
// decoding row streams every weight of the model once per step, 3 MB as int32 for 800k and 12.6
// MB for 3.2m, more than a core's L2; the multipliers, shifts and biases stay in the blob.
void exd_linear(__global const int *blob, __global const short *w16, int wo, int mo, int so, int bo, int K, int N,
                __global const int *x, long lim, int gelu_tab, __global const int *res, int res_on, int perturb,
                __global int *y, int ys, int kv_hs, int kv_t) {
    const int lid = (int)get_local_id(0), LS = (int)get_local_size(0);
    // blocks of 8 columns: work-item lid takes blocks lid, lid + LS, ..., two per sweep over x
    for (int b0 = lid; 8 * b0 < N; b0 += 2 * LS) {
        const int ja = 8 * b0, jb = 8 * (b0 + LS) < N ? 8 * (b0 + LS) : ja; // jb = ja: computed, not stored
        __global const short *wa = w16 + wo + ja, *wb = w16 + wo + jb;
        ulong8 a = (ulong8)0, b = (ulong8)0;
        for (int i = 0; i < K; i++) {
            ulong8 xv = (ulong8)(ulong)ex_operand(x[i], EXB_QS);
            a += xv * as_ulong8(convert_long8(vload8(0, wa + (size_t)i * N)));
            b += xv * as_ulong8(convert_long8(vload8(0, wb + (size_t)i * N)));
        }
        for (int hb = 0; hb < 2 && !(hb && jb == ja); hb++) {
            const int jh = hb ? jb : ja;
            int ov[8];
            const int n = exd_outputs(blob, hb ? b : a, mo, so, bo, jh, N, lim, gelu_tab, res, res_on, perturb, ov);
            for (int c = 0; c < n; c++) y[kv_hs > 0 ? exb_kv_index(jh + c, kv_t, kv_hs, ys) : (size_t)(jh + c) * ys] = ov[c];
        }
    }
}

#if EXB_QS
// ---- lmc-exact-2's decoding row: int16 operands multiplied in pairs --------------------------
//
// The operands are int16 (ex_operand()), so two products and their sum fit an int (|sum| <=
// 2 * 32767^2 < 2^31): convert_int16(a) * convert_int16(b) then .even + .odd is one vpmaddwd on
// x86 (pairs of 16-bit products, as GPUs' dot2 paths), and only these pair sums are widened to
// 64 bits and added: exact, so the order and grouping do not change any value. The decoding K/V
// caches hold the operands as short: K in blocks of 8 positions with the head's channels in
// pairs, (NH, TS / 8, hp, 8, 2) with hp = ceil(hs / 2) (a pad channel stays 0), so one short16 is
// 8 keys x 2 channels; V as in lmc-exact-1, (NH, TS / 8, hs, 8) but short, so one short16 is 2
// channels x 8 keys, paired along the keys for sum_p e_p v_pd. Head hd of a layer starts at
// hd * 2 * hp * TS in both. The linear layers read w2, the I16 tensors with rows in pairs:
// element (i, j) of a (K, N) tensor at its blob offset + (i >> 1) * 2N + 2j + (i & 1) (K is even:
// d_model is).

// The offset of channel j at position t in a window's K (kmode 1) or V cache (above).
size_t exd2_kv_index(int j, int t, int hs, int TS, int kmode) {
    const int hd = j / hs, d = j - hd * hs, hp = (hs + 1) / 2;
    const size_t head = (size_t)hd * 2 * hp * TS, blk = (size_t)(t >> 3);
    if (kmode) return head + blk * hp * 16 + (size_t)(d >> 1) * 16 + (size_t)(t & 7) * 2 + (size_t)(d & 1);
    return head + blk * hs * 8 + (size_t)d * 8 + (size_t)(t & 7);
}

// exd_linear() with operand pairs, x (K) the operands (short) of the layer's input: output j
// (clamp(requant(x . W_j) (+ b_j), lim), then gelu (gelu_tab >= 0) or + res[j] (res_on)) to
// omode 0: y[j] (int); 1: yo[j], its operand (short); 2, 3: its operand in the K (2) or V (3) cache
// yo of heads of kv_hs channels, TS positions, at position kv_t (exd2_kv_index()).
void exd2_linear(__global const int *blob, __global const short *w2, int wo, int mo, int so, int bo, int K, int N,
                 __global const short *x, long lim, int gelu_tab, __global const int *res, int res_on, int perturb,
                 __global int *y, __global short *yo, int omode, int kv_hs, int TS, int kv_t) {
    const int lid = (int)get_local_id(0), LS = (int)get_local_size(0);
    for (int b0 = lid; 8 * b0 < N; b0 += 2 * LS) {
        const int ja = 8 * b0, jb = 8 * (b0 + LS) < N ? 8 * (b0 + LS) : ja; // jb = ja: computed, not stored
        __global const short *wa = w2 + wo + 2 * ja, *wb = w2 + wo + 2 * jb;
        long8 a = (long8)0, b = (long8)0;
        for (int i = 0; i < K; i += 2) {
            const short2 xp = vload2(0, x + i);
            const int16 xx = convert_int16((short16)(xp, xp, xp, xp, xp, xp, xp, xp));
            const size_t ro = (size_t)(i >> 1) * 2 * N;
            const int16 pa = convert_int16(vload16(0, wa + ro)) * xx, pb = convert_int16(vload16(0, wb + ro)) * xx;
            a += convert_long8(pa.even + pa.odd);
            b += convert_long8(pb.even + pb.odd);
        }
        for (int hb = 0; hb < 2 && !(hb && jb == ja); hb++) {
            const int jh = hb ? jb : ja;
            int ov[8];
            const int n = exd_outputs(blob, as_ulong8(hb ? b : a), mo, so, bo, jh, N, lim, gelu_tab, res, res_on, perturb, ov);
            if (n == 8 && omode < 2) { // 8 lanes stored at once: 8 ints, or their operands as 4 ints (a short8 vstore8 is 8 stores)
                const int8 o = vload8(0, ov);
                if (omode == 0) vstore8(o, 0, y + jh);
                else vstore4(as_int4(convert_short8(exb_operand8(o))), 0, (__global int *)(yo + jh)); // jh % 8 == 0, yo int-aligned
                continue;
            }
            for (int c = 0; c < n; c++) {
                const int j = jh + c, o = ov[c];
                if (omode == 0) y[j] = o;
                else if (omode == 1) yo[j] = (short)ex_operand(o, EXB_QS);
                else yo[exd2_kv_index(j, kv_t, kv_hs, TS, omode == 2)] = (short)ex_operand(o, EXB_QS);
            }
        }
    }
}

// x (n) -> xo (n): the operands of Q12 values.
void exd2_operands(__global const int *x, int n, __global short *xo) {
    for (int i = (int)get_local_id(0); i < n; i += (int)get_local_size(0)) xo[i] = (short)ex_operand(x[i], EXB_QS);
}

// exb_attend() of one decoding row and head with the caches above (kb, vb: the head's K and V),
// keys 0..nk-1: the scores (Q12) and their max, then per block of 8 keys the weights (Q15,
// ex_attn_weight() by the table) and, for every channel, the pair sums of e_p v_pd. e: scratch of
// nk + 8 ints (the scores; then the weights as short over its first half).
void exd2_attend(__global const int *restrict blob, __global const int *restrict lay, __global const short *restrict qr,
                 int nk, int hs, __global const short *restrict kb, __global const short *restrict vb,
                 __global int *restrict e, int perturb, __global short *restrict out) {
    const long att_m = blob[lay[EX_LAY_ATT_M]];
    const int att_s = blob[lay[EX_LAY_ATT_S]] - 2 * EXB_QS;
    const int lim = 1 << 30;
    const int hp = (hs + 1) / 2;
    const int fast = att_s >= 16 && att_s <= 40 && att_m > 0 && att_m < 32768; // exe2_score8()'s 32-bit lanes
    int8 mx8 = (int8)(-lim);
    // heads of 8 channels (the presets'): the 4 operand pairs of the query held across the keys
    short2 q01 = (short2)0, q23 = q01, q45 = q01, q67 = q01;
    if (hs == 8) {
        q01 = vload2(0, qr);
        q23 = vload2(0, qr + 2);
        q45 = vload2(0, qr + 4);
        q67 = vload2(0, qr + 6);
    }
    const int16 Q01 = convert_int16((short16)(q01, q01, q01, q01, q01, q01, q01, q01));
    const int16 Q23 = convert_int16((short16)(q23, q23, q23, q23, q23, q23, q23, q23));
    const int16 Q45 = convert_int16((short16)(q45, q45, q45, q45, q45, q45, q45, q45));
    const int16 Q67 = convert_int16((short16)(q67, q67, q67, q67, q67, q67, q67, q67));
    for (int p = 0; p < nk; p += 8) {
        __global const short *kp = kb + (size_t)(p >> 3) * hp * 16;
        if (hs == 8) {
            const int16 u0 = convert_int16(vload16(0, kp)) * Q01, u1 = convert_int16(vload16(0, kp + 16)) * Q23;
            const int16 u2 = convert_int16(vload16(0, kp + 32)) * Q45, u3 = convert_int16(vload16(0, kp + 48)) * Q67;
            mx8 = max(mx8, exe2_score8(u0.even + u0.odd, u1.even + u1.odd, u2.even + u2.odd, u3.even + u3.odd, (int)att_m,
                                       att_s, fast, p, nk, e, perturb));
            continue;
        }
        long8 dot = (long8)0;
        for (int c = 0; c < hp; c++) {
            const short2 qp = (short2)(qr[2 * c], 2 * c + 1 < hs ? qr[2 * c + 1] : (short)0);
            const int16 pr = convert_int16(vload16(0, kp + 16 * c)) * convert_int16((short16)(qp, qp, qp, qp, qp, qp, qp, qp));
            dot += convert_long8(pr.even + pr.odd);
        }
        mx8 = max(mx8, convert_int8(exb_score8(as_ulong8(dot), att_m, att_s, p, nk, e, perturb)));
    }
    int4 m4 = max(mx8.lo, mx8.hi);
    int2 m2 = max(m4.lo, m4.hi);
    const long mx = max(m2.lo, m2.hi);
    const long a0 = blob[lay[EX_LAY_EXP_TAB] - 1]; // weights of a >= a0 are 0
    // the weights (Q15) of keys p..p+7 at ew + p (8 shorts), and their sum z: the products below
    // load them as int16, twice over (the 8 keys once for each of a short16's two channels)
    __global short *ew = (__global short *)e;
    // z per lane: at most 2^17 keys (contexts up to 2^20) of weights <= 32767 each, < 2^32
    uint8 z8 = (uint8)0;
    for (int p = 0; p < nk; p += 8) {
        const int8 s = vload8(0, e + p);
        uint8 w = (uint8)0;
        if (ex_any_int8((uint8)(uint)mx - as_uint8(s) < (uint8)(uint)a0)) // else every lane so far below the max that its weight is 0
            w = exe2_weight8(blob, lay, s, (int)mx, p, nk, perturb);
        z8 += w;
        // the identity (<= 32767) but in the negative controls; over bytes 2p .. 2p + 15 of e, scores
        // of keys p / 2 .. p / 2 + 3, already read; as 4 ints: a short8 vstore8 is 8 stores
        vstore4(as_int4(convert_short8_sat(w)), 0, e + p / 2);
    }
    const long z = (long)z8.s0 + z8.s1 + z8.s2 + z8.s3 + z8.s4 + z8.s5 + z8.s6 + z8.s7;
    // channels in groups of 8 (4 short16 loads of V per 8 keys). The pair sums (|e_a v_a + e_b v_b|
    // <= 2 * 32767^2 < 2^31) add in 32-bit lanes, exactly: lo their sum mod 2^32 (wrapping), hi the
    // sum of (pair >> 16), each in [-2^15, 2^15), so at most 2^16 of them (a chunk of 2^19 keys)
    // fit an int; the sum is then hi * 2^16 + r with r the sum of the pairs' low 16 bits, in
    // [0, 2^32) and = lo - hi * 2^16 mod 2^32: one vpaddd, vpsrad, vpaddd per pair sum instead of
    // its widening to 64 bits and two 64-bit adds.
    for (int d0 = 0; d0 < hs; d0 += 8) {
        long8 n0 = (long8)0, n1 = n0, n2 = n0, n3 = n0;
        const int g = min(8, hs - d0); // channels in this group
        for (int c0 = 0; c0 < nk; c0 += 1 << 19) {
            uint8 lo0 = (uint8)0, lo1 = lo0, lo2 = lo0, lo3 = lo0;
            int8 hi0 = (int8)0, hi1 = hi0, hi2 = hi0, hi3 = hi0;
            const int c1 = min(nk, c0 + (1 << 19));
            for (int p = c0; p < c1; p += 8) {
                const short8 w8 = vload8(0, ew + (size_t)p);
                if (!ex_any_short8(w8 != (short8)0)) continue;
                const int16 ww = convert_int16((short16)(w8, w8));
                __global const short *vp = vb + (size_t)(p >> 3) * hs * 8 + (size_t)d0 * 8;
                // channels d0 + 2k, d0 + 2k + 1: lanes 0-3 and 4-7 of n_k (key pairs); past the group: 0
                if (g == 8) {
                    const int16 p0 = convert_int16(vload16(0, vp)) * ww, p1 = convert_int16(vload16(0, vp + 16)) * ww;
                    const int16 p2 = convert_int16(vload16(0, vp + 32)) * ww, p3 = convert_int16(vload16(0, vp + 48)) * ww;
                    EXE2_SPLIT_ADD(lo0, hi0, p0);
                    EXE2_SPLIT_ADD(lo1, hi1, p1);
                    EXE2_SPLIT_ADD(lo2, hi2, p2);
                    EXE2_SPLIT_ADD(lo3, hi3, p3);
                    continue;
                }
                const int16 p0 = convert_int16(vload16(0, vp)) * ww;
                EXE2_SPLIT_ADD(lo0, hi0, p0);
                if (g > 2) {
                    const int16 p1 = convert_int16(vload16(0, vp + 16)) * ww;
                    EXE2_SPLIT_ADD(lo1, hi1, p1);
                }
                if (g > 4) {
                    const int16 p2 = convert_int16(vload16(0, vp + 32)) * ww;
                    EXE2_SPLIT_ADD(lo2, hi2, p2);
                }
                if (g > 6) {
                    const int16 p3 = convert_int16(vload16(0, vp + 48)) * ww;
                    EXE2_SPLIT_ADD(lo3, hi3, p3);
                }
            }
            n0 += exe2_split_sum(lo0, hi0);
            n1 += exe2_split_sum(lo1, hi1);
            n2 += exe2_split_sum(lo2, hi2);
            n3 += exe2_split_sum(lo3, hi3);
        }
        long8 acc[4] = {n0, n1, n2, n3};
        for (int k = 0; k < g; k++) {
            long4 h4 = (k & 1) ? acc[k >> 1].hi : acc[k >> 1].lo;
            out[d0 + k] = (short)ex_rounddiv(h4.x + h4.y + h4.z + h4.w, z); // Q9: Wo's operand
        }
    }
}
#endif

// Rows r < M (one per work-group), all at position t: rt[r].x the row's window; its input byte
// is byte r & 3 of pb's word r >> 2 for the first 64 rows (an argument: no transfer per step),
// rt[r].z for any later one. K/V caches in the blocked layout (TS a multiple of 8), per-layer stride C * TS,
// per-window stride ws; sc: scs ints per row; out (M, 256); w16: the weights as int16 (exd_linear).
__kernel void exb_decode(__global const int *restrict blob, __global const int *restrict lay, __global const int4 *rt, int M,
                         int t, uint16 pb, __global int *kt, __global int *vt, int ws, int TS, __global int *sc, int scs,
                         __global int *out, __global const short *restrict w16, __global const short *restrict w2) {
    const int r = (int)get_group_id(0);
    if (r >= M) return; // the whole group
    const int lid = (int)get_local_id(0), LS = (int)get_local_size(0);
    const int C = lay[EX_LAY_C], L = lay[EX_LAY_L], NH = lay[EX_LAY_NH], hs = C / NH;
    int4 wt = rt[r];
    if (r < 64) {
        uint words[16];
        vstore16(pb, 0, words);
        wt.z = (int)((words[r >> 2] >> (8 * (r & 3))) & 255u);
    }
    const int perturb = EXB_PERTURB(wt.x, 1) | EXB_PERTURB_DECODE;
    __global int *h = sc + (size_t)r * scs, *q = h + C, *att = h + 2 * C, *tmp = h + 3 * C, *a = h + 4 * C;
    __global int *ff = h + 5 * C, *e = h + 9 * C;
    for (int i = lid; i < C; i += LS)
        h[i] = blob[lay[EX_LAY_EMBED] + wt.z * C + i] + blob[lay[EX_LAY_POS] + (size_t)t * C + i];
    barrier(CLK_GLOBAL_MEM_FENCE);
#if EXB_QS
    // lmc-exact-2: q, att, ff as their operands (short, in their int slots), xo (C shorts in ff's
    // slot after its 4C shorts):
    // the operands of h (Wq, Wk, Wv, out.w's input) or a (ffn.w1's); short caches of the operands
    // (exd2_kv_index()), per layer NH * 2 hp * TS of them
    const size_t hstride = (size_t)2 * ((hs + 1) / 2) * TS, lstride = (size_t)NH * hstride;
    __global short *qo = (__global short *)q, *atto = (__global short *)att, *ffo = (__global short *)ff;
    __global short *xo = (__global short *)(ff + 2 * C);
    exd2_operands(h, C, xo);
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int l = 0; l < L; l++) {
        __global const int *ly = lay + EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        __global short *kw = (__global short *)kt + (size_t)l * lstride + (size_t)wt.x * ws;
        __global short *vw = (__global short *)vt + (size_t)l * lstride + (size_t)wt.x * ws;
        exd2_linear(blob, w2, ly[EX_WQ], ly[EX_WQ + 1], ly[EX_WQ + 2], -1, C, C, xo, EX_ACT_LIM, -1, h, 0, perturb, tmp, qo, 1, 0, 0, 0);
        exd2_linear(blob, w2, ly[EX_WK], ly[EX_WK + 1], ly[EX_WK + 2], -1, C, C, xo, EX_ACT_LIM, -1, h, 0, perturb, tmp, kw, 2, hs, TS, t);
        exd2_linear(blob, w2, ly[EX_WV], ly[EX_WV + 1], ly[EX_WV + 2], -1, C, C, xo, EX_ACT_LIM, -1, h, 0, perturb, tmp, vw, 3, hs, TS, t);
        barrier(CLK_GLOBAL_MEM_FENCE);
        for (int hd = lid; hd < NH; hd += LS)
            exd2_attend(blob, lay, qo + hd * hs, t + 1, hs, kw + hd * hstride, vw + hd * hstride, e + (size_t)hd * (TS + 8), perturb,
                        atto + hd * hs);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd2_linear(blob, w2, ly[EX_WO], ly[EX_WO + 1], ly[EX_WO + 2], -1, C, C, atto, EX_ACT_LIM, -1, h, 1, perturb, tmp, qo, 0, 0, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        if (lid == 0) ex_layernorm(blob, tmp, C, ly[EX_LN1_G], ly[EX_LN1_B], perturb, a);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd2_operands(a, C, xo);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd2_linear(blob, w2, ly[EX_W1], ly[EX_W1 + 1], ly[EX_W1 + 2], ly[EX_B1], C, 4 * C, xo, EX_ACT_LIM, lay[EX_LAY_GELU], a, 0,
                    perturb, tmp, ffo, 1, 0, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd2_linear(blob, w2, ly[EX_W2], ly[EX_W2 + 1], ly[EX_W2 + 2], ly[EX_B2], 4 * C, C, ffo, EX_ACT_LIM, -1, a, 1, perturb, tmp,
                    qo, 0, 0, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        if (lid == 0) ex_layernorm(blob, tmp, C, ly[EX_LN2_G], ly[EX_LN2_B], perturb, h);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd2_operands(h, C, xo);
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    exd2_linear(blob, w2, lay[EX_LAY_OUT_W], lay[EX_LAY_OUT_M], lay[EX_LAY_OUT_S], lay[EX_LAY_OUT_B], C, 256, xo, EX_LOGIT_LIM, -1, h,
                0, perturb, out + (size_t)r * 256, qo, 0, 0, 0, 0);
#else
    for (int l = 0; l < L; l++) {
        __global const int *ly = lay + EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        __global int *kw = kt + (size_t)l * C * TS + (size_t)wt.x * ws, *vw = vt + (size_t)l * C * TS + (size_t)wt.x * ws;
        exd_linear(blob, w16, ly[EX_WQ], ly[EX_WQ + 1], ly[EX_WQ + 2], -1, C, C, h, EX_ACT_LIM, -1, h, 0, perturb, q, 1, 0, 0);
        exd_linear(blob, w16, ly[EX_WK], ly[EX_WK + 1], ly[EX_WK + 2], -1, C, C, h, EX_ACT_LIM, -1, h, 0, perturb, kw, TS, hs, t);
        exd_linear(blob, w16, ly[EX_WV], ly[EX_WV + 1], ly[EX_WV + 2], -1, C, C, h, EX_ACT_LIM, -1, h, 0, perturb, vw, TS, hs, t);
        barrier(CLK_GLOBAL_MEM_FENCE);
        for (int hd = lid; hd < NH; hd += LS)
            exb_attend(blob, lay, q + hd * hs, t + 1, hs, kw + (size_t)hd * hs * TS, vw + (size_t)hd * hs * TS, hs, 8,
                       e + (size_t)hd * (TS + 8), perturb, att + hd * hs, (__global const short *)0, (__global const short *)0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd_linear(blob, w16, ly[EX_WO], ly[EX_WO + 1], ly[EX_WO + 2], -1, C, C, att, EX_ACT_LIM, -1, h, 1, perturb, tmp, 1, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        if (lid == 0) ex_layernorm(blob, tmp, C, ly[EX_LN1_G], ly[EX_LN1_B], perturb, a);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd_linear(blob, w16, ly[EX_W1], ly[EX_W1 + 1], ly[EX_W1 + 2], ly[EX_B1], C, 4 * C, a, EX_ACT_LIM, lay[EX_LAY_GELU], a, 0,
                   perturb, ff, 1, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        exd_linear(blob, w16, ly[EX_W2], ly[EX_W2 + 1], ly[EX_W2 + 2], ly[EX_B2], 4 * C, C, ff, EX_ACT_LIM, -1, a, 1, perturb, tmp,
                   1, 0, 0);
        barrier(CLK_GLOBAL_MEM_FENCE);
        if (lid == 0) ex_layernorm(blob, tmp, C, ly[EX_LN2_G], ly[EX_LN2_B], perturb, h);
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    exd_linear(blob, w16, lay[EX_LAY_OUT_W], lay[EX_LAY_OUT_M], lay[EX_LAY_OUT_S], lay[EX_LAY_OUT_B], C, 256, h, EX_LOGIT_LIM, -1,
               h, 0, perturb, out + (size_t)r * 256, 1, 0, 0);
#endif
}

#endif
