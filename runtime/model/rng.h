/* rng.h : lmc's own seeded pseudo-random generator (xoshiro256** seeded by splitmix64).
 *
 * Everything random in training (initialisation, window positions) comes from here, so a run is
 * a pure function of its seed, and the whole state (four words) is saved in checkpoints for an
 * exact resume. Integer-only except the normal draws, which use double libm (log, cos, sqrt). */
#ifndef LMC_RNG_H
#define LMC_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmc_rng {
    uint64_t s[4];
} lmc_rng;

/* lmc_rng_seed() : expand a 64-bit seed into a full state (never all zero). */
void lmc_rng_seed(lmc_rng *rng, uint64_t seed);
uint64_t lmc_rng_next(lmc_rng *rng);
/* lmc_rng_below() : uniform in [0, n), n > 0, without modulo bias. */
uint64_t lmc_rng_below(lmc_rng *rng, uint64_t n);
/* lmc_rng_uniform() : uniform double in [0, 1) with 53 random bits. */
double lmc_rng_uniform(lmc_rng *rng);
/* lmc_rng_normal() : standard normal (Box-Muller, one value per call). */
double lmc_rng_normal(lmc_rng *rng);
/* lmc_rng_truncnormal() : N(0, sigma²) redrawn until within ±2 sigma. */
double lmc_rng_truncnormal(lmc_rng *rng, double sigma);

#ifdef __cplusplus
}
#endif
#endif /* LMC_RNG_H */
