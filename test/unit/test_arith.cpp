// test_arith.cpp : the range coder (codec/arith.c) and CRC-32 (codec/crc32.c).
// The coder is checked exhaustively on small alphabets against a slow reference that keeps the
// whole code value as a big integer (no cache, no 0xFF run, no carry trick): equal bytes prove
// the fast coder's carry propagation and termination; the reference decoder finds each symbol
// by comparing big integers. Long streams check the payload against -sum log2(freq / 2^16).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lmc/codec.h"

namespace {

// Little-endian base-256 big integer, enough for the reference coder.
struct Big {
    std::vector<uint8_t> d;  // d[0] least significant
    void Shift8() { d.insert(d.begin(), 0); }
    void Add(uint64_t v) {
        unsigned carry = 0;
        for (size_t i = 0; v || carry; i++) {
            if (i >= d.size()) d.push_back(0);
            unsigned s = d[i] + (unsigned)(v & 0xFF) + carry;
            d[i] = (uint8_t)s;
            carry = s >> 8;
            v >>= 8;
        }
    }
    int Cmp(const Big &o) const {
        size_t n = std::max(d.size(), o.d.size());
        for (size_t i = n; i-- > 0;) {
            uint8_t a = i < d.size() ? d[i] : 0, b = i < o.d.size() ? o.d[i] : 0;
            if (a != b) return a < b ? -1 : 1;
        }
        return 0;
    }
};

struct Sym {
    uint32_t cum, freq;
};

constexpr uint64_t kTop = uint64_t(1) << 56, kMin = uint64_t(1) << 48;

// The interval split, written out as in FORMAT.md §5.
void Split(uint64_t range, Sym s, uint64_t *base, uint64_t *width) {
    uint64_t r = range >> 16;
    *base = r * s.cum;
    *width = s.cum + s.freq == 65536 ? range - *base : r * s.freq;
}

// Reference encoder: exact big-integer low; returns the stream bytes. carries counts additions
// that changed bytes already shifted out of the 56-bit window.
std::vector<uint8_t> RefEncode(const std::vector<Sym> &syms, int *carries) {
    Big low;
    low.d.assign(7, 0);
    uint64_t range = kTop;
    size_t shifts = 0;
    for (const Sym &s : syms) {
        uint64_t base, width;
        Split(range, s, &base, &width);
        // A carry that leaves the window changes a byte of index >= 7.
        std::vector<uint8_t> before(low.d.begin() + std::min<size_t>(7, low.d.size()), low.d.end());
        low.Add(base);
        std::vector<uint8_t> after(low.d.begin() + 7, low.d.end());
        after.resize(std::max(after.size(), before.size()));
        before.resize(after.size());
        if (before != after) (*carries)++;
        range = width;
        while (range < kMin) {
            range <<= 8;
            low.Shift8();
            shifts++;
        }
    }
    // Termination: the value in [low, low + range) with the most trailing zero bits.
    Big hi = low;
    hi.Add(range);
    Big best = low;
    for (int k = 56; k > 0; k--) {
        // v = low rounded up to a multiple of 2^k.
        Big v = low;
        int byte = k / 8, bit = k % 8;
        bool nonzero_below = false;
        for (int i = 0; i < byte && i < (int)v.d.size(); i++) nonzero_below |= v.d[i] != 0;
        if (byte < (int)v.d.size() && (v.d[byte] & ((1u << bit) - 1))) nonzero_below = true;
        for (int i = 0; i < byte && i < (int)v.d.size(); i++) v.d[i] = 0;
        if (byte < (int)v.d.size()) v.d[byte] &= (uint8_t)~((1u << bit) - 1);
        if (nonzero_below) {
            // add 2^k
            Big inc;
            inc.d.assign(byte + 1, 0);
            inc.d[byte] = (uint8_t)(1u << bit);
            unsigned carry = 0;
            for (size_t i = 0; i < std::max(v.d.size(), inc.d.size()) || carry; i++) {
                if (i >= v.d.size()) v.d.push_back(0);
                unsigned s = v.d[i] + (i < inc.d.size() ? inc.d[i] : 0) + carry;
                v.d[i] = (uint8_t)s;
                carry = s >> 8;
            }
        }
        if (v.Cmp(hi) < 0) {
            best = v;
            break;
        }
    }
    // The stream: the value in 7 + shifts bytes, most significant first, trailing zeros cut.
    size_t nbytes = 7 + shifts;
    std::vector<uint8_t> out(nbytes);
    for (size_t i = 0; i < nbytes; i++) out[i] = i < best.d.size() ? best.d[nbytes - 1 - i] : 0;
    EXPECT_TRUE(best.d.size() <= nbytes || best.d[nbytes] == 0) << "carry out of the first byte";
    while (!out.empty() && out.back() == 0) out.pop_back();
    return out;
}

// Reference decoder: big-integer comparisons only.
std::vector<int> RefDecode(const std::vector<uint8_t> &bytes, const std::vector<std::vector<Sym>> &tables,
                           size_t n) {
    std::vector<int> out;
    uint64_t range = kTop;
    size_t shifts = 0;
    Big low;
    low.d.assign(7, 0);
    auto value = [&](size_t nb) {
        Big v;
        v.d.assign(nb, 0);
        for (size_t i = 0; i < nb; i++) v.d[nb - 1 - i] = i < bytes.size() ? bytes[i] : 0;
        return v;
    };
    for (size_t t = 0; t < n; t++) {
        Big v = value(7 + shifts);
        const std::vector<Sym> &tab = tables[t % tables.size()];
        int found = -1;
        uint64_t fbase = 0, fwidth = 0;
        for (size_t s = 0; s < tab.size(); s++) {
            uint64_t base, width;
            Split(range, tab[s], &base, &width);
            Big lo = low, hi = low;
            lo.Add(base);
            hi.Add(base);
            hi.Add(width);
            if (lo.Cmp(v) <= 0 && v.Cmp(hi) < 0) {
                found = (int)s;
                fbase = base;
                fwidth = width;
                break;
            }
        }
        if (found < 0) return out;
        out.push_back(found);
        low.Add(fbase);
        range = fwidth;
        while (range < kMin) {
            range <<= 8;
            low.Shift8();
            shifts++;
        }
    }
    return out;
}

std::vector<Sym> Table(const std::vector<uint32_t> &freqs) {
    std::vector<Sym> t;
    uint32_t cum = 0;
    for (uint32_t f : freqs) {
        t.push_back({cum, f});
        cum += f;
    }
    EXPECT_EQ(cum, 65536u);
    return t;
}

std::vector<uint8_t> FastEncode(const std::vector<Sym> &syms) {
    std::vector<uint8_t> buf(lmc_arith_bound(syms.size()));
    lmc_arith_encoder e;
    lmc_arith_encoder_init(&e, buf.data(), buf.size());
    for (const Sym &s : syms) lmc_arith_encode(&e, s.cum, s.freq);
    size_t n = 0;
    EXPECT_EQ(lmc_arith_encoder_finish(&e, &n), LMC_OK);
    buf.resize(n);
    return buf;
}

std::vector<int> FastDecode(const std::vector<uint8_t> &bytes, const std::vector<std::vector<Sym>> &tables,
                            size_t n) {
    lmc_arith_decoder d;
    lmc_arith_decoder_init(&d, bytes.data(), bytes.size());
    std::vector<int> out;
    for (size_t t = 0; t < n; t++) {
        const std::vector<Sym> &tab = tables[t % tables.size()];
        uint32_t target = lmc_arith_decode_target(&d);
        size_t s = 0;
        while (tab[s].cum + tab[s].freq <= target) s++;
        lmc_arith_decode_update(&d, tab[s].cum, tab[s].freq);
        out.push_back((int)s);
    }
    return out;
}

}  // namespace

TEST(Crc32, KnownVectorsAndIncremental) {
    // The standard check value of CRC-32/ISO-HDLC (zlib's crc32).
    EXPECT_EQ(lmc_crc32(0, "123456789", 9), 0xCBF43926u);
    EXPECT_EQ(lmc_crc32(0, "", 0), 0u);
    EXPECT_EQ(lmc_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    EXPECT_EQ(lmc_crc32(lmc_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
}

// Every sequence up to a length over small alphabets whose tables push the coder to its edges
// (a symbol of freq 1 at either end, the remainder-taking last symbol, near-equal halves):
// the fast coder's bytes equal the big-integer reference's, and both decoders give the input.
TEST(Arith, ExhaustiveAgainstBigIntegerReference) {
    const std::vector<std::vector<uint32_t>> alphabets = {
        {1, 65534, 1}, {65535, 1}, {1, 65535}, {32768, 32767, 1}, {21845, 21845, 21846}, {3, 7, 65526}};
    int carries = 0;
    size_t cases = 0;
    for (const auto &freqs : alphabets) {
        std::vector<Sym> tab = Table(freqs);
        std::vector<std::vector<Sym>> tables = {tab};
        const size_t k = freqs.size();
        size_t max_len = k == 2 ? 13 : 8;
        for (size_t len = 0; len <= max_len; len++) {
            size_t count = 1;
            for (size_t i = 0; i < len; i++) count *= k;
            for (size_t code = 0; code < count; code++) {
                std::vector<Sym> syms;
                std::vector<int> want;
                for (size_t i = 0, c = code; i < len; i++, c /= k) {
                    syms.push_back(tab[c % k]);
                    want.push_back((int)(c % k));
                }
                std::vector<uint8_t> fast = FastEncode(syms), ref = RefEncode(syms, &carries);
                ASSERT_EQ(fast, ref) << "alphabet " << cases << " length " << len << " code " << code;
                ASSERT_EQ(FastDecode(fast, tables, len), want);
                ASSERT_EQ(RefDecode(fast, tables, len), want);
                cases++;
            }
        }
    }
    // The comparison means something only if carries into bytes already out happened.
    EXPECT_GT(carries, 100) << "no carry was exercised";
    std::printf("exhaustive: %zu sequences, %d carries past the window\n", cases, carries);
}

// Long random streams with random tables, including runs that build long 0xFF chains.
TEST(Arith, RandomStreamsAgainstReference) {
    std::mt19937_64 rng(7);
    int carries = 0;
    for (int iter = 0; iter < 60; iter++) {
        std::vector<std::vector<Sym>> tables;
        for (int t = 0; t < 5; t++) {
            size_t k = 2 + rng() % 6;
            std::vector<uint32_t> f(k, 1);
            uint32_t left = 65536 - (uint32_t)k;
            for (size_t i = 0; i + 1 < k; i++) {
                uint32_t take = (uint32_t)(rng() % (left + 1));
                if (iter % 3 == 0) take = i == 0 ? left : 0;  // extreme tables
                f[i] += take;
                left -= take;
            }
            f[k - 1] += left;
            tables.push_back(Table(f));
        }
        size_t n = 50 + rng() % 150;
        std::vector<Sym> syms;
        std::vector<int> want;
        for (size_t t = 0; t < n; t++) {
            const auto &tab = tables[t % tables.size()];
            // Mostly the last symbol (low climbs toward 0xFF...), sometimes another.
            int s = (rng() % 4) ? (int)tab.size() - 1 : (int)(rng() % tab.size());
            syms.push_back(tab[s]);
            want.push_back(s);
        }
        std::vector<uint8_t> fast = FastEncode(syms);
        ASSERT_EQ(fast, RefEncode(syms, &carries)) << "iteration " << iter;
        ASSERT_EQ(FastDecode(fast, tables, n), want);
    }
    EXPECT_GT(carries, 0);
}

// The payload of long streams is within 0.1% of -sum log2(freq / 2^16), plus the few bytes
// of termination.
TEST(Arith, PayloadWithinTenthOfAPercentOfIdeal) {
#ifdef LMC_TEST_SMALL
    const size_t n = 200000;
#else
    const size_t n = 2000000;
#endif
    std::mt19937_64 rng(11);
    struct Case {
        const char *name;
        std::vector<uint32_t> freqs;
        int mode;  // 0 sample from the table, 1 always the big symbol, 2 always the smallest
    };
    const std::vector<Case> cases = {
        {"skewed-likely", {1, 65535 - 255, 1}, 1},
        {"skewed-likely-not-last", {65535 - 255, 1, 1}, 1},
        {"least-likely", {65534, 1, 1}, 2},
        {"sampled", {30000, 20000, 10000, 5000, 536}, 0},
    };
    for (const Case &c : cases) {
        std::vector<uint32_t> f = c.freqs;
        uint32_t sum = 0;
        for (uint32_t x : f) sum += x;
        f.back() += 65536 - sum;
        std::vector<Sym> tab = Table(f);
        std::vector<uint8_t> buf(lmc_arith_bound(n));
        lmc_arith_encoder e;
        lmc_arith_encoder_init(&e, buf.data(), buf.size());
        double ideal_bits = 0;
        size_t smallest = 0, biggest = 0;
        for (size_t i = 0; i < f.size(); i++) {
            if (f[i] < f[smallest]) smallest = i;
            if (f[i] > f[biggest]) biggest = i;
        }
        std::discrete_distribution<int> dist(f.begin(), f.end());
        std::vector<uint8_t> syms(n);
        for (size_t t = 0; t < n; t++) {
            size_t s = c.mode == 1 ? biggest : c.mode == 2 ? smallest : (size_t)dist(rng);
            syms[t] = (uint8_t)s;
            lmc_arith_encode(&e, tab[s].cum, tab[s].freq);
            ideal_bits -= std::log2(tab[s].freq / 65536.0);
        }
        size_t len = 0;
        ASSERT_EQ(lmc_arith_encoder_finish(&e, &len), LMC_OK);
        double ideal = ideal_bits / 8;
        std::printf("%-24s ideal %.1f bytes, payload %zu bytes (%+.4f%%)\n", c.name, ideal, len,
                    100.0 * ((double)len - ideal) / ideal);
        EXPECT_LE((double)len, ideal * 1.001 + 8) << c.name;
        // (Shorter than ideal happens only when the stream ends in zeros: a run of the first
        // symbol costs nothing at the end, as the length is known.) It decodes:
        buf.resize(len);
        lmc_arith_decoder d;
        lmc_arith_decoder_init(&d, buf.data(), buf.size());
        for (size_t t = 0; t < n; t++) {
            uint32_t target = lmc_arith_decode_target(&d);
            size_t s = 0;
            while (tab[s].cum + tab[s].freq <= target) s++;
            lmc_arith_decode_update(&d, tab[s].cum, tab[s].freq);
            ASSERT_EQ(s, syms[t]) << c.name << " symbol " << t;
        }
    }
}

// Arbitrary bytes decode without fault: the decoder's invariant code < range holds for any
// input, so every target lies in the table.
TEST(Arith, DecodingGarbageStaysInRange) {
    std::mt19937_64 rng(3);
    std::vector<std::vector<Sym>> tables = {Table({1, 65534, 1}), Table({65535, 1})};
    for (int iter = 0; iter < 2000; iter++) {
        std::vector<uint8_t> bytes(rng() % 40);
        for (auto &b : bytes) b = (uint8_t)(iter % 2 ? 0xFF : rng());
        std::vector<int> out = FastDecode(bytes, tables, 64);
        ASSERT_EQ(out.size(), 64u);
    }
}

TEST(Arith, BufferTooSmallIsReported) {
    std::vector<uint8_t> buf(4);
    lmc_arith_encoder e;
    lmc_arith_encoder_init(&e, buf.data(), buf.size());
    for (int i = 0; i < 100; i++) lmc_arith_encode(&e, 0, 1);  // 16 bits each
    size_t need = 0;
    EXPECT_EQ(lmc_arith_encoder_finish(&e, &need), LMC_ERR_BUFFER_TOO_SMALL);
    EXPECT_GE(need, 200u);
    EXPECT_LE(need, lmc_arith_bound(100));
}
