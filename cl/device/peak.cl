// peak.cl : the device's peak float rate and memory bandwidth, for `lmc bench train` (cli/cmd_bench.c).
// fma_peak : one work-item runs `iters` rounds of 8 independent float16 FMA chains (8 chains hide
// the FMA latency; float16 fills the widest vector unit PoCL targets), 2*16*8 flops a round, and
// writes one sum so the compiler keeps the work. Global size: a few work-items per core.
kernel void fma_peak(global float *out, int iters, float x) {
    float16 a0 = (float16)(x), a1 = a0 + 1.0f, a2 = a0 + 2.0f, a3 = a0 + 3.0f;
    float16 a4 = a0 + 4.0f, a5 = a0 + 5.0f, a6 = a0 + 6.0f, a7 = a0 + 7.0f;
    float16 m = (float16)(0.999999f), c = (float16)(1e-7f) * (float)get_global_id(0);
    for (int i = 0; i < iters; i++) {
        a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
        a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    }
    float16 s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    out[get_global_id(0)] = s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7 + s.s8 + s.s9 + s.sa + s.sb +
                            s.sc + s.sd + s.se + s.sf;
}

// stream_triad : a = b + s·c over float4s, one work-item per float4 (STREAM's triad): the device's
// memory bandwidth, 3 × 16 bytes moved a work-item, for `lmc bench train`'s GB/s peak. The host
// makes the arrays much larger than the last-level cache.
kernel void stream_triad(global float4 *a, global const float4 *b, global const float4 *c, float s) {
    size_t i = get_global_id(0);
    a[i] = b[i] + s * c[i];
}
