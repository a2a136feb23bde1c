/* exact_calls_model.c : code in the exact layer that reads a float model, as the quantiser does:
 * allowed (positive control of the layer check). */
#include "lmc/model.h"

int lmc_layering_exact_calls_model(const lmc_model *m);
int lmc_layering_exact_calls_model(const lmc_model *m) { return lmc_model_get_config(m)->d_model; }
