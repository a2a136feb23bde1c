/* model_calls_exact.c : code in the float model's layer that calls the coding path: forbidden
 * (model/ never links exact/; negative control of the layer check). */
#include "lmc/exact.h"

const char *lmc_layering_model_calls_exact(void);
const char *lmc_layering_model_calls_exact(void) { lmc_exact_model_destroy(NULL); return "unreachable"; }
