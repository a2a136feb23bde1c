// attention.cl : causal multi-head attention core (after the q/k/v projections, before wo),
// forward and backward. Twins of lmc_ref_attention_fwd / _bwd. q, k, v, out (B,T,C) with NH
// heads of hs = C/NH; att and dpre (B,NH,T,T), zero above the diagonal.
//
// attention_fwd      : one work-item per (b, h, t) query row: scores over t2 <= t scaled by
//                      1/sqrt(hs), stable softmax (the causal mask), out = att · v.
// attention_bwd_rows : one work-item per (b, h, t): datt = dy · v, dpre = att (datt - Σ att datt)
//                      / sqrt(hs) stored, dq[t] += Σ_t2 dpre k[t2].
// attention_bwd_cols : one work-item per (b, h, t2): dk[t2] += Σ_{t>=t2} dpre q[t] and
//                      dv[t2] += Σ_{t>=t2} att dy[t], in increasing t. No atomics anywhere.

kernel void attention_fwd(global float *out, global float *att, global const float *q,
                          global const float *k, global const float *v, int B, int T, int C,
                          int NH) {
    int i = (int)get_global_id(0);
    if (i >= B * NH * T) return;
    int t = i % T, h = (i / T) % NH, b = i / (T * NH);
    int hs = C / NH;
    float scale = 1.0f / sqrt((float)hs);
    global const float *qt = q + (b * T + t) * C + h * hs;
    global float *a = att + i * T;
    float maxv = -INFINITY;
    for (int t2 = 0; t2 <= t; t2++) {
        global const float *kt = k + (b * T + t2) * C + h * hs;
        float s = 0.0f;
        for (int j = 0; j < hs; j++) s += qt[j] * kt[j];
        s *= scale;
        a[t2] = s;
        maxv = fmax(maxv, s);
    }
    float sum = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) {
        a[t2] = exp(a[t2] - maxv);
        sum += a[t2];
    }
    float inv = 1.0f / sum;
    for (int t2 = 0; t2 < T; t2++) a[t2] = t2 <= t ? a[t2] * inv : 0.0f;
    global float *o = out + (b * T + t) * C + h * hs;
    for (int j = 0; j < hs; j++) {
        float acc = 0.0f;
        for (int t2 = 0; t2 <= t; t2++) acc += a[t2] * v[(b * T + t2) * C + h * hs + j];
        o[j] = acc;
    }
}

kernel void attention_bwd_rows(global float *dq, global float *dpre, global const float *dout,
                               global const float *k, global const float *v,
                               global const float *att, int B, int T, int C, int NH) {
    int i = (int)get_global_id(0);
    if (i >= B * NH * T) return;
    int t = i % T, h = (i / T) % NH, b = i / (T * NH);
    int hs = C / NH;
    float scale = 1.0f / sqrt((float)hs);
    global const float *a = att + i * T;
    global float *dp = dpre + i * T;
    global const float *dy = dout + (b * T + t) * C + h * hs;
    float dot = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) {
        global const float *vt = v + (b * T + t2) * C + h * hs;
        float s = 0.0f;
        for (int j = 0; j < hs; j++) s += dy[j] * vt[j];
        dp[t2] = s; /* datt for now */
        dot += a[t2] * s;
    }
    for (int t2 = 0; t2 < T; t2++) dp[t2] = t2 <= t ? a[t2] * (dp[t2] - dot) * scale : 0.0f;
    global float *dqt = dq + (b * T + t) * C + h * hs;
    for (int j = 0; j < hs; j++) {
        float acc = dqt[j];
        for (int t2 = 0; t2 <= t; t2++) acc += dp[t2] * k[(b * T + t2) * C + h * hs + j];
        dqt[j] = acc;
    }
}

kernel void attention_bwd_cols(global float *dk, global float *dv, global const float *dpre,
                               global const float *dout, global const float *q,
                               global const float *att, int B, int T, int C, int NH) {
    int i = (int)get_global_id(0);
    if (i >= B * NH * T) return;
    int t2 = i % T, h = (i / T) % NH, b = i / (T * NH);
    int hs = C / NH;
    int row0 = (b * NH + h) * T; /* att row of (b, h, t) is row0 + t */
    global float *dkt = dk + (b * T + t2) * C + h * hs;
    global float *dvt = dv + (b * T + t2) * C + h * hs;
    for (int j = 0; j < hs; j++) {
        float ak = dkt[j], av = dvt[j];
        for (int t = t2; t < T; t++) {
            float p = dpre[(row0 + t) * T + t2];
            float w = att[(row0 + t) * T + t2];
            ak += p * q[(b * T + t) * C + h * hs + j];
            av += w * dout[(b * T + t) * C + h * hs + j];
        }
        dkt[j] = ak;
        dvt[j] = av;
    }
}
