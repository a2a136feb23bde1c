/* model_cl.c : forward, backward and Adam of the Transformer on an OpenCL device (model_cl.h).
 * The sequence of ops is lmc_ref_forward / lmc_ref_backward's, line for line, so that a whole
 * training step can be compared with the reference tensor by tensor.
 * Invariant: every tensor lives in its own buffer (kernels take no offsets), every launch has a
 * fixed size for a given (config, B, T), and nothing accumulates with atomics. */
#include "model_cl.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ref_model.h"

enum { T_WQ, T_WK, T_WV, T_WO, T_LN1S, T_LN1O, T_W1, T_B1, T_W2, T_B2, T_LN2S, T_LN2O, T_PER_LAYER };

typedef struct cl_layer_acts {
    cl_mem q, k, v, lse, y, r1, mean1, rstd1, a, f1, g, r2, mean2, rstd2;
} cl_layer_acts;

struct lmc_cl_model {
    lmc_device *dev;
    lmc_model_config cfg;
    int B, T;
    size_t nt;
    lmc_tensor_desc *desc;
    cl_mem *vec[4]; /* [which][tensor] */
    cl_mem in, targets, pos, logits, logp, losses, dlogits;
    cl_mem *h; /* L+1 */
    cl_layer_acts *layers;
    cl_mem dh, dA, dR1, dR2, dY, dq, dk, dv, dF1, dG, dsum;
    uint8_t *in_host;
    float *losses_host;
};

static void release(cl_mem *m) {
    if (*m) clReleaseMemObject(*m);
    *m = NULL;
}

void lmc_cl_model_destroy(lmc_cl_model *m) {
    if (!m) return;
    for (int w = 0; w < 4; w++) {
        if (m->vec[w])
            for (size_t i = 0; i < m->nt; i++) release(&m->vec[w][i]);
        free(m->vec[w]);
    }
    cl_mem *singles[] = {&m->in, &m->targets, &m->pos, &m->logits, &m->logp, &m->losses, &m->dlogits, &m->dh,
                         &m->dA, &m->dR1, &m->dR2, &m->dY, &m->dq, &m->dk, &m->dv, &m->dF1, &m->dG, &m->dsum};
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) release(singles[i]);
    if (m->h)
        for (int l = 0; l <= m->cfg.n_layers; l++) release(&m->h[l]);
    if (m->layers)
        for (int l = 0; l < m->cfg.n_layers; l++) {
            cl_layer_acts *a = &m->layers[l];
            cl_mem *all[] = {&a->q, &a->k, &a->v, &a->lse, &a->y, &a->r1, &a->mean1, &a->rstd1,
                             &a->a, &a->f1, &a->g, &a->r2, &a->mean2, &a->rstd2};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) release(all[i]);
        }
    free(m->h);
    free(m->layers);
    free(m->desc);
    free(m->in_host);
    free(m->losses_host);
    free(m);
}

lmc_status lmc_cl_model_create(lmc_device *device, const lmc_model_config *cfg, int B, int T, lmc_cl_model **out) {
    *out = NULL;
    LMC_RETURN_IF(!device || device->info.kind != LMC_DEVICE_KIND_OPENCL, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_cl_model_create: not an OpenCL device");
    LMC_TRY(lmc_model_config_check(cfg));
    LMC_RETURN_IF(B < 1 || T < 1 || T > cfg->context, LMC_ERR_INVALID_ARGUMENT, "batch %d x window %d invalid", B, T);
    lmc_status st = LMC_OK;
    lmc_cl_model *m = calloc(1, sizeof *m);
    if (!m) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "device model");
    m->dev = device;
    m->cfg = *cfg;
    m->B = B;
    m->T = T;
    m->nt = lmc_model_num_tensors(cfg);
    size_t C = (size_t)cfg->d_model, L = (size_t)cfg->n_layers, NH = (size_t)cfg->n_heads;
    size_t N = (size_t)B * (size_t)T, V = LMC_VOCAB, F = sizeof(float);
    m->desc = calloc(m->nt, sizeof *m->desc);
    m->h = calloc(L + 1, sizeof *m->h);
    m->layers = calloc(L, sizeof *m->layers);
    m->in_host = malloc(N);
    m->losses_host = malloc(N * F);
    for (int w = 0; w < 4; w++) m->vec[w] = calloc(m->nt, sizeof(cl_mem));
    if (!m->desc || !m->h || !m->layers || !m->in_host || !m->losses_host || !m->vec[0] || !m->vec[1] ||
        !m->vec[2] || !m->vec[3]) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "device model tables");
        goto fail;
    }
#define BUF(dst, bytes)                                                 \
    do {                                                                \
        if ((st = lmc_buf_create(device, (bytes), NULL, &(dst))) != LMC_OK) goto fail; \
    } while (0)
    for (size_t i = 0; i < m->nt; i++) {
        lmc_model_tensor_desc(cfg, i, &m->desc[i]);
        for (int w = 0; w < 4; w++) BUF(m->vec[w][i], m->desc[i].size * F);
    }
    BUF(m->in, N);
    BUF(m->targets, N);
    BUF(m->pos, (size_t)T * C * F);
    BUF(m->logits, N * V * F);
    BUF(m->logp, N * V * F);
    BUF(m->dlogits, N * V * F);
    BUF(m->losses, N * F);
    for (size_t l = 0; l <= L; l++) BUF(m->h[l], N * C * F);
    for (size_t l = 0; l < L; l++) {
        cl_layer_acts *a = &m->layers[l];
        BUF(a->q, N * C * F);
        BUF(a->k, N * C * F);
        BUF(a->v, N * C * F);
        BUF(a->lse, (size_t)B * NH * (size_t)T * F); /* (B,NH,T): row log-sum-exp of the fused attention */
        BUF(a->y, N * C * F);
        BUF(a->r1, N * C * F);
        BUF(a->mean1, N * F);
        BUF(a->rstd1, N * F);
        BUF(a->a, N * C * F);
        BUF(a->f1, N * 4 * C * F);
        BUF(a->g, N * 4 * C * F);
        BUF(a->r2, N * C * F);
        BUF(a->mean2, N * F);
        BUF(a->rstd2, N * F);
    }
    cl_mem *nc[] = {&m->dh, &m->dA, &m->dR1, &m->dR2, &m->dY, &m->dq, &m->dk, &m->dv};
    for (size_t i = 0; i < sizeof nc / sizeof nc[0]; i++) BUF(*nc[i], N * C * F);
    BUF(m->dF1, N * 4 * C * F);
    BUF(m->dG, N * 4 * C * F);
    BUF(m->dsum, (size_t)B * NH * (size_t)T * F); /* (B,NH,T): scratch of the fused backward */
#undef BUF
    {
        float *pos = malloc((size_t)T * C * F);
        if (!pos) {
            st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "positions");
            goto fail;
        }
        lmc_ref_positions(pos, T, (int)C); /* the same table as the reference, computed on the host */
        st = lmc_buf_write(device, m->pos, (size_t)T * C * F, pos);
        free(pos);
        if (st != LMC_OK) goto fail;
    }
    *out = m;
    return LMC_OK;
fail:
    lmc_cl_model_destroy(m);
    return st;
}

lmc_status lmc_cl_model_write(lmc_cl_model *m, lmc_cl_vec which, const float *flat) {
    for (size_t i = 0; i < m->nt; i++)
        LMC_TRY(lmc_buf_write(m->dev, m->vec[which][i], m->desc[i].size * sizeof(float), flat + m->desc[i].offset));
    return LMC_OK;
}

lmc_status lmc_cl_model_read(lmc_cl_model *m, lmc_cl_vec which, float *flat) {
    for (size_t i = 0; i < m->nt; i++)
        LMC_TRY(lmc_buf_read(m->dev, m->vec[which][i], m->desc[i].size * sizeof(float), flat + m->desc[i].offset));
    return LMC_OK;
}

static cl_mem P(const lmc_cl_model *m, int l, int j) { return m->vec[LMC_CL_PARAMS][1 + (size_t)l * T_PER_LAYER + (size_t)j]; }
static cl_mem G(const lmc_cl_model *m, int l, int j) { return m->vec[LMC_CL_GRADS][1 + (size_t)l * T_PER_LAYER + (size_t)j]; }

lmc_status lmc_cl_model_forward(lmc_cl_model *m, const uint8_t *tokens, float *loss) {
    if (!loss) return lmc_cl_model_forward_sum(m, tokens, NULL);
    double sum = 0.0;
    LMC_TRY(lmc_cl_model_forward_sum(m, tokens, &sum));
    *loss = (float)(sum / (m->B * m->T));
    return LMC_OK;
}

lmc_status lmc_cl_model_forward_sum(lmc_cl_model *m, const uint8_t *tokens, double *loss_sum) {
    lmc_device *d = m->dev;
    int B = m->B, T = m->T, C = m->cfg.d_model, L = m->cfg.n_layers, NH = m->cfg.n_heads, V = LMC_VOCAB;
    int N = B * T;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) m->in_host[(size_t)b * T + t] = t == 0 ? 0 : tokens[(size_t)b * T + t - 1];
    LMC_TRY(lmc_buf_write(d, m->in, (size_t)N, m->in_host));
    LMC_TRY(lmc_buf_write(d, m->targets, (size_t)N, tokens));
    LMC_TRY(lmc_op_embed_fwd(d, m->h[0], m->in, m->vec[LMC_CL_PARAMS][0], m->pos, B, T, C));
    for (int l = 0; l < L; l++) {
        cl_layer_acts *a = &m->layers[l];
        LMC_TRY(lmc_op_matmul_fwd(d, a->q, m->h[l], P(m, l, T_WQ), NULL, N, C, C));
        LMC_TRY(lmc_op_matmul_fwd(d, a->k, m->h[l], P(m, l, T_WK), NULL, N, C, C));
        LMC_TRY(lmc_op_matmul_fwd(d, a->v, m->h[l], P(m, l, T_WV), NULL, N, C, C));
        LMC_TRY(lmc_op_attention_fused_fwd(d, a->y, a->lse, a->q, a->k, a->v, B, T, C, NH));
        /* r1 = y wo + h, f1 = a w1 + b1 with g = gelu(f1), r2 = g w2 + b2 + a: the residual adds and
         * the GELU in the products' epilogues (the reference's separate passes, fused) */
        LMC_TRY(lmc_op_matmul_res_fwd(d, a->r1, a->y, P(m, l, T_WO), NULL, m->h[l], N, C, C));
        LMC_TRY(lmc_op_layernorm_fwd(d, a->a, a->mean1, a->rstd1, a->r1, P(m, l, T_LN1S), P(m, l, T_LN1O), N, C));
        LMC_TRY(lmc_op_matmul_gelu_fwd(d, a->f1, a->g, a->a, P(m, l, T_W1), P(m, l, T_B1), N, C, 4 * C));
        LMC_TRY(lmc_op_matmul_res_fwd(d, a->r2, a->g, P(m, l, T_W2), P(m, l, T_B2), a->a, N, 4 * C, C));
        LMC_TRY(lmc_op_layernorm_fwd(d, m->h[l + 1], a->mean2, a->rstd2, a->r2, P(m, l, T_LN2S), P(m, l, T_LN2O), N, C));
    }
    LMC_TRY(lmc_op_matmul_fwd(d, m->logits, m->h[L], m->vec[LMC_CL_PARAMS][m->nt - 2], m->vec[LMC_CL_PARAMS][m->nt - 1],
                              N, C, V));
    LMC_TRY(lmc_op_logsoftmax_xent_fwd(d, m->logp, m->losses, m->logits, m->targets, N, V));
    if (loss_sum) {
        LMC_TRY(lmc_buf_read(d, m->losses, (size_t)N * sizeof(float), m->losses_host));
        double sum = 0.0;
        for (int n = 0; n < N; n++) sum += m->losses_host[n];
        *loss_sum = sum;
    }
    return LMC_OK;
}

lmc_status lmc_cl_model_backward(lmc_cl_model *m) {
    return lmc_cl_model_backward_scaled(m, 1.0f / (float)(m->B * m->T));
}

lmc_status lmc_cl_model_backward_scaled(lmc_cl_model *m, float dloss) {
    lmc_device *d = m->dev;
    int B = m->B, T = m->T, C = m->cfg.d_model, L = m->cfg.n_layers, NH = m->cfg.n_heads, V = LMC_VOCAB;
    int N = B * T;
    size_t NC = (size_t)N * C * sizeof(float), N4C = 4 * NC;
    for (size_t i = 0; i < m->nt; i++)
        LMC_TRY(lmc_buf_zero(d, m->vec[LMC_CL_GRADS][i], m->desc[i].size * sizeof(float)));
    LMC_TRY(lmc_op_logsoftmax_xent_bwd(d, m->dlogits, m->logp, m->targets, dloss, N, V));
    LMC_TRY(lmc_buf_zero(d, m->dh, NC));
    LMC_TRY(lmc_op_matmul_bwd(d, m->dh, m->vec[LMC_CL_GRADS][m->nt - 2], m->vec[LMC_CL_GRADS][m->nt - 1], m->dlogits,
                              m->h[L], m->vec[LMC_CL_PARAMS][m->nt - 2], N, C, V));
    for (int l = L - 1; l >= 0; l--) {
        cl_layer_acts *a = &m->layers[l];
        LMC_TRY(lmc_buf_zero(d, m->dR2, NC));
        LMC_TRY(lmc_op_layernorm_bwd(d, m->dR2, G(m, l, T_LN2S), G(m, l, T_LN2O), m->dh, a->r2, P(m, l, T_LN2S),
                                     a->mean2, a->rstd2, N, C));
        LMC_CL_CHECK(clEnqueueCopyBuffer(d->queue, m->dR2, m->dA, 0, 0, NC, 0, NULL, NULL));
        LMC_TRY(lmc_buf_zero(d, m->dG, N4C));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dG, G(m, l, T_W2), G(m, l, T_B2), m->dR2, a->g, P(m, l, T_W2), N, 4 * C, C));
        LMC_TRY(lmc_buf_zero(d, m->dF1, N4C));
        LMC_TRY(lmc_op_gelu_bwd(d, m->dF1, a->f1, m->dG, N * 4 * C));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dA, G(m, l, T_W1), G(m, l, T_B1), m->dF1, a->a, P(m, l, T_W1), N, C, 4 * C));
        LMC_TRY(lmc_buf_zero(d, m->dR1, NC));
        LMC_TRY(lmc_op_layernorm_bwd(d, m->dR1, G(m, l, T_LN1S), G(m, l, T_LN1O), m->dA, a->r1, P(m, l, T_LN1S),
                                     a->mean1, a->rstd1, N, C));
        LMC_TRY(lmc_buf_zero(d, m->dY, NC));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dY, G(m, l, T_WO), NULL, m->dR1, a->y, P(m, l, T_WO), N, C, C));
        LMC_TRY(lmc_buf_zero(d, m->dq, NC));
        LMC_TRY(lmc_buf_zero(d, m->dk, NC));
        LMC_TRY(lmc_buf_zero(d, m->dv, NC));
        LMC_TRY(lmc_op_attention_fused_bwd(d, m->dq, m->dk, m->dv, m->dsum, m->dY, a->y, a->lse, a->q, a->k, a->v, B,
                                           T, C, NH));
        LMC_CL_CHECK(clEnqueueCopyBuffer(d->queue, m->dR1, m->dh, 0, 0, NC, 0, NULL, NULL));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dh, G(m, l, T_WQ), NULL, m->dq, m->h[l], P(m, l, T_WQ), N, C, C));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dh, G(m, l, T_WK), NULL, m->dk, m->h[l], P(m, l, T_WK), N, C, C));
        LMC_TRY(lmc_op_matmul_bwd(d, m->dh, G(m, l, T_WV), NULL, m->dv, m->h[l], P(m, l, T_WV), N, C, C));
    }
    LMC_TRY(lmc_op_embed_bwd(d, m->vec[LMC_CL_GRADS][0], m->dh, m->in, B, T, C));
    return LMC_OK;
}

lmc_status lmc_cl_model_adam(lmc_cl_model *m, float lr, float beta1, float beta2, float eps, long t) {
    for (size_t i = 0; i < m->nt; i++)
        LMC_TRY(lmc_op_adam(m->dev, m->vec[LMC_CL_PARAMS][i], m->vec[LMC_CL_GRADS][i], m->vec[LMC_CL_ADAM_M][i],
                            m->vec[LMC_CL_ADAM_V][i], (int)m->desc[i].size, lr, beta1, beta2, eps, t));
    return LMC_OK;
}

lmc_status lmc_cl_model_read_logp(lmc_cl_model *m, float *out) {
    return lmc_buf_read(m->dev, m->logp, (size_t)m->B * m->T * LMC_VOCAB * sizeof(float), out);
}
