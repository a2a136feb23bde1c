// layernorm.cl : layer norm (scale and offset, eps 1e-5, variance = mean of squared deviations),
// forward and backward. Twins of lmc_ref_layernorm_fwd / _bwd; rows of C floats, N rows.
//
// layernorm_fwd        : one work-item per row; sums in index order like the reference.
// layernorm_bwd_dx     : one work-item per row; dinp (N,C) += ... (accumulates, as the ref).
// layernorm_bwd_params : one work-item per column c; dscale[c], doffset[c] += over rows in order.

kernel void layernorm_fwd(global float *out, global float *mean, global float *rstd,
                          global const float *inp, global const float *scale,
                          global const float *offset, int N, int C) {
    int n = (int)get_global_id(0);
    if (n >= N) return;
    global const float *x = inp + n * C;
    global float *y = out + n * C;
    float m = 0.0f;
    for (int c = 0; c < C; c++) m += x[c];
    m /= (float)C;
    float var = 0.0f;
    for (int c = 0; c < C; c++) {
        float d = x[c] - m;
        var += d * d;
    }
    var /= (float)C;
    float r = 1.0f / sqrt(var + 1e-5f);
    for (int c = 0; c < C; c++) y[c] = (x[c] - m) * r * scale[c] + offset[c];
    mean[n] = m;
    rstd[n] = r;
}

kernel void layernorm_bwd_dx(global float *dinp, global const float *dout, global const float *inp,
                             global const float *scale, global const float *mean,
                             global const float *rstd, int N, int C) {
    int n = (int)get_global_id(0);
    if (n >= N) return;
    global const float *dy = dout + n * C;
    global const float *x = inp + n * C;
    global float *dx = dinp + n * C;
    float m = mean[n], r = rstd[n];
    float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
    for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * r;
        float dnorm = scale[c] * dy[c];
        dnorm_mean += dnorm;
        dnorm_norm_mean += dnorm * norm;
    }
    dnorm_mean /= (float)C;
    dnorm_norm_mean /= (float)C;
    for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * r;
        float dnorm = scale[c] * dy[c];
        dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * r;
    }
}

kernel void layernorm_bwd_params(global float *dscale, global float *doffset,
                                 global const float *dout, global const float *inp,
                                 global const float *mean, global const float *rstd, int N, int C) {
    int c = (int)get_global_id(0);
    if (c >= C) return;
    float ds = dscale[c], dof = doffset[c];
    for (int n = 0; n < N; n++) {
        float dy = dout[n * C + c];
        float norm = (inp[n * C + c] - mean[n]) * rstd[n];
        dof += dy;
        ds += norm * dy;
    }
    dscale[c] = ds;
    doffset[c] = dof;
}
