// frame_kinds.h : the frame records of a whole .lmc stream, read by the letter of
// codec/FORMAT.md §2-§3 and independently of codec/container.c, so that a test can say which
// windows a stream stores and where their bytes are: kind 'C' for a coded window, 'S' for a
// stored one (version 2), in input order. An empty list means the bytes are not frame records
// up to an end record (the tests only call it on streams the codec wrote).
#ifndef LMC_TEST_FRAME_KINDS_H
#define LMC_TEST_FRAME_KINDS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lmc_test {

struct FrameRecord {
    size_t offset;          // of the tag
    size_t payload_offset;  // of the payload (coder output, or the stored bytes)
    uint64_t payload_len;   // P
    char kind;              // 'C' coded, 'S' stored
};

inline std::vector<FrameRecord> Frames(const std::vector<uint8_t> &z) {
    if (z.size() < 60) return {};
    auto le = [&](size_t at, int n) {
        uint64_t v = 0;
        for (int i = 0; i < n; i++) v |= (uint64_t)z[at + (size_t)i] << (8 * i);
        return v;
    };
    size_t off = 60;
    auto varint = [&](uint64_t *v) {
        *v = 0;
        for (int i = 0; i < 10 && off < z.size(); i++) {
            uint8_t b = z[off++];
            *v |= (uint64_t)(b & 0x7F) << (7 * i);
            if (!(b & 0x80)) return true;
        }
        return false;
    };
    const uint64_t version = le(8, 2), group = le(20, 4);
    if (group == 0) return {};
    std::vector<FrameRecord> frames;
    for (;;) {
        FrameRecord f;
        f.offset = off;
        uint64_t tag, len;
        if (!varint(&tag)) return {};
        if (tag == 0) return frames;
        const uint64_t v = tag - 1;
        const bool short_win = v & 1, stored = version >= 2 && (v >> 1 & 1);
        f.payload_len = version >= 2 ? v >> 2 : v >> 1;
        f.kind = stored ? 'S' : 'C';
        if (short_win && !varint(&len)) return {};
        f.payload_offset = off;
        off += (size_t)f.payload_len;
        frames.push_back(f);
        if (frames.size() % group == 0) off += 4;  // the group CRC
        if (off >= z.size()) return {};
    }
}

// "CCSC...": the kinds of the frames in input order.
inline std::string FrameKinds(const std::vector<uint8_t> &z) {
    std::string kinds;
    for (const FrameRecord &f : Frames(z)) kinds += f.kind;
    return kinds;
}

}  // namespace lmc_test

#endif  // LMC_TEST_FRAME_KINDS_H
