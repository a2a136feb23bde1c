/* ref_model.h : the plain-C reference of the Transformer of DESIGN.md §2 (the `cpu-ref` oracle):
 * one function per op, forward and backward (the CPU twins of the OpenCL kernels), the whole
 * model's forward and backward over a batch, and Adam.
 *
 * Letters as in llm.c: B batch, T time, C d_model, NH heads, hs = C/NH, V = 256, N = B*T rows.
 * Everything is row-major float32; matrices are (in, out) so that y = x·W. Backward functions
 * ACCUMULATE (+=) into their gradient outputs; callers zero them first. */
#ifndef LMC_REF_MODEL_H
#define LMC_REF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/model.h"
#include "spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ops ---- */

/* pos (T, C): sinusoidal positions with DESIGN.md §2's quirk: C/2+1 sines then C/2-1 cosines. */
void lmc_ref_positions(float *pos, int T, int C);
/* out (B,T,C) = embed[in[b,t]] * sqrt(C) + pos[t]; in (B,T) input bytes, embed (V,C), pos (T,C). */
void lmc_ref_embed_fwd(float *out, const uint8_t *in, const float *embed, const float *pos, int B,
                       int T, int C);
/* dembed (V,C) += sqrt(C) * dout[b,t] at row in[b,t]. */
void lmc_ref_embed_bwd(float *dembed, const float *dout, const uint8_t *in, int B, int T, int C);
/* out (N,OC) = inp (N,IC) · w (IC,OC) + bias (OC, may be NULL). */
void lmc_ref_matmul_fwd(float *out, const float *inp, const float *w, const float *bias, int N,
                        int IC, int OC);
/* dinp (N,IC) += dout·wᵀ; dw (IC,OC) += inpᵀ·dout; dbias (OC) += Σ_n dout (dbias may be NULL). */
void lmc_ref_matmul_bwd(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int N, int IC, int OC);
/* out (N,C) = (inp - mean) * rstd * scale + offset, rstd = 1/sqrt(var + 1e-5), var = mean of
 * squared deviations; mean, rstd (N) kept for backward. */
void lmc_ref_layernorm_fwd(float *out, float *mean, float *rstd, const float *inp,
                           const float *scale, const float *offset, int N, int C);
void lmc_ref_layernorm_bwd(float *dinp, float *dscale, float *doffset, const float *dout,
                           const float *inp, const float *scale, const float *mean,
                           const float *rstd, int N, int C);
/* Causal multi-head attention without projections: q, k, v (B,T,C) split into NH heads of hs;
 * att (B,NH,T,T) = softmax over t2 ≤ t of q·k/sqrt(hs) (zero above the diagonal); out (B,T,C). */
void lmc_ref_attention_fwd(float *out, float *att, const float *q, const float *k, const float *v,
                           int B, int T, int C, int NH);
/* dq, dk, dv (B,T,C) += ...; scratch (T) floats. */
void lmc_ref_attention_bwd(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                           const float *q, const float *k, const float *v, const float *att, int B,
                           int T, int C, int NH);
/* out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³))), n elements. */
void lmc_ref_gelu_fwd(float *out, const float *inp, size_t n);
void lmc_ref_gelu_bwd(float *dinp, const float *inp, const float *dout, size_t n);
/* logp (N,V) = log-softmax of logits (N,V); losses (N) = -logp[target]. */
void lmc_ref_logsoftmax_xent_fwd(float *logp, float *losses, const float *logits,
                                 const uint8_t *targets, int N, int V);
/* dlogits (N,V) = dloss * (softmax - onehot(target)) (written, not accumulated). */
void lmc_ref_logsoftmax_xent_bwd(float *dlogits, const float *logp, const uint8_t *targets,
                                 float dloss, int N, int V);
/* Adam step t (1-based) on n parameters: m, v updated in place, no weight decay. */
void lmc_ref_adam(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                  float beta1, float beta2, float eps, long t);

/* ---- whole model ---- */

/* Activations of one forward pass of B windows of T ≤ context bytes, kept for backward. */
typedef struct lmc_ref_acts lmc_ref_acts;

/* lmc_ref_acts_create() : @return LMC_OK with *out (lmc_ref_acts_destroy()). */
lmc_status lmc_ref_acts_create(const lmc_model_config *cfg, int B, int T, lmc_ref_acts **out);
void lmc_ref_acts_destroy(lmc_ref_acts *acts);
/* The log-probabilities (B,T,V) of the last forward pass. */
const float *lmc_ref_acts_logp(const lmc_ref_acts *acts);

/* lmc_ref_forward() : tokens (B,T) are the target bytes; the input is them shifted right by one
 * with BOS 0. *loss = mean over B*T of -log p(target) (accumulated in double). */
void lmc_ref_forward(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                     lmc_ref_acts *acts, float *loss);
/* lmc_ref_backward() : grads (num_params) = d loss / d params for the last forward pass
 * (overwritten). */
void lmc_ref_backward(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                      lmc_ref_acts *acts, float *grads);
/* lmc_ref_backward_scaled() : the same with d loss / d logit scaled by `dloss` instead of 1/(B*T):
 * a micro-batch's share of a larger batch's mean (train.c). lmc_ref_backward is dloss = 1/(B*T). */
void lmc_ref_backward_scaled(const lmc_model_config *cfg, const float *params, const uint8_t *tokens,
                             lmc_ref_acts *acts, float *grads, float dloss);
/* lmc_ref_loss_sum() : Σ -log p(target) of the last forward pass over its B*T positions, summed in
 * double in position order (the sum whose mean lmc_ref_forward reports). */
double lmc_ref_loss_sum(const lmc_ref_acts *acts);

#ifdef __cplusplus
}
#endif
#endif /* LMC_REF_MODEL_H */
