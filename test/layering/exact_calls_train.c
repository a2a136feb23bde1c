/* exact_calls_train.c : code in the exact layer that calls into the training layer, through the
 * public header lmc/train.h that every target can see. The include path cannot stop this; the
 * layer check's link must (test/layering/CMakeLists.txt, negative control). */
#include "lmc/train.h"

long lmc_layering_exact_calls_train(const lmc_trainer *t);
long lmc_layering_exact_calls_train(const lmc_trainer *t) { return lmc_trainer_steps_done(t); }
