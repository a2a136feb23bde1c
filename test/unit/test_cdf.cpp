// test_cdf.cpp : the quantiser (codec/cdf.c): its invariants on every kind of row, its exp
// table against double precision, and its code-length loss against the softmax of the same
// logits computed in double precision (here only: the codec has no floats).
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lmc/codec.h"
#include "../../codec/exp_table.h"

// codec/cdf.c built with LMC_CODEC_NO_SIMD (cdf_plain.c).
extern "C" {
void lmc_quantize_row_plain(const int32_t logits[256], uint32_t freq[256]);
void lmc_quantize_interval_plain(const int32_t logits[256], unsigned sym, uint32_t *cum, uint32_t *freq);
unsigned lmc_quantize_find_plain(const int32_t logits[256], uint32_t target, uint32_t *cum, uint32_t *freq);
}

namespace {

void CheckTable(const int32_t *row, const char *what) {
    uint32_t f[256];
    lmc_quantize_row(row, f);
    uint64_t sum = 0;
    for (int c = 0; c < 256; c++) {
        ASSERT_GE(f[c], 1u) << what << " symbol " << c;
        sum += f[c];
    }
    ASSERT_EQ(sum, 65536u) << what;
    // Monotone: a larger logit never gets a smaller frequency.
    for (int a = 0; a < 256; a += 7)
        for (int b = 0; b < 256; b += 5) {
            if (row[a] > row[b]) {
                ASSERT_GE(f[a], f[b]) << what;
            }
        }
    // The encoder's fast path agrees with the full table on every symbol.
    uint32_t cum = 0;
    for (unsigned c = 0; c < 256; c++) {
        uint32_t ic, iff;
        lmc_quantize_interval(row, c, &ic, &iff);
        ASSERT_EQ(ic, cum) << what << " symbol " << c;
        ASSERT_EQ(iff, f[c]) << what << " symbol " << c;
        // The decoder's fast path finds c at both ends of its interval.
        for (uint32_t target : {cum, cum + f[c] - 1}) {
            ASSERT_EQ(lmc_quantize_find(row, target, &ic, &iff), c) << what << " target " << target;
            ASSERT_EQ(ic, cum);
            ASSERT_EQ(iff, f[c]);
        }
        cum += f[c];
    }
}

}  // namespace

TEST(Quantize, ExtremeRowsKeepInvariants) {
    int32_t row[256];
    const int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX};
    for (int32_t a : extremes)
        for (int32_t b : extremes) {
            for (int c = 0; c < 256; c++) row[c] = (c % 3) ? a : b;
            CheckTable(row, "two-valued");
            for (int c = 0; c < 256; c++) row[c] = c == 200 ? a : b;
            CheckTable(row, "one-vs-rest");
        }
    for (int c = 0; c < 256; c++) row[c] = INT32_MIN + c * 16777216;  // steps of 256 nats
    CheckTable(row, "ramp");
    // One symbol at INT32_MAX, the rest at INT32_MIN: the skewed extreme, 65281 vs 1.
    for (int c = 0; c < 256; c++) row[c] = c == 9 ? INT32_MAX : INT32_MIN;
    uint32_t f[256];
    lmc_quantize_row(row, f);
    EXPECT_EQ(f[9], 65536u - 255u);
    // Ties: equal logits get equal frequencies except the first maximum, which takes the rest.
    for (int c = 0; c < 256; c++) row[c] = 12345;
    lmc_quantize_row(row, f);
    for (int c = 1; c < 256; c++) EXPECT_EQ(f[c], f[1]);
    EXPECT_EQ(f[0] + 255 * f[1], 65536u);
}

TEST(Quantize, RandomRowsKeepInvariants) {
    std::mt19937_64 rng(5);
    int32_t row[256];
#ifdef LMC_TEST_SMALL
    const int rows = 600;
#else
    const int rows = 3000;
#endif
    for (int iter = 0; iter < rows; iter++) {
        int scale_bits = iter % 31;  // from 1 Q16 unit to 2^30 (16384 nats)
        for (int c = 0; c < 256; c++) {
            int64_t v = (int64_t)(rng() % (UINT64_C(2) << scale_bits)) - (INT64_C(1) << scale_bits);
            row[c] = (int32_t)v;
        }
        ASSERT_NO_FATAL_FAILURE(CheckTable(row, "random"));
    }
}

// The committed table is what its generator says: 65535 exp(-(j + 0.5) / 256), within the one
// unit that libm differences may move a rounding, and it reaches 0 before its end.
TEST(Quantize, ExpTableMatchesDoublePrecision) {
    for (int j = 0; j < LMC_EXP_TABLE_SIZE; j++) {
        double want = 65535 * std::exp(-(j + 0.5) / 256.0);
        ASSERT_LE(std::fabs(lmc_exp_table[j] - want), 0.5 + 1e-6) << "entry " << j;
    }
    EXPECT_EQ(lmc_exp_table[LMC_EXP_TABLE_SIZE - 1], 0u);
}

// The library (SSE2 where available) and its plain C path both compute exactly quantiser 1 as
// FORMAT.md §5 writes it, re-implemented here in the plainest integer C++.
TEST(Quantize, MatchesTheSpecification) {
    auto spec = [](const int32_t *l, uint32_t *f) {
        int64_t m = l[0];
        int a = 0;
        for (int c = 1; c < 256; c++)
            if (l[c] > m) {
                m = l[c];
                a = c;
            }
        uint64_t w[256], S = 0;
        for (int c = 0; c < 256; c++) {
            int64_t d = std::min<int64_t>(m - l[c], int64_t(LMC_EXP_TABLE_SIZE - 1) * 256);
            w[c] = lmc_exp_table[d / 256];
            S += w[c];
        }
        uint64_t r = (uint64_t(65280) << 16) / S, total = 0;
        for (int c = 0; c < 256; c++) {
            f[c] = uint32_t(1 + (w[c] * r >> 16));
            total += f[c];
        }
        f[a] += uint32_t(65536 - total);
    };
    std::mt19937_64 rng(21);
    int32_t row[256];
    for (int iter = 0; iter < 20000; iter++) {
        int scale_bits = iter % 32;
        for (int c = 0; c < 256; c++) {
            uint64_t x = rng();
            row[c] = scale_bits == 31 ? int32_t(uint32_t(x)) : int32_t(int64_t(x % (UINT64_C(2) << scale_bits)) - (INT64_C(1) << scale_bits));
            if (iter % 7 == 0 && c % 5 == 0) row[c] = row[0];  // ties
        }
        uint32_t got[256], want[256], plain[256];
        lmc_quantize_row(row, got);
        lmc_quantize_row_plain(row, plain);
        spec(row, want);
        ASSERT_EQ(0, memcmp(got, want, sizeof got)) << "row " << iter;
        ASSERT_EQ(0, memcmp(plain, want, sizeof plain)) << "plain C path, row " << iter;
        unsigned sym = unsigned(rng() % 256);
        uint32_t c1, f1, c2, f2;
        lmc_quantize_interval(row, sym, &c1, &f1);
        lmc_quantize_interval_plain(row, sym, &c2, &f2);
        ASSERT_EQ(c1, c2);
        ASSERT_EQ(f1, f2);
        uint32_t target = uint32_t(rng() % 65536);
        ASSERT_EQ(lmc_quantize_find(row, target, &c1, &f1), lmc_quantize_find_plain(row, target, &c2, &f2));
        ASSERT_EQ(c1, c2);
    }
}

// Loss of the quantiser: E_p[-log2 q] - E_p[-log2 p] (bits per symbol) where p is the softmax
// of the same logits in double precision and q = freq / 2^16, for rows from flat to peaked.
TEST(Quantize, LossAgainstDoubleSoftmaxIsSmall) {
    std::mt19937_64 rng(9);
    std::normal_distribution<double> normal;
    const double scales[] = {0.1, 1, 2, 4, 8, 16};  // logit standard deviation in nats
    double worst_loss = 0;
    for (double scale : scales) {
        double loss = 0, entropy = 0;
        const int rows = 400;
        for (int r = 0; r < rows; r++) {
            int32_t row[256];
            double x[256], m = -1e300, z = 0;
            for (int c = 0; c < 256; c++) {
                row[c] = (int32_t)std::lround(normal(rng) * scale * 65536);
                x[c] = row[c] / 65536.0;
                m = std::max(m, x[c]);
            }
            for (int c = 0; c < 256; c++) z += std::exp(x[c] - m);
            uint32_t f[256];
            lmc_quantize_row(row, f);
            for (int c = 0; c < 256; c++) {
                double p = std::exp(x[c] - m) / z;
                if (p == 0) continue;
                loss += p * (std::log2(p) - std::log2(f[c] / 65536.0));
                entropy -= p * std::log2(p);
            }
        }
        loss /= rows;
        entropy /= rows;
        std::printf("logit sd %5.1f nats: entropy %.4f bits, quantiser loss %.6f bits/symbol (%.3f%%)\n",
                    scale, entropy, loss, 100 * loss / entropy);
        worst_loss = std::max(worst_loss, loss);
    }
    // The floor of 1 per symbol takes 256/65536 of the mass: about 0.0056 bits on peaked rows.
    EXPECT_LT(worst_loss, 0.008);
    EXPECT_GT(worst_loss, 0.0);
}
