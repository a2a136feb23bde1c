/* exact_includes_train.c : code built with the exact layer's include path that includes a header
 * of the training layer: must not compile (train/ is not on exact's include path). */
#include "exact_internal.h"
#include "ops.h"
