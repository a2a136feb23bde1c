# Every dependency of DESIGN.md §7 is required. A missing one stops configure and names the
# Debian package that provides it; scripts/install-deps.sh installs them all.
include(FindPkgConfig)

function(lmc_missing what package)
  message(FATAL_ERROR "lmc: ${what} not found. Install it with: apt-get install -y ${package}"
                      " (or run scripts/install-deps.sh, which installs every dependency)")
endfunction()

find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  lmc_missing("pkg-config" "pkg-config")
endif()

find_package(OpenCL QUIET)
if(NOT OpenCL_FOUND)
  lmc_missing("OpenCL ICD loader and headers" "ocl-icd-opencl-dev opencl-headers")
endif()

find_package(CLBlast CONFIG QUIET)
if(NOT CLBlast_FOUND)
  lmc_missing("CLBlast" "libclblast-dev")
endif()

find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  lmc_missing("zlib" "zlib1g-dev")
endif()

find_package(PNG QUIET)
if(NOT PNG_FOUND)
  lmc_missing("libpng" "libpng-dev")
endif()

find_package(LibLZMA QUIET)
if(NOT LIBLZMA_FOUND)
  lmc_missing("liblzma" "liblzma-dev")
endif()

pkg_check_modules(FLAC QUIET IMPORTED_TARGET flac)
if(NOT FLAC_FOUND)
  lmc_missing("libFLAC (pkg-config flac)" "libflac-dev")
endif()

pkg_check_modules(ZSTD QUIET IMPORTED_TARGET libzstd)
if(NOT ZSTD_FOUND)
  lmc_missing("zstd library (pkg-config libzstd)" "libzstd-dev")
endif()

find_package(Threads REQUIRED)

if(LMC_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    lmc_missing("GoogleTest" "libgtest-dev")
  endif()
endif()
