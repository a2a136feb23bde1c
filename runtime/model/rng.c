/* rng.c : xoshiro256** (Blackman and Vigna) seeded by splitmix64; see rng.h. */
#include "rng.h"

#include <assert.h>
#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void lmc_rng_seed(lmc_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = 1;
}

uint64_t lmc_rng_next(lmc_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t lmc_rng_below(lmc_rng *rng, uint64_t n) {
    assert(n > 0);
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    for (;;) {
        uint64_t x = lmc_rng_next(rng);
        if (x < limit) return x % n;
    }
}

double lmc_rng_uniform(lmc_rng *rng) { return (double)(lmc_rng_next(rng) >> 11) * 0x1.0p-53; }

double lmc_rng_normal(lmc_rng *rng) {
    /* u1 in (0, 1] so that log(u1) is finite. */
    double u1 = 1.0 - lmc_rng_uniform(rng);
    double u2 = lmc_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double lmc_rng_truncnormal(lmc_rng *rng, double sigma) {
    for (;;) {
        double z = lmc_rng_normal(rng);
        if (z >= -2.0 && z <= 2.0) return z * sigma;
    }
}
