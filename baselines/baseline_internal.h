/* baseline_internal.h : what the baseline files share: buffer growth and the five vtables. */
#ifndef LMC_BASELINE_INTERNAL_H
#define LMC_BASELINE_INTERNAL_H

#include "lmc/baseline.h"

/* lmc_buffer_reserve() : make buf->cap >= cap (contents up to len kept). */
lmc_status lmc_buffer_reserve(lmc_buffer *buf, size_t cap);

extern const lmc_baseline lmc_baseline_gzip;
extern const lmc_baseline lmc_baseline_lzma2;
extern const lmc_baseline lmc_baseline_png;
extern const lmc_baseline lmc_baseline_flac;
extern const lmc_baseline lmc_baseline_zstd;

#endif /* LMC_BASELINE_INTERNAL_H */
