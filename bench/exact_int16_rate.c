/* exact_int16_rate.c : what int16 activations would cost a coding model in compression (the rate
 * side of a future lmc-exact-2; docs/performance.md, "The rate side of lmc-exact-2").
 *
 * Runs ex_position()'s arithmetic (cl/exact/exact.cl, lmc-exact-1, on the CPU) over the first
 * BYTES bytes of FILE in windows of the model's context, with one change when K > 0: every
 * activation that enters a product (the embedding sum, each LayerNorm output, q, k, v, attention's
 * output, GELU's output) is rounded to a multiple of 2^K of its Q12 value (halves up) and clamped
 * to +-32767 * 2^K, so that it is an int16 of resolution 2^-(12-K). K = -1 instead clamps the Q12
 * values to +-32767 (int16 without a coarser grid). Prints the code length, -log2 of
 * lmc_quantize_row()'s frequency of each byte (the coder's own table), in bits per byte, and the
 * share of values the clamp changed. Not built by CMake (an analysis probe, not part of lmc):
 *
 *   cmake --build build && gcc -O2 -Iruntime/exact -Iinclude -Icl/exact bench/exact_int16_rate.c \
 *     -Wl,--start-group $(find build -name '*.a' ! -path '*test*') -Wl,--end-group \
 *     -lOpenCL -lpthread -lm -o build/exact_int16_rate
 *   build/exact_int16_rate models/200k.exact.safetensors \
 *     ../shared/data/text/eval/enwik8_bytes_2604491-4154399.xml 65536 4
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "exact_internal.h"
#include "lmc/codec.h"

static long long g_clamped, g_values;

/* x (n) onto the int16 grid of K (see above); K = 0 leaves it as it is. */
static void to_int16_grid(ex_i32 *x, int n, int k) {
    if (k == 0) return;
    const long long step = k > 0 ? 1LL << k : 1, top = 32767LL * step;
    for (int i = 0; i < n; i++) {
        long long v = x[i];
        if (k > 0) v = (long long)floor(((double)v + (double)(step / 2)) / (double)step) * step;
        if (v > top || v < -top) {
            v = v > top ? top : -top;
            g_clamped++;
        }
        g_values++;
        x[i] = (ex_i32)v;
    }
}

/* ex_position() (cl/exact/exact.cl) with to_int16_grid() on the inputs of every product. */
static void position(const ex_i32 *blob, const ex_i32 *lay, ex_i32 *kv, ex_i32 *sc, int t, int byte, int k,
                     ex_i32 *row) {
    const int C = lay[EX_LAY_C], L = lay[EX_LAY_L], NH = lay[EX_LAY_NH], T = lay[EX_LAY_T], hs = C / NH;
    ex_i32 *h = sc, *q = sc + C, *att = sc + 2 * C, *tmp = sc + 3 * C, *a = sc + 4 * C, *ff = sc + 5 * C,
           *e = sc + 9 * C;
    for (int i = 0; i < C; i++)
        h[i] = blob[lay[EX_LAY_EMBED] + byte * C + i] + blob[lay[EX_LAY_POS] + (size_t)t * C + i];
    to_int16_grid(h, C, k);
    for (int l = 0; l < L; l++) {
        const ex_i32 *ly = lay + EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        ex_i32 *kc = kv + (size_t)l * T * C, *vc = kv + ((size_t)L + l) * T * C;
        ex_linear(blob, h, C, C, ly[EX_WQ], ly[EX_WQ + 1], ly[EX_WQ + 2], -1, EX_ACT_LIM, 0, 0, 0, q);
        ex_linear(blob, h, C, C, ly[EX_WK], ly[EX_WK + 1], ly[EX_WK + 2], -1, EX_ACT_LIM, 0, 0, 0,
                  kc + (size_t)t * C);
        ex_linear(blob, h, C, C, ly[EX_WV], ly[EX_WV + 1], ly[EX_WV + 2], -1, EX_ACT_LIM, 0, 0, 0,
                  vc + (size_t)t * C);
        to_int16_grid(q, C, k);
        to_int16_grid(kc + (size_t)t * C, C, k);
        to_int16_grid(vc + (size_t)t * C, C, k);
        for (int hd = 0; hd < NH; hd++) {
            ex_i64 mx = 0;
            for (int p = 0; p <= t; p++) {
                ex_u64 dot = 0;
                for (int d = 0; d < hs; d++)
                    dot += (ex_u64)(ex_i64)q[hd * hs + d] * (ex_u64)(ex_i64)kc[(size_t)p * C + hd * hs + d];
                ex_i64 s = ex_round_shift((ex_i64)(dot * (ex_u64)(ex_i64)blob[lay[EX_LAY_ATT_M]]),
                                          blob[lay[EX_LAY_ATT_S]], 0);
                s = ex_clamp(s, (ex_i64)1 << 30);
                e[p] = (ex_i32)s;
                if (p == 0 || s > mx) mx = s;
            }
            ex_i64 z = 0;
            for (int p = 0; p <= t; p++) {
                ex_i64 w = ex_exp(blob, lay[EX_LAY_EXP_HI], lay[EX_LAY_EXP_LO], e[p] - mx, 0);
                e[p] = (ex_i32)w;
                z += w;
            }
            for (int d = 0; d < hs; d++) {
                ex_i64 num = 0;
                for (int p = 0; p <= t; p++) num += (ex_i64)e[p] * vc[(size_t)p * C + hd * hs + d];
                att[hd * hs + d] = (ex_i32)ex_rounddiv(num, z);
            }
        }
        to_int16_grid(att, C, k);
        ex_linear(blob, att, C, C, ly[EX_WO], ly[EX_WO + 1], ly[EX_WO + 2], -1, EX_ACT_LIM, 0, 0, 0, tmp);
        for (int i = 0; i < C; i++) tmp[i] += h[i];
        ex_layernorm(blob, tmp, C, ly[EX_LN1_G], ly[EX_LN1_B], 0, a);
        to_int16_grid(a, C, k);
        ex_linear(blob, a, C, 4 * C, ly[EX_W1], ly[EX_W1 + 1], ly[EX_W1 + 2], ly[EX_B1], EX_ACT_LIM, 0, 0, 0, ff);
        for (int i = 0; i < 4 * C; i++) ff[i] = ex_gelu(blob, lay[EX_LAY_GELU], ff[i], 0);
        to_int16_grid(ff, 4 * C, k);
        ex_linear(blob, ff, 4 * C, C, ly[EX_W2], ly[EX_W2 + 1], ly[EX_W2 + 2], ly[EX_B2], EX_ACT_LIM, 0, 0, 0, tmp);
        for (int i = 0; i < C; i++) tmp[i] += a[i];
        ex_layernorm(blob, tmp, C, ly[EX_LN2_G], ly[EX_LN2_B], 0, h);
        to_int16_grid(h, C, k);
    }
    ex_linear(blob, h, C, 256, lay[EX_LAY_OUT_W], lay[EX_LAY_OUT_M], lay[EX_LAY_OUT_S], lay[EX_LAY_OUT_B],
              EX_LOGIT_LIM, 0, 0, 0, row);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CODING_MODEL FILE BYTES K   (K = 0: lmc-exact-1 as it is)\n", argv[0]);
        return 2;
    }
    lmc_exact_model *m = NULL;
    if (lmc_exact_model_load(argv[1], &m) != LMC_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], lmc_last_error());
        return 1;
    }
    const size_t want = strtoul(argv[3], NULL, 10);
    const int k = atoi(argv[4]);
    FILE *f = fopen(argv[2], "rb");
    unsigned char *buf = malloc(want ? want : 1);
    if (!f || !buf || k < -1 || k > 8) {
        fprintf(stderr, "%s: cannot read, or K not in -1..8\n", argv[2]);
        return 1;
    }
    const size_t n = fread(buf, 1, want, f);
    fclose(f);
    const int C = m->lay[EX_LAY_C], L = m->lay[EX_LAY_L], T = m->lay[EX_LAY_T];
    ex_i32 *kv = calloc((size_t)2 * L * T * C, sizeof *kv), *sc = calloc((size_t)9 * C + T + 8, sizeof *sc),
           row[256];
    if (!kv || !sc) return 1;
    double bits = 0;
    for (size_t i = 0; i < n; i++) {
        const int t = (int)(i % (size_t)T); /* windows of the context, each from an empty history */
        position(m->blob, m->lay, kv, sc, t, t ? buf[i - 1] : 0, k, row);
        uint32_t freq[256];
        lmc_quantize_row(row, freq);
        bits -= log2((double)freq[buf[i]] / LMC_FREQ_TOTAL);
    }
    printf("K %d: %zu bytes, %.5f bits/byte, clamped %.6f%% of %lld values\n", k, n,
           n ? bits / (double)n : 0.0, g_values ? 100.0 * (double)g_clamped / (double)g_values : 0.0,
           g_values);
    free(kv);
    free(sc);
    free(buf);
    lmc_exact_model_destroy(m);
    return 0;
}
