/* cdf_plain.c : codec/cdf.c built a second time with its plain C path and other names, so
 * that test_cdf.cpp can check that the SSE2 path and the plain path give the same integers. */
#define LMC_CODEC_NO_SIMD 1
#define lmc_quantize_row lmc_quantize_row_plain
#define lmc_quantize_interval lmc_quantize_interval_plain
#define lmc_quantize_find lmc_quantize_find_plain
#include "../../codec/cdf.c"
