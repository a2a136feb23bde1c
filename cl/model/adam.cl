// adam.cl : one Adam step (no weight decay), elementwise. Twin of lmc_ref_adam; the host passes
// the bias corrections c1 = 1 - beta1^t and c2 = 1 - beta2^t computed once in double.
// NDRange: one work-item per parameter.

kernel void adam_step(global float *params, global const float *grads, global float *m,
                      global float *v, int n, float lr, float beta1, float beta2, float eps,
                      float c1, float c2) {
    int i = (int)get_global_id(0);
    if (i >= n) return;
    float g = grads[i];
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float mhat = mi / c1;
    float vhat = vi / c2;
    params[i] -= lr * mhat / (sqrt(vhat) + eps);
}
