// gelu.cl : GELU, tanh form, forward and backward, elementwise. Twins of lmc_ref_gelu_fwd / _bwd.
// NDRange: one work-item per element, n elements.

#define GELU_K 0.7978845608028654f

kernel void gelu_fwd(global float *out, global const float *inp, int n) {
    int i = (int)get_global_id(0);
    if (i >= n) return;
    float x = inp[i];
    float u = GELU_K * (x + 0.044715f * x * x * x);
    out[i] = 0.5f * x * (1.0f + tanh(u));
}

// dinp += gelu'(inp) * dout
kernel void gelu_bwd(global float *dinp, global const float *inp, global const float *dout, int n) {
    int i = (int)get_global_id(0);
    if (i >= n) return;
    float x = inp[i];
    float u = GELU_K * (x + 0.044715f * x * x * x);
    float th = tanh(u);
    float sech2 = 1.0f - th * th;
    float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
    float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
    dinp[i] += grad * dout[i];
}
