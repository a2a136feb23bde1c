/* ref_model.c : the plain-C reference Transformer (DESIGN.md §2), llm.c style: readable loops in
 * a fixed order, float32 storage and arithmetic, no threads. It is the oracle the OpenCL path is
 * tested against and the engine of the `cpu-ref` device; its gradients are checked against finite
 * differences (test/model/test_ref_model.cpp).
 * Invariant: every function is a pure function of its inputs, evaluated in index order, so two
 * runs give identical bits. Built with -ffp-contract=off. */
#include "ref_model.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_EPS 1e-5f
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

/* ------------------------------------------------------------------------------------------ */
/* ops                                                                                          */

void lmc_ref_positions(float *pos, int T, int C) {
    /* freqs f_j = 2j for j = 0..C/2 (C/2+1 values); angle = p * 10000^(-f_j / C);
     * row = [sin(angle_0..angle_{C/2}), cos(angle_0..angle_{C/2-2})] (concat truncated to C). */
    assert(C % 2 == 0);
    int nf = C / 2 + 1;
    for (int p = 0; p < T; p++) {
        float *row = pos + (size_t)p * C;
        for (int j = 0; j < nf; j++) {
            double angle = (double)p * pow(10000.0, -(double)(2 * j) / (double)C);
            row[j] = (float)sin(angle);
            if (nf + j < C) row[nf + j] = (float)cos(angle);
        }
    }
}

void lmc_ref_embed_fwd(float *out, const uint8_t *in, const float *embed, const float *pos, int B,
                       int T, int C) {
    float s = sqrtf((float)C);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *e = embed + (size_t)in[(size_t)b * T + t] * C;
            const float *p = pos + (size_t)t * C;
            for (int c = 0; c < C; c++) o[c] = e[c] * s + p[c];
        }
}

void lmc_ref_embed_bwd(float *dembed, const float *dout, const uint8_t *in, int B, int T, int C) {
    float s = sqrtf((float)C);
    for (size_t n = 0; n < (size_t)B * T; n++) {
        float *de = dembed + (size_t)in[n] * C;
        const float *d = dout + n * C;
        for (int c = 0; c < C; c++) de[c] += d[c] * s;
    }
}

void lmc_ref_matmul_fwd(float *out, const float *inp, const float *w, const float *bias, int N,
                        int IC, int OC) {
    /* out[n,o] = bias[o] + Σ_i inp[n,i] w[i,o], summed over i in order. */
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * IC;
        float *y = out + (size_t)n * OC;
        for (int o = 0; o < OC; o++) y[o] = bias ? bias[o] : 0.0f;
        for (int i = 0; i < IC; i++) {
            const float *wr = w + (size_t)i * OC;
            float xi = x[i];
            for (int o = 0; o < OC; o++) y[o] += xi * wr[o];
        }
    }
}

void lmc_ref_matmul_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int N, int IC, int OC) {
    for (int n = 0; n < N; n++) {
        const float *dy = dout + (size_t)n * OC;
        const float *x = inp + (size_t)n * IC;
        float *dx = dinp + (size_t)n * IC;
        for (int i = 0; i < IC; i++) {
            const float *wr = w + (size_t)i * OC;
            float *dwr = dw + (size_t)i * OC;
            float acc = 0.0f;
            for (int o = 0; o < OC; o++) {
                acc += dy[o] * wr[o];
                dwr[o] += x[i] * dy[o];
            }
            dx[i] += acc;
        }
        if (dbias)
            for (int o = 0; o < OC; o++) dbias[o] += dy[o];
    }
}

void lmc_ref_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp,
                           const float *scale, const float *offset, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *y = out + (size_t)n * C;
        float m = 0.0f;
        for (int c = 0; c < C; c++) m += x[c];
        m /= (float)C;
        float var = 0.0f;
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            var += d * d;
        }
        var /= (float)C;
        float r = 1.0f / sqrtf(var + LN_EPS);
        for (int c = 0; c < C; c++) y[c] = (x[c] - m) * r * scale[c] + offset[c];
        mean[n] = m;
        rstd[n] = r;
    }
}

void lmc_ref_layernorm_bwd(float *dinp, float *dscale, float *doffset, const float *dout,
                           const float *inp, const float *scale, const float *mean,
                           const float *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *dy = dout + (size_t)n * C;
        const float *x = inp + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float m = mean[n], r = rstd[n];
        /* two reductions: mean of dnorm and mean of dnorm * norm */
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
            doffset[c] += dy[c];
            dscale[c] += norm * dy[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * r;
        }
    }
}

void lmc_ref_attention_fwd(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *qt = q + ((size_t)b * T + t) * C + h * hs;
                float *a = att + (((size_t)b * NH + h) * T + t) * T;
                /* scores over t2 ≤ t, then a stable softmax */
                float maxv = -INFINITY;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *kt = k + ((size_t)b * T + t2) * C + h * hs;
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) s += qt[i] * kt[i];
                    s *= scale;
                    a[t2] = s;
                    if (s > maxv) maxv = s;
                }
                float sum = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) {
                    a[t2] = expf(a[t2] - maxv);
                    sum += a[t2];
                }
                float inv = 1.0f / sum;
                for (int t2 = 0; t2 < T; t2++) a[t2] = t2 <= t ? a[t2] * inv : 0.0f;
                float *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *vt = v + ((size_t)b * T + t2) * C + h * hs;
                    for (int i = 0; i < hs; i++) o[i] += a[t2] * vt[i];
                }
            }
}

void lmc_ref_attention_bwd(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                           const float *q, const float *k, const float *v, const float *att, int B,
                           int T, int C, int NH) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    float *datt = scratch; /* (T): d loss / d att[t, t2] */
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *a = att + (((size_t)b * NH + h) * T + t) * T;
                const float *dy = dout + ((size_t)b * T + t) * C + h * hs;
                /* out[t] = Σ_t2 a[t2] v[t2] */
                for (int t2 = 0; t2 <= t; t2++) {
                    const float *vt = v + ((size_t)b * T + t2) * C + h * hs;
                    float *dvt = dv + ((size_t)b * T + t2) * C + h * hs;
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) {
                        s += dy[i] * vt[i];
                        dvt[i] += a[t2] * dy[i];
                    }
                    datt[t2] = s;
                }
                /* softmax backward: dpre = a * (datt - Σ a datt) */
                float dot = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) dot += a[t2] * datt[t2];
                const float *qt = q + ((size_t)b * T + t) * C + h * hs;
                float *dqt = dq + ((size_t)b * T + t) * C + h * hs;
                for (int t2 = 0; t2 <= t; t2++) {
                    float dpre = a[t2] * (datt[t2] - dot) * scale;
                    const float *kt = k + ((size_t)b * T + t2) * C + h * hs;
                    float *dkt = dk + ((size_t)b * T + t2) * C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        dqt[i] += dpre * kt[i];
                        dkt[i] += dpre * qt[i];
                    }
                }
            }
}

void lmc_ref_gelu_fwd(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_K * (x + 0.044715f * x * x * x);
        out[i] = 0.5f * x * (1.0f + tanhf(u));
    }
}

void lmc_ref_gelu_bwd(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_K * (x + 0.044715f * x * x * x);
        float th = tanhf(u);
        float sech2 = 1.0f - th * th;
        float du = GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
        dinp[i] += grad * dout[i];
    }
}

void lmc_ref_logsoftmax_xent_fwd(float *logp, float *losses, const float *logits,
                                 const uint8_t *targets, int N, int V) {
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * V;
        float *lp = logp + (size_t)n * V;
        float maxv = z[0];
        for (int i = 1; i < V; i++)
            if (z[i] > maxv) maxv = z[i];
        float sum = 0.0f;
        for (int i = 0; i < V; i++) sum += expf(z[i] - maxv);
        float lse = maxv + logf(sum);
        for (int i = 0; i < V; i++) lp[i] = z[i] - lse;
        if (losses) losses[n] = -lp[targets[n]];
    }
}

void lmc_ref_logsoftmax_xent_bwd(float *dlogits, const float *logp, const uint8_t *targets,
                                 float dloss, int N, int V) {
    for (int n = 0; n < N; n++) {
        const float *lp = logp + (size_t)n * V;
        float *d = dlogits + (size_t)n * V;
        for (int i = 0; i < V; i++) {
            float p = expf(lp[i]);
            d[i] = (p - (i == targets[n] ? 1.0f : 0.0f)) * dloss;
        }
    }
}

void lmc_ref_adam(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                  float beta1, float beta2, float eps, long t) {
    assert(t >= 1);
    /* bias corrections 1 - beta^t, computed once in double */
    float c1 = (float)(1.0 - pow((double)beta1, (double)t));
    float c2 = (float)(1.0 - pow((double)beta2, (double)t));
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g;
        v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
        float mhat = m[i] / c1;
        float vhat = v[i] / c2;
        params[i] -= lr * mhat / (sqrtf(vhat) + eps);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* whole model                                                                                  */

/* Per-layer saved activations (N = B*T rows). */
typedef struct ref_layer_acts {
    float *q, *k, *v;     /* (N,C) */
    float *att;           /* (B,NH,T,T) */
    float *y;             /* (N,C) attention output before wo */
    float *r1;            /* (N,C) h + y·wo, input of ln1 */
    float *mean1, *rstd1; /* (N) */
    float *a;             /* (N,C) ln1 output */
    float *f1;            /* (N,4C) a·w1 + b1 */
    float *g;             /* (N,4C) gelu(f1) */
    float *r2;            /* (N,C) a + g·w2 + b2, input of ln2 */
    float *mean2, *rstd2; /* (N) */
} ref_layer_acts;

struct lmc_ref_acts {
    int B, T, C, L, NH;
    uint8_t *in;      /* (B,T) input bytes: targets shifted right, BOS 0 */
    float *pos;       /* (T,C) */
    float *h;         /* (L+1, N, C): h[0] embedded input, h[l+1] output of layer l */
    ref_layer_acts *layers;
    float *logits, *logp; /* (N,V) */
    float *losses;        /* (N) */
    /* backward scratch */
    float *dh, *dA, *dR1, *dR2, *dY, *dq, *dk, *dv; /* (N,C) */
    float *dF1, *dG;                                /* (N,4C) */
    float *dlogits;                                 /* (N,V) */
    float *datt;                                    /* (T) */
    float *arena;
};

void lmc_ref_acts_destroy(lmc_ref_acts *acts) {
    if (!acts) return;
    free(acts->arena);
    free(acts->layers);
    free(acts->in);
    free(acts);
}

lmc_status lmc_ref_acts_create(const lmc_model_config *cfg, int B, int T, lmc_ref_acts **out) {
    *out = NULL;
    LMC_TRY(lmc_model_config_check(cfg));
    LMC_RETURN_IF(B < 1 || T < 1 || T > cfg->context, LMC_ERR_INVALID_ARGUMENT,
                  "batch %d x window %d invalid for context %d", B, T, cfg->context);
    size_t C = (size_t)cfg->d_model, L = (size_t)cfg->n_layers, NH = (size_t)cfg->n_heads;
    size_t N = (size_t)B * (size_t)T, V = LMC_VOCAB;
    size_t per_layer = 8 * N * C + 2 * N * 4 * C + (size_t)B * NH * (size_t)T * (size_t)T + 4 * N;
    size_t total = (size_t)T * C + (L + 1) * N * C + L * per_layer + 3 * N * V + N + 8 * N * C +
                   2 * N * 4 * C + (size_t)T;
    lmc_ref_acts *a = calloc(1, sizeof *a);
    if (!a) goto oom;
    a->B = B;
    a->T = T;
    a->C = (int)C;
    a->L = (int)L;
    a->NH = (int)NH;
    a->in = malloc(N);
    a->layers = calloc(L, sizeof *a->layers);
    a->arena = calloc(total, sizeof(float));
    if (!a->in || !a->layers || !a->arena) goto oom;
    float *p = a->arena;
#define TAKE(ptr, count) do { (ptr) = p; p += (count); } while (0)
    TAKE(a->pos, (size_t)T * C);
    TAKE(a->h, (L + 1) * N * C);
    for (size_t l = 0; l < L; l++) {
        ref_layer_acts *la = &a->layers[l];
        TAKE(la->q, N * C);
        TAKE(la->k, N * C);
        TAKE(la->v, N * C);
        TAKE(la->att, (size_t)B * NH * (size_t)T * (size_t)T);
        TAKE(la->y, N * C);
        TAKE(la->r1, N * C);
        TAKE(la->mean1, N);
        TAKE(la->rstd1, N);
        TAKE(la->a, N * C);
        TAKE(la->f1, N * 4 * C);
        TAKE(la->g, N * 4 * C);
        TAKE(la->r2, N * C);
        TAKE(la->mean2, N);
        TAKE(la->rstd2, N);
        /* 8 (N,C) slots per layer were counted: q k v y r1 a r2 plus one spare */
    }
    TAKE(a->logits, N * V);
    TAKE(a->logp, N * V);
    TAKE(a->dlogits, N * V);
    TAKE(a->losses, N);
    TAKE(a->dh, N * C);
    TAKE(a->dA, N * C);
    TAKE(a->dR1, N * C);
    TAKE(a->dR2, N * C);
    TAKE(a->dY, N * C);
    TAKE(a->dq, N * C);
    TAKE(a->dk, N * C);
    TAKE(a->dv, N * C);
    TAKE(a->dF1, N * 4 * C);
    TAKE(a->dG, N * 4 * C);
    TAKE(a->datt, (size_t)T);
#undef TAKE
    assert((size_t)(p - a->arena) <= total);
    lmc_ref_positions(a->pos, T, (int)C);
    *out = a;
    return LMC_OK;
oom:
    lmc_ref_acts_destroy(a);
    return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "reference activations for B=%d T=%d C=%zu", B, T, C);
}

const float *lmc_ref_acts_logp(const lmc_ref_acts *acts) { return acts->logp; }

void lmc_ref_forward(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                     lmc_ref_acts *acts, float *loss) {
    int B = acts->B, T = acts->T, C = acts->C, L = acts->L, NH = acts->NH, V = LMC_VOCAB;
    int N = B * T;
    assert(C == cfg->d_model && L == cfg->n_layers && NH == cfg->n_heads);
    float *P = (float *)(uintptr_t)params; /* views only read through it */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            acts->in[(size_t)b * T + t] = t == 0 ? 0 : tokens[(size_t)b * T + t - 1];
    lmc_ref_embed_fwd(acts->h, acts->in, P + lmc_spec_offset_embed(cfg), acts->pos, B, T, C);
    for (int l = 0; l < L; l++) {
        lmc_spec_layer w;
        lmc_spec_layer_view(cfg, P, l, &w);
        ref_layer_acts *la = &acts->layers[l];
        const float *h = acts->h + (size_t)l * N * C;
        float *hout = acts->h + (size_t)(l + 1) * N * C;
        /* attention block: r1 = h + MHA(h wq, h wk, h wv) wo; a = ln1(r1) */
        lmc_ref_matmul_fwd(la->q, h, w.wq, NULL, N, C, C);
        lmc_ref_matmul_fwd(la->k, h, w.wk, NULL, N, C, C);
        lmc_ref_matmul_fwd(la->v, h, w.wv, NULL, N, C, C);
        lmc_ref_attention_fwd(la->y, la->att, la->q, la->k, la->v, B, T, C, NH);
        lmc_ref_matmul_fwd(la->r1, la->y, w.wo, NULL, N, C, C);
        for (size_t i = 0; i < (size_t)N * C; i++) la->r1[i] += h[i];
        lmc_ref_layernorm_fwd(la->a, la->mean1, la->rstd1, la->r1, w.ln1_scale, w.ln1_offset, N, C);
        /* FFN block: r2 = a + gelu(a w1 + b1) w2 + b2; hout = ln2(r2) */
        lmc_ref_matmul_fwd(la->f1, la->a, w.w1, w.b1, N, C, 4 * C);
        lmc_ref_gelu_fwd(la->g, la->f1, (size_t)N * 4 * C);
        lmc_ref_matmul_fwd(la->r2, la->g, w.w2, w.b2, N, 4 * C, C);
        for (size_t i = 0; i < (size_t)N * C; i++) la->r2[i] += la->a[i];
        lmc_ref_layernorm_fwd(hout, la->mean2, la->rstd2, la->r2, w.ln2_scale, w.ln2_offset, N, C);
    }
    const float *out_w = params + lmc_spec_offset_out(cfg);
    const float *out_b = out_w + (size_t)C * V;
    lmc_ref_matmul_fwd(acts->logits, acts->h + (size_t)L * N * C, out_w, out_b, N, C, V);
    lmc_ref_logsoftmax_xent_fwd(acts->logp, acts->losses, acts->logits, tokens, N, V);
    if (loss) *loss = (float)(lmc_ref_loss_sum(acts) / N);
}

double lmc_ref_loss_sum(const lmc_ref_acts *acts) {
    int N = acts->B * acts->T;
    double sum = 0.0;
    for (int n = 0; n < N; n++) sum += acts->losses[n];
    return sum;
}

void lmc_ref_backward(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                      lmc_ref_acts *acts, float *grads) {
    lmc_ref_backward_scaled(cfg, params, tokens, acts, grads, 1.0f / (float)(acts->B * acts->T));
}

void lmc_ref_backward_scaled(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                             lmc_ref_acts *acts, float *grads, float dloss) {
    int B = acts->B, T = acts->T, C = acts->C, L = acts->L, NH = acts->NH, V = LMC_VOCAB;
    int N = B * T;
    size_t NC = (size_t)N * C, N4C = (size_t)N * 4 * C;
    float *P = (float *)(uintptr_t)params;
    memset(grads, 0, lmc_model_config_num_params(cfg) * sizeof(float));
    /* output: dlogits = (softmax - onehot) · dloss (1/N for a whole batch); dh = dlogits · out.wᵀ */
    const float *out_w = params + lmc_spec_offset_out(cfg);
    float *gout_w = grads + lmc_spec_offset_out(cfg);
    lmc_ref_logsoftmax_xent_bwd(acts->dlogits, acts->logp, tokens, dloss, N, V);
    memset(acts->dh, 0, NC * sizeof(float));
    lmc_ref_matmul_bwd(acts->dh, gout_w, gout_w + (size_t)C * V, acts->dlogits,
                       acts->h + (size_t)L * NC, out_w, N, C, V);
    for (int l = L - 1; l >= 0; l--) {
        lmc_spec_layer w, g;
        lmc_spec_layer_view(cfg, P, l, &w);
        lmc_spec_layer_view(cfg, grads, l, &g);
        ref_layer_acts *la = &acts->layers[l];
        const float *h = acts->h + (size_t)l * NC;
        /* dh holds d loss / d h[l+1] = d ln2 output */
        memset(acts->dR2, 0, NC * sizeof(float));
        lmc_ref_layernorm_bwd(acts->dR2, g.ln2_scale, g.ln2_offset, acts->dh, la->r2, w.ln2_scale,
                              la->mean2, la->rstd2, N, C);
        /* r2 = a + g·w2 + b2 */
        memcpy(acts->dA, acts->dR2, NC * sizeof(float));
        memset(acts->dG, 0, N4C * sizeof(float));
        lmc_ref_matmul_bwd(acts->dG, g.w2, g.b2, acts->dR2, la->g, w.w2, N, 4 * C, C);
        memset(acts->dF1, 0, N4C * sizeof(float));
        lmc_ref_gelu_bwd(acts->dF1, la->f1, acts->dG, N4C);
        lmc_ref_matmul_bwd(acts->dA, g.w1, g.b1, acts->dF1, la->a, w.w1, N, C, 4 * C);
        /* a = ln1(r1) */
        memset(acts->dR1, 0, NC * sizeof(float));
        lmc_ref_layernorm_bwd(acts->dR1, g.ln1_scale, g.ln1_offset, acts->dA, la->r1, w.ln1_scale,
                              la->mean1, la->rstd1, N, C);
        /* r1 = h + y·wo */
        memset(acts->dY, 0, NC * sizeof(float));
        lmc_ref_matmul_bwd(acts->dY, g.wo, NULL, acts->dR1, la->y, w.wo, N, C, C);
        memset(acts->dq, 0, NC * sizeof(float));
        memset(acts->dk, 0, NC * sizeof(float));
        memset(acts->dv, 0, NC * sizeof(float));
        lmc_ref_attention_bwd(acts->dq, acts->dk, acts->dv, acts->datt, acts->dY, la->q, la->k,
                              la->v, la->att, B, T, C, NH);
        /* dh[l] = dR1 (residual) + the three projections */
        memcpy(acts->dh, acts->dR1, NC * sizeof(float));
        lmc_ref_matmul_bwd(acts->dh, g.wq, NULL, acts->dq, h, w.wq, N, C, C);
        lmc_ref_matmul_bwd(acts->dh, g.wk, NULL, acts->dk, h, w.wk, N, C, C);
        lmc_ref_matmul_bwd(acts->dh, g.wv, NULL, acts->dv, h, w.wv, N, C, C);
    }
    lmc_ref_embed_bwd(grads + lmc_spec_offset_embed(cfg), acts->dh, acts->in, B, T, C);
}
