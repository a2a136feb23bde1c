// test_abi.cpp : liblmc's ABI against its SONAME. liblmc.so.MAJOR (cmake/lmc_install.cmake,
// SOVERSION = LMC_VERSION_MAJOR) promises programs built against an earlier liblmc.so.MAJOR that
// every public struct they allocate or read keeps its layout. Proves: the size and alignment of
// every struct the public headers define are those recorded below for this MAJOR, on LP64
// (x86-64, AArch64); a struct that grows, shrinks or changes alignment fails here with the
// instruction to bump LMC_VERSION_MAJOR (include/lmc/version.h) and record the new layouts.
// Not caught: fields reordered within the same size, a changed function signature (review
// those). Other platforms skip with a message (their sizes differ).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>

#include "lmc/lmc.h"

namespace {

struct Layout {
    const char *name;
    size_t size, align;            // this build's
    size_t want_size, want_align;  // recorded for LMC_VERSION_MAJOR
};

#define LAYOUT(T, size, align) \
    { #T, sizeof(T), alignof(T), size, align }

}  // namespace

TEST(Abi, PublicStructLayoutsMatchTheSoname) {
#if !(defined(__LP64__) && (defined(__x86_64__) || defined(__aarch64__)))
    GTEST_SKIP() << "the layouts are recorded for LP64 x86-64 and AArch64 only";
#else
    static_assert(LMC_VERSION_MAJOR == 1, "a new MAJOR: record its layouts below");
    const Layout layouts[] = {
        LAYOUT(lmc_buffer, 24, 8),
        LAYOUT(lmc_baseline, 32, 8),
        LAYOUT(lmc_baseline_result, 80, 8),
        LAYOUT(lmc_arith_encoder, 56, 8),
        LAYOUT(lmc_arith_decoder, 48, 8),
        LAYOUT(lmc_predictor_vtable, 24, 8),
        LAYOUT(lmc_predictor, 56, 8),
        LAYOUT(lmc_codec_params, 8, 4),
        LAYOUT(lmc_codec_stats, 48, 8),
        LAYOUT(lmc_container_info, 88, 8),
        LAYOUT(lmc_container_index, 112, 8),
        LAYOUT(lmc_dataset_params, 24, 8),
        LAYOUT(lmc_device_info, 1392, 8),
        LAYOUT(lmc_exact_predictor_params, 24, 8),
        LAYOUT(lmc_exact_profile_row, 48, 8),
        LAYOUT(lmc_exact_profile, 1560, 8),
        LAYOUT(lmc_model_config, 16, 4),
        LAYOUT(lmc_model_params, 24, 8),
        LAYOUT(lmc_tensor_desc, 88, 8),
        LAYOUT(lmc_train_params, 80, 8),
        LAYOUT(lmc_train_exchange, 24, 8),
    };
    for (const Layout &l : layouts) {
        EXPECT_EQ(l.size, l.want_size)
            << l.name << " is " << l.size << " bytes, " << l.want_size << " in liblmc.so."
            << LMC_VERSION_MAJOR << ": bump LMC_VERSION_MAJOR (the SONAME) and record the new layouts here";
        EXPECT_EQ(l.align, l.want_align)
            << l.name << " is aligned to " << l.align << ", " << l.want_align << " in liblmc.so."
            << LMC_VERSION_MAJOR << ": bump LMC_VERSION_MAJOR and record the new layouts here";
    }
#endif
}
