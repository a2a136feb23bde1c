/* crc32.c : CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor ~0), the
 * same function as zlib's crc32(), which codec/ may not link. Four bits at a time from a
 * 16-entry table: the coder, not the checksum, bounds the codec's speed.
 * Invariant: lmc_crc32(lmc_crc32(0, a), b) == lmc_crc32(0, a || b). */
#include "lmc/codec.h"

/* crc_nibble[i] = the CRC register after shifting the 4-bit value i through the polynomial. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};

uint32_t lmc_crc32(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
    }
    return ~crc;
}
