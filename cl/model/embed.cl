// embed.cl : token embedding plus positions, forward and backward. Twins of lmc_ref_embed_fwd /
// lmc_ref_embed_bwd (runtime/ref/ref_model.c); layout (B,T,C) row-major, N = B*T rows.
//
// embed_fwd : one work-item per (n, c); out[n,c] = embed[in[n],c] * sqrt(C) + pos[t,c].
// embed_bwd : one work-item per column c; it walks n = 0..N-1 in order and adds row n into the
//             row of its input byte. A work-item owns column c of every row of dembed, so no two
//             work-items touch the same element: no atomics, the same order on every run, O(N*C).

kernel void embed_fwd(global float *out, global const uchar *in, global const float *embed,
                      global const float *pos, int T, int C, int NC) {
    int i = (int)get_global_id(0);
    if (i >= NC) return;
    int n = i / C, c = i % C;
    int t = n % T;
    float s = sqrt((float)C);
    out[i] = embed[(int)in[n] * C + c] * s + pos[t * C + c];
}

kernel void embed_bwd(global float *dembed, global const float *dout, global const uchar *in,
                      int N, int C) {
    int c = (int)get_global_id(0);
    if (c >= C) return;
    float s = sqrt((float)C);
    for (int n = 0; n < N; n++) dembed[(int)in[n] * C + c] += dout[n * C + c] * s;
}
