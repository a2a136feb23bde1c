// attention.cl : the causal softmax of multi-head attention, forward and backward. The matrix
// products around it (scores = q·kᵀ/sqrt(hs), out = att·v and their gradients) are CLBlast
// batched GEMMs, one product per (batch, head) (runtime/train/ops.c, lmc_op_attention_fwd/_bwd);
// together they are the twin of lmc_ref_attention_fwd / _bwd. att and dpre are (B,NH,T,T).
//
// attention_softmax_fwd : one work-item per (b, h, t) row of att, in place: it holds the scaled
//                         scores; entries t2 <= t become a stable softmax, t2 > t (the future,
//                         the causal mask) become 0.
// attention_softmax_bwd : one work-item per row, in place on dpre: it holds datt = dy·vᵀ and
//                         becomes att * (datt - Σ_t2 att datt) for t2 <= t, 0 above. The 1/sqrt(hs)
//                         of the scores is applied by the GEMMs that follow.
// Each work-item reduces its row in index order: no atomics, the same result on every run.

kernel void attention_softmax_fwd(global float *att, int rows, int T) {
    int i = (int)get_global_id(0);
    if (i >= rows) return;
    int t = i % T;
    global float *a = att + (long)i * T;
    float maxv = -INFINITY;
    for (int t2 = 0; t2 <= t; t2++) maxv = fmax(maxv, a[t2]);
    float sum = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) {
        a[t2] = exp(a[t2] - maxv);
        sum += a[t2];
    }
    float inv = 1.0f / sum;
    for (int t2 = 0; t2 < T; t2++) a[t2] = t2 <= t ? a[t2] * inv : 0.0f;
}

kernel void attention_softmax_bwd(global float *dpre, global const float *att, int rows, int T) {
    int i = (int)get_global_id(0);
    if (i >= rows) return;
    int t = i % T;
    global const float *a = att + (long)i * T;
    global float *d = dpre + (long)i * T;
    float dot = 0.0f;
    for (int t2 = 0; t2 <= t; t2++) dot += a[t2] * d[t2];
    for (int t2 = 0; t2 < T; t2++) d[t2] = t2 <= t ? a[t2] * (d[t2] - dot) : 0.0f;
}
