/* version.h : the lmc version. CMakeLists.txt reads the project version from these lines. */
#ifndef LMC_VERSION_H
#define LMC_VERSION_H

#define LMC_VERSION_MAJOR 0
#define LMC_VERSION_MINOR 1
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
