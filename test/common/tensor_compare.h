// tensor_compare.h : comparing a device tensor with its reference, llm.c check_tensor style:
// |got - want| <= tol * (1 + |want|) elementwise (a relative error with an absolute floor at
// magnitudes below 1); the first mismatches and the largest error are printed on failure.
#ifndef LMC_TENSOR_COMPARE_H
#define LMC_TENSOR_COMPARE_H

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace lmc_test {

inline ::testing::AssertionResult TensorNear(const std::string &what, const float *got, const float *want, size_t n,
                                             double tol) {
    size_t bad = 0, worst = 0;
    double worst_err = 0;
    std::string first;
    for (size_t i = 0; i < n; i++) {
        double err = std::fabs((double)got[i] - (double)want[i]) / (1.0 + std::fabs((double)want[i]));
        if (!(err <= tol)) {  // NaN counts as a mismatch
            if (bad < 5)
                first += "\n  [" + std::to_string(i) + "] got " + std::to_string(got[i]) + " want " +
                         std::to_string(want[i]);
            bad++;
        }
        if (err > worst_err || std::isnan(err)) {
            worst_err = err;
            worst = i;
        }
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": " << bad << " of " << n << " elements beyond tolerance " << tol
                                         << ", worst scaled error " << worst_err << " at [" << worst << "]" << first;
}

inline ::testing::AssertionResult TensorNear(const std::string &what, const std::vector<float> &got,
                                             const std::vector<float> &want, double tol) {
    if (got.size() != want.size())
        return ::testing::AssertionFailure() << what << ": size " << got.size() << " vs " << want.size();
    return TensorNear(what, got.data(), want.data(), got.size(), tol);
}

}  // namespace lmc_test

#endif  // LMC_TENSOR_COMPARE_H
