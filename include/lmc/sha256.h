/* sha256.h : SHA-256 (FIPS 180-4), for model ids (DESIGN.md §2) and cache keys.
 * Incremental: init, update any number of times, final. No allocation. */
#ifndef LMC_SHA256_H
#define LMC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lmc_sha256_ctx {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[64];
    size_t block_used;
} lmc_sha256_ctx;

void lmc_sha256_init(lmc_sha256_ctx *ctx);
void lmc_sha256_update(lmc_sha256_ctx *ctx, const void *data, size_t size);
/* lmc_sha256_final() : write the 32-byte digest; ctx must be re-initialised before reuse. */
void lmc_sha256_final(lmc_sha256_ctx *ctx, uint8_t digest[32]);

/* lmc_sha256() : one-shot digest of `size` bytes. */
void lmc_sha256(const void *data, size_t size, uint8_t digest[32]);

/* lmc_sha256_hex() : 64 lowercase hex digits and a NUL into `hex` (65 bytes). */
void lmc_sha256_hex(const uint8_t digest[32], char hex[65]);

#ifdef __cplusplus
}
#endif
#endif /* LMC_SHA256_H */
