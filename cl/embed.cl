// embed.cl : token embedding plus positions, forward and backward. Twins of lmc_ref_embed_fwd /
// lmc_ref_embed_bwd (runtime/ref/ref_model.c); layout (B,T,C) row-major, N = B*T rows.
//
// embed_fwd : one work-item per (n, c); out[n,c] = embed[in[n],c] * sqrt(C) + pos[t,c].
// embed_bwd : one work-item per (v, c) of the (V,C) gradient; it walks n = 0..N-1 in order and
//             adds the rows whose input byte is v: no atomics, the same order on every run.

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
    int i = (int)get_global_id(0);
    if (i >= 256 * C) return;
    int v = i / C, c = i % C;
    float s = sqrt((float)C);
    float acc = dembed[i];
    for (int n = 0; n < N; n++)
        if ((int)in[n] == v) acc += dout[n * C + c] * s;
    dembed[i] = acc;
}
