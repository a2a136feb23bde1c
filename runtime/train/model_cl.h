/* model_cl.h : the Transformer of DESIGN.md §2 trained on an OpenCL device: the same forward,
 * backward and Adam as ref/ref_model.c, op for op, with CLBlast for the matrix products and the
 * kernels of cl/ for the rest. Not bit-exact with the reference (CLBlast's summation order, the
 * device's exp/tanh), but deterministic run to run on one device (no atomics, fixed work sizes).
 * Internal header: used by the trainer and the tests. */
#ifndef LMC_MODEL_CL_H
#define LMC_MODEL_CL_H

#include <stdint.h>

#include "device_internal.h"
#include "lmc/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmc_cl_model lmc_cl_model;

/* Which per-parameter vector to move: the weights, their gradients, Adam's first and second
 * moments. Each is num_params floats in the flat order of lmc_model_tensor_desc(). */
typedef enum lmc_cl_vec { LMC_CL_PARAMS = 0, LMC_CL_GRADS = 1, LMC_CL_ADAM_M = 2, LMC_CL_ADAM_V = 3 } lmc_cl_vec;

/* lmc_cl_model_create() : device buffers for `cfg` and batches of B windows of T bytes; all
 * vectors start at zero. @return LMC_OK with *out (lmc_cl_model_destroy()). */
lmc_status lmc_cl_model_create(lmc_device *device, const lmc_model_config *cfg, int B, int T, lmc_cl_model **out);
void lmc_cl_model_destroy(lmc_cl_model *m);

lmc_status lmc_cl_model_write(lmc_cl_model *m, lmc_cl_vec which, const float *flat);
lmc_status lmc_cl_model_read(lmc_cl_model *m, lmc_cl_vec which, float *flat);

/* Forward over tokens (B,T) (targets; the input is them shifted right with BOS 0); *loss (may be
 * NULL) = mean -log p, summed on the host in double like the reference. */
lmc_status lmc_cl_model_forward(lmc_cl_model *m, const uint8_t *tokens, float *loss);
/* The same, *sum = Σ -log p over the B*T positions in double, in position order (the sum whose
 * mean lmc_cl_model_forward reports). */
lmc_status lmc_cl_model_forward_sum(lmc_cl_model *m, const uint8_t *tokens, double *sum);
/* Gradients of the last forward pass into the GRADS vector (overwritten). */
lmc_status lmc_cl_model_backward(lmc_cl_model *m);
/* The same with d loss / d logit scaled by `dloss` instead of 1/(B*T) (a micro-batch's share of a
 * larger batch, train.c); lmc_cl_model_backward is dloss = 1/(B*T). */
lmc_status lmc_cl_model_backward_scaled(lmc_cl_model *m, float dloss);
/* One Adam step t (1-based) on every tensor. */
lmc_status lmc_cl_model_adam(lmc_cl_model *m, float lr, float beta1, float beta2, float eps, long t);
/* The log-probabilities (B,T,256) of the last forward pass. */
lmc_status lmc_cl_model_read_logp(lmc_cl_model *m, float *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_MODEL_CL_H */
