// probe.cl : the fixed-order dot product that tells whether a device computes float arithmetic
// exactly like the plain-C reference (runtime/device/probe.c, lmc_ref_probe_dot).
//
// NDRange: one work-item per row; global size = rows, any local size. Layout: a (rows, K)
// row-major, b (K), out (rows). Each work-item sums k = 0..K-1 in order, so the result is a
// function of the inputs alone, whatever the work-group size.
//
// probe_dot            : common.cl has FP_CONTRACT OFF, so acc + a*b rounds twice: bit-exact.
// probe_dot_contracted : the negative control. Contraction is allowed here, so a compiler that
//                        fuses a*b+acc into one rounding (PoCL on a CPU with FMA) gives other
//                        bits; a strict one (oclgrind) does not. Never used for coding.

kernel void probe_dot(global const float *a, global const float *b, global float *out, int K) {
    int row = (int)get_global_id(0);
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc = acc + a[row * K + k] * b[k];
    out[row] = acc;
}

kernel void probe_dot_contracted(global const float *a, global const float *b, global float *out,
                                 int K) {
#pragma OPENCL FP_CONTRACT ON
    int row = (int)get_global_id(0);
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc = acc + a[row * K + k] * b[k];
    out[row] = acc;
}
