/* lmc.h : the whole public API of lmc. Include this, or the individual headers. */
#ifndef LMC_H
#define LMC_H

#include "lmc/baseline.h"
#include "lmc/codec.h"
#include "lmc/data.h"
#include "lmc/device.h"
#include "lmc/exact.h"
#include "lmc/sha256.h"
#include "lmc/model.h"
#include "lmc/status.h"
#include "lmc/train.h"
#include "lmc/version.h"

#endif /* LMC_H */
