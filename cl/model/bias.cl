// bias.cl : bias and residual helpers around the CLBlast matrix products. Twins of the bias part
// of lmc_ref_matmul_fwd / _bwd and of the residual adds in lmc_ref_forward.
//
// bias_add  : one work-item per (n, o): out[n,o] += bias[o].
// bias_grad : one work-item per column o: dbias[o] += Σ_n dout[n,o] in row order (no atomics).
// add_inplace : one work-item per element: y += x.

kernel void bias_add(global float *out, global const float *bias, int N, int OC) {
    int i = (int)get_global_id(0);
    if (i >= N * OC) return;
    out[i] += bias[i % OC];
}

kernel void bias_grad(global float *dbias, global const float *dout, int N, int OC) {
    int o = (int)get_global_id(0);
    if (o >= OC) return;
    float acc = dbias[o];
    for (int n = 0; n < N; n++) acc += dout[n * OC + o];
    dbias[o] = acc;
}

kernel void add_inplace(global float *y, global const float *x, int n) {
    int i = (int)get_global_id(0);
    if (i >= n) return;
    y[i] += x[i];
}
