/* ops.h : host launchers of the model's OpenCL kernels (the .cl files in cl/), one per kernel family, each
 * with the signature of its plain-C twin in ref/ref_model.h but on cl_mem buffers. Launches are
 * enqueued on the device's in-order queue; nothing here waits. Matrix products go to CLBlast
 * (gemm.c). Same accumulate/overwrite conventions as the reference. */
#ifndef LMC_OPS_H
#define LMC_OPS_H

#include <stdint.h>

#include "device_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

lmc_status lmc_op_embed_fwd(lmc_device *d, cl_mem out, cl_mem in, cl_mem embed, cl_mem pos, int B, int T, int C);
lmc_status lmc_op_embed_bwd(lmc_device *d, cl_mem dembed, cl_mem dout, cl_mem in, int B, int T, int C);
/* out (N,OC) = inp (N,IC) · w (IC,OC) + bias (may be NULL) */
lmc_status lmc_op_matmul_fwd(lmc_device *d, cl_mem out, cl_mem inp, cl_mem w, cl_mem bias, int N, int IC, int OC);
/* the same plus res (N,OC) (the residual add fused into the product's epilogue) */
lmc_status lmc_op_matmul_res_fwd(lmc_device *d, cl_mem out, cl_mem inp, cl_mem w, cl_mem bias, cl_mem res, int N,
                                 int IC, int OC);
/* f (N,OC) = inp · w + bias and g = gelu(f) in one pass (the W1 product of the MLP) */
lmc_status lmc_op_matmul_gelu_fwd(lmc_device *d, cl_mem f, cl_mem g, cl_mem inp, cl_mem w, cl_mem bias, int N,
                                  int IC, int OC);
/* dinp += dout·wᵀ; dw += inpᵀ·dout; dbias += Σ dout (may be NULL) */
lmc_status lmc_op_matmul_bwd(lmc_device *d, cl_mem dinp, cl_mem dw, cl_mem dbias, cl_mem dout, cl_mem inp,
                             cl_mem w, int N, int IC, int OC);
lmc_status lmc_op_layernorm_fwd(lmc_device *d, cl_mem out, cl_mem mean, cl_mem rstd, cl_mem inp, cl_mem scale,
                                cl_mem offset, int N, int C);
lmc_status lmc_op_layernorm_bwd(lmc_device *d, cl_mem dinp, cl_mem dscale, cl_mem doffset, cl_mem dout,
                                cl_mem inp, cl_mem scale, cl_mem mean, cl_mem rstd, int N, int C);
lmc_status lmc_op_attention_fwd(lmc_device *d, cl_mem out, cl_mem att, cl_mem q, cl_mem k, cl_mem v, int B,
                                int T, int C, int NH);
/* dpre: scratch (B,NH,T,T) */
lmc_status lmc_op_attention_bwd(lmc_device *d, cl_mem dq, cl_mem dk, cl_mem dv, cl_mem dpre, cl_mem dout,
                                cl_mem q, cl_mem k, cl_mem v, cl_mem att, int B, int T, int C, int NH);
/* The same attention fused (cl/model/attention_fused.cl): no (T,T) matrix. The forward writes out and
 * lse (B,NH,T), the log of each row's softmax denominator (scores scaled by 1/sqrt(hs)); the
 * backward recomputes the probabilities from q, k and lse, uses dsum (B,NH,T) as scratch and
 * accumulates into dq, dk, dv like lmc_op_attention_bwd. */
lmc_status lmc_op_attention_fused_fwd(lmc_device *d, cl_mem out, cl_mem lse, cl_mem q, cl_mem k, cl_mem v, int B,
                                      int T, int C, int NH);
lmc_status lmc_op_attention_fused_bwd(lmc_device *d, cl_mem dq, cl_mem dk, cl_mem dv, cl_mem dsum, cl_mem dout,
                                      cl_mem out, cl_mem lse, cl_mem q, cl_mem k, cl_mem v, int B, int T, int C,
                                      int NH);
lmc_status lmc_op_gelu_fwd(lmc_device *d, cl_mem out, cl_mem inp, int n);
lmc_status lmc_op_gelu_bwd(lmc_device *d, cl_mem dinp, cl_mem inp, cl_mem dout, int n);
lmc_status lmc_op_logsoftmax_xent_fwd(lmc_device *d, cl_mem logp, cl_mem losses, cl_mem logits, cl_mem targets,
                                      int N, int V);
lmc_status lmc_op_logsoftmax_xent_bwd(lmc_device *d, cl_mem dlogits, cl_mem logp, cl_mem targets, float dloss,
                                      int N, int V);
lmc_status lmc_op_add_inplace(lmc_device *d, cl_mem y, cl_mem x, int n);
lmc_status lmc_op_adam(lmc_device *d, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int n, float lr,
                       float beta1, float beta2, float eps, long t);

/* Buffer helpers: a device buffer of `bytes` (initialised from `host` when not NULL, else
 * zeroed), blocking read and write. */
lmc_status lmc_buf_create(lmc_device *d, size_t bytes, const void *host, cl_mem *out);
/* a device buffer of `bytes`, contents undefined (scratch) */
lmc_status lmc_buf_create_uninit(lmc_device *d, size_t bytes, cl_mem *out);
lmc_status lmc_buf_write(lmc_device *d, cl_mem buf, size_t bytes, const void *host);
lmc_status lmc_buf_read(lmc_device *d, cl_mem buf, size_t bytes, void *host);
lmc_status lmc_buf_zero(lmc_device *d, cl_mem buf, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif /* LMC_OPS_H */
