// attention_fused.cl : causal multi-head attention without the (T,T) score matrix, forward and
// backward; the twin of lmc_ref_attention_fwd / _bwd (runtime/train/ops.c, lmc_op_attention_fused_*).
// q, k, v, out, dq, dk, dv are (B,T,C); head h of row (b,t) is the HS floats at (b*T+t)*C + h*HS.
// HS (the head width) comes from the preamble. lse and dsum are (B,NH,T).
//
// attention_fused_fwd : one work-item per query (b,h,t). It walks the keys 0..t in blocks of 8
//     with an online softmax (running max m, running sum l, rescaled accumulator), writes
//     out = Σ p·v / l and lse = m + log(l), the log of the softmax denominator of its row.
// attention_fused_bwd_q : one work-item per query; recomputes p_tj = exp(s_tj - lse_t) and writes
//     dsum_t = dout_t·out_t (= Σ_j p_tj dp_tj), then dq_t += scale Σ_j p_tj (dp_tj - dsum_t) k_j
//     with dp_tj = dout_t·v_j.
// attention_fused_bwd_kv : one work-item per key (b,h,j), after bwd_q; walks the queries j..T-1:
//     dk_j += scale Σ_t ds_tj q_t, dv_j += Σ_t p_tj dout_t.
// Each work-item sums in a fixed order of its own (blocks of 8, lanes added in order 0..7): no
// atomics, the same result on every run. Scores are s = scale · q·k with scale = 1/sqrt(HS).

#define KB 8

// the 8 scores q·k_j (j = j0..j0+7) of one query, lanes past `last` masked to -INFINITY
static inline float8 scores8(const float *qr, global const float *k, long kbase, int C, int j0, int last,
                             float scale) {
    float8 s = (float8)(0.0f);
    for (int d = 0; d < HS; d++) {
        float8 kd;
        kd.s0 = k[kbase + (long)min(j0 + 0, last) * C + d];
        kd.s1 = k[kbase + (long)min(j0 + 1, last) * C + d];
        kd.s2 = k[kbase + (long)min(j0 + 2, last) * C + d];
        kd.s3 = k[kbase + (long)min(j0 + 3, last) * C + d];
        kd.s4 = k[kbase + (long)min(j0 + 4, last) * C + d];
        kd.s5 = k[kbase + (long)min(j0 + 5, last) * C + d];
        kd.s6 = k[kbase + (long)min(j0 + 6, last) * C + d];
        kd.s7 = k[kbase + (long)min(j0 + 7, last) * C + d];
        s = fma((float8)(qr[d]), kd, s);
    }
    s *= scale;
    int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7) + (int8)(j0);
    return select(s, (float8)(-INFINITY), lane > (int8)(last));
}

static inline float lane(float8 x, int i) {
    switch (i) {
    case 0: return x.s0;
    case 1: return x.s1;
    case 2: return x.s2;
    case 3: return x.s3;
    case 4: return x.s4;
    case 5: return x.s5;
    case 6: return x.s6;
    default: return x.s7;
    }
}

static inline float8 lane_set(float8 x, int i, float f) {
    switch (i) {
    case 0: x.s0 = f; break;
    case 1: x.s1 = f; break;
    case 2: x.s2 = f; break;
    case 3: x.s3 = f; break;
    case 4: x.s4 = f; break;
    case 5: x.s5 = f; break;
    case 6: x.s6 = f; break;
    default: x.s7 = f; break;
    }
    return x;
}

static inline float hsum8(float8 x) {
    return ((x.s0 + x.s1) + (x.s2 + x.s3)) + ((x.s4 + x.s5) + (x.s6 + x.s7));
}

static inline float hmax8(float8 x) {
    float4 a = fmax(x.lo, x.hi);
    float2 b = fmax(a.lo, a.hi);
    return fmax(b.x, b.y);
}

kernel void attention_fused_fwd(global float *out, global float *lse, global const float *q,
                                global const float *k, global const float *v, int B, int T, int C,
                                int NH, float scale) {
    int gid = (int)get_global_id(0);
    if (gid >= B * NH * T) return;
    int t = gid % T, bh = gid / T, h = bh % NH, b = bh / NH;
    long base = (long)b * T * C + (long)h * HS; // head h of row 0 of window b
    float qr[HS], acc[HS];
    for (int d = 0; d < HS; d++) {
        qr[d] = q[base + (long)t * C + d];
        acc[d] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int j0 = 0; j0 <= t; j0 += KB) {
        float8 s = scores8(qr, k, base, C, j0, t, scale);
        float mnew = fmax(m, hmax8(s));
        float corr = exp(m - mnew); // exp(-inf) = 0 on the first block
        float8 p = exp(s - (float8)(mnew));
        l = l * corr + hsum8(p);
        for (int d = 0; d < HS; d++) acc[d] *= corr;
        int n = min(KB, t - j0 + 1);
        for (int i = 0; i < n; i++) {
            float pi = lane(p, i);
            global const float *vr = v + base + (long)(j0 + i) * C;
            for (int d = 0; d < HS; d++) acc[d] = fma(pi, vr[d], acc[d]);
        }
        m = mnew;
    }
    float inv = 1.0f / l;
    for (int d = 0; d < HS; d++) out[base + (long)t * C + d] = acc[d] * inv;
    lse[gid] = m + log(l);
}

kernel void attention_fused_bwd_q(global float *dq, global float *dsum, global const float *dout,
                                  global const float *out, global const float *lse, global const float *q,
                                  global const float *k, global const float *v, int B, int T, int C, int NH,
                                  float scale) {
    int gid = (int)get_global_id(0);
    if (gid >= B * NH * T) return;
    int t = gid % T, bh = gid / T, h = bh % NH, b = bh / NH;
    long base = (long)b * T * C + (long)h * HS;
    float qr[HS], dor[HS], g[HS];
    float D = 0.0f;
    for (int d = 0; d < HS; d++) {
        qr[d] = q[base + (long)t * C + d];
        dor[d] = dout[base + (long)t * C + d];
        D = fma(dor[d], out[base + (long)t * C + d], D);
        g[d] = 0.0f;
    }
    dsum[gid] = D;
    float L = lse[gid];
    for (int j0 = 0; j0 <= t; j0 += KB) {
        float8 s = scores8(qr, k, base, C, j0, t, scale);
        float8 p = exp(s - (float8)(L));
        float8 dp = scores8(dor, v, base, C, j0, t, 1.0f);
        int8 valid = (int8)(0, 1, 2, 3, 4, 5, 6, 7) + (int8)(j0) <= (int8)(t);
        float8 ds = select((float8)(0.0f), p * (dp - (float8)(D)), valid);
        int n = min(KB, t - j0 + 1);
        for (int i = 0; i < n; i++) {
            float dsi = lane(ds, i);
            global const float *kr = k + base + (long)(j0 + i) * C;
            for (int d = 0; d < HS; d++) g[d] = fma(dsi, kr[d], g[d]);
        }
    }
    for (int d = 0; d < HS; d++) dq[base + (long)t * C + d] += scale * g[d];
}

kernel void attention_fused_bwd_kv(global float *dk, global float *dv, global const float *dout,
                                   global const float *dsum, global const float *lse, global const float *q,
                                   global const float *k, global const float *v, int B, int T, int C, int NH,
                                   float scale) {
    int gid = (int)get_global_id(0);
    if (gid >= B * NH * T) return;
    int j = gid % T, bh = gid / T, h = bh % NH, b = bh / NH;
    long base = (long)b * T * C + (long)h * HS;
    global const float *stat = lse + (long)bh * T, *dstat = dsum + (long)bh * T;
    float kr[HS], vr[HS], gk[HS], gv[HS];
    for (int d = 0; d < HS; d++) {
        kr[d] = k[base + (long)j * C + d];
        vr[d] = v[base + (long)j * C + d];
        gk[d] = gv[d] = 0.0f;
    }
    // queries t = j..T-1 in blocks of 8; scores8 with the roles of q and k swapped gives k_j·q_t
    for (int t0 = j; t0 < T; t0 += KB) {
        int last = T - 1;
        float8 s = scores8(kr, q, base, C, t0, last, scale);
        float8 dp = scores8(vr, dout, base, C, t0, last, 1.0f);
        float8 st = (float8)(0.0f), dst = (float8)(0.0f);
        for (int i = 0; i < KB; i++) {
            int t = min(t0 + i, last);
            st = lane_set(st, i, stat[t]);
            dst = lane_set(dst, i, dstat[t]);
        }
        int8 valid = (int8)(0, 1, 2, 3, 4, 5, 6, 7) + (int8)(t0) <= (int8)(last);
        float8 p = exp(s - st); // masked lanes: s = -inf, p = 0
        float8 ds = select((float8)(0.0f), p * (dp - dst), valid);
        int n = min(KB, T - t0);
        for (int i = 0; i < n; i++) {
            float pi = lane(p, i), dsi = lane(ds, i);
            global const float *qr = q + base + (long)(t0 + i) * C, *dr = dout + base + (long)(t0 + i) * C;
            for (int d = 0; d < HS; d++) {
                gk[d] = fma(dsi, qr[d], gk[d]);
                gv[d] = fma(pi, dr[d], gv[d]);
            }
        }
    }
    for (int d = 0; d < HS; d++) {
        dk[base + (long)j * C + d] += scale * gk[d];
        dv[base + (long)j * C + d] += gv[d];
    }
}
