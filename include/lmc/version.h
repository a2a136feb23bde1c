/* version.h : the lmc version. CMakeLists.txt reads the project version from these lines.
 * MAJOR is also liblmc's SONAME, liblmc.so.MAJOR (cmake/lmc_install.cmake): bump it whenever a
 * program built against the previous liblmc.so could break with the new one (a public struct's
 * size or layout, a function's signature or meaning; test/unit/test_abi.cpp records the struct
 * layouts of this MAJOR); MINOR for additions that keep every old program working.
 * 1 (liblmc.so.1): lmc_train_params grew micro_batches, a layout liblmc.so.0's programs do not
 * allocate. */
#ifndef LMC_VERSION_H
#define LMC_VERSION_H

#define LMC_VERSION_MAJOR 1
#define LMC_VERSION_MINOR 0
#define LMC_VERSION_PATCH 0

#define LMC_VERSION_NUMBER (LMC_VERSION_MAJOR * 10000 + LMC_VERSION_MINOR * 100 + LMC_VERSION_PATCH)
#define LMC_STRINGIFY_(x) #x
#define LMC_STRINGIFY(x) LMC_STRINGIFY_(x)
#define LMC_VERSION_STRING \
    LMC_STRINGIFY(LMC_VERSION_MAJOR) "." LMC_STRINGIFY(LMC_VERSION_MINOR) "." LMC_STRINGIFY(LMC_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* lmc_version_string() : the version of the library actually linked, "MAJOR.MINOR.PATCH".
 * @return a static string; never NULL. */
const char *lmc_version_string(void);

/* lmc_version_number() : LMC_VERSION_NUMBER of the linked library. */
unsigned lmc_version_number(void);

#ifdef __cplusplus
}
#endif
#endif /* LMC_VERSION_H */
