// softmax_xent.cl : log-softmax over the 256 byte logits and cross-entropy, forward and backward.
// Twins of lmc_ref_logsoftmax_xent_fwd / _bwd. logits, logp, dlogits (N,V) row-major.
//
// logsoftmax_xent_fwd : one work-item per row: stable log-sum-exp in index order; losses[n] =
//                       -logp[n, target[n]]. The mean loss is summed on the host in double.
// logsoftmax_xent_bwd : one work-item per (n, v): dlogits = dloss * (exp(logp) - onehot).

kernel void logsoftmax_xent_fwd(global float *logp, global float *losses,
                                global const float *logits, global const uchar *targets, int N,
                                int V) {
    int n = (int)get_global_id(0);
    if (n >= N) return;
    global const float *z = logits + n * V;
    global float *lp = logp + n * V;
    float maxv = z[0];
    for (int i = 1; i < V; i++) maxv = fmax(maxv, z[i]);
    float sum = 0.0f;
    for (int i = 0; i < V; i++) sum += exp(z[i] - maxv);
    float lse = maxv + log(sum);
    for (int i = 0; i < V; i++) lp[i] = z[i] - lse;
    losses[n] = -lp[targets[n]];
}

kernel void logsoftmax_xent_bwd(global float *dlogits, global const float *logp,
                                global const uchar *targets, float dloss, int N, int V) {
    int i = (int)get_global_id(0);
    if (i >= N * V) return;
    int n = i / V, v = i % V;
    float p = exp(logp[i]);
    dlogits[i] = (p - (v == (int)targets[n] ? 1.0f : 0.0f)) * dloss;
}
