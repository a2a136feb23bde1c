# lmc_install.cmake : liblmc and what `cmake --install build --prefix P` puts under P
# (README "Installing"):
#
#   bin/lmc                                  the program (cli/CMakeLists.txt), built-in models inside
#   include/lmc/*.h                          the public API
#   LIBDIR/liblmc.so.X.Y.Z, .so.X, .so       the shared library, SONAME liblmc.so.X (X = MAJOR)
#   LIBDIR/liblmc.a                          the static library
#   LIBDIR/pkgconfig/lmc.pc                  pkg-config (Requires.private/Libs.private: --static)
#   LIBDIR/cmake/lmc/lmcConfig*.cmake        find_package(lmc): lmc::lmc, lmc::lmc_static
#   share/man/man1/lmc.1                     the man page, made from `lmc --help` (lmc_manpage.cmake)
#
# LIBDIR is GNUInstallDirs' CMAKE_INSTALL_LIBDIR: lib, or lib/<multiarch> when the prefix is /usr.
#
# liblmc is everything behind include/lmc/: codec/, the six runtime/ layers (built-in models and
# embedded kernels included), data/ and baselines/. Both libraries are made from the very object
# files of those layers' targets ($<TARGET_OBJECTS>), so the layers stay as they are (and so do
# their checks in cmake/lmc_layers.cmake), nothing is compiled twice, and no archive is unpacked
# and merged. The shared library exports exactly the functions the public headers declare (a
# version script made by cmake/lmc_exports.cmake); every internal symbol stays local. It links
# with --no-undefined, so a dependency missing from the list below fails the build here rather
# than a program that uses it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/lmc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

# ---- liblmc: its parts and the outside libraries they use ---------------------------------------
set(LMC_LIB_PARTS lmc_codec lmc_spec lmc_ref lmc_device lmc_model lmc_train lmc_exact lmc_cl_kernels)
# Each outside library as (CMake target, pkg-config module, -l name when the module is missing).
set(LMC_LIB_DEPS "OpenCL::OpenCL|OpenCL|OpenCL" "clblast|clblast|clblast")
if(TARGET lmc_data)
  list(APPEND LMC_LIB_PARTS lmc_data)
  list(APPEND LMC_LIB_DEPS "PNG::PNG|libpng|png16" "PkgConfig::FLAC|flac|FLAC")
endif()
if(TARGET lmc_baselines)
  list(APPEND LMC_LIB_PARTS lmc_baselines)
  list(APPEND LMC_LIB_DEPS "ZLIB::ZLIB|zlib|z" "LibLZMA::LibLZMA|liblzma|lzma" "PNG::PNG|libpng|png16"
                           "PkgConfig::FLAC|flac|FLAC" "PkgConfig::ZSTD|libzstd|zstd")
endif()
list(REMOVE_DUPLICATES LMC_LIB_DEPS)
set(_lmc_objects)
foreach(part IN LISTS LMC_LIB_PARTS)
  list(APPEND _lmc_objects $<TARGET_OBJECTS:${part}>)
endforeach()
set(_lmc_dep_targets m)
set(_lmc_pc_requires)
set(_lmc_pc_libs -lm)
foreach(dep IN LISTS LMC_LIB_DEPS)
  string(REPLACE "|" ";" dep "${dep}")
  list(GET dep 0 target)
  list(GET dep 1 module)
  list(GET dep 2 lib)
  list(APPEND _lmc_dep_targets ${target})
  pkg_check_modules(_lmc_pc_${lib} QUIET ${module})
  if(_lmc_pc_${lib}_FOUND)
    list(APPEND _lmc_pc_requires ${module})
  else()
    list(APPEND _lmc_pc_libs -l${lib})
  endif()
endforeach()

# A sanitized build (LMC_SANITIZE) makes sanitized libraries: whatever links them needs the same
# runtimes, so the flag travels with them (lmc.pc's Libs, the targets' link options).
set(_lmc_san_flag)
if(LMC_SANITIZE)
  string(REPLACE ";" "," _lmc_san "${LMC_SANITIZE}")
  set(_lmc_san_flag -fsanitize=${_lmc_san})
endif()

set(LMC_EXPORTS_MAP ${PROJECT_BINARY_DIR}/lmc_exports.map)
file(GLOB _lmc_public_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/lmc/*.h)
add_custom_command(OUTPUT ${LMC_EXPORTS_MAP}
  COMMAND ${CMAKE_COMMAND} -DCC=${CMAKE_C_COMPILER} -DINCLUDE=${PROJECT_SOURCE_DIR}/include
          -DOUT=${LMC_EXPORTS_MAP} -P ${PROJECT_SOURCE_DIR}/cmake/lmc_exports.cmake
  DEPENDS ${_lmc_public_headers} ${PROJECT_SOURCE_DIR}/cmake/lmc_exports.cmake
  COMMENT "Listing liblmc's exports from include/lmc/"
  VERBATIM)

add_library(lmc_shared SHARED ${_lmc_objects} ${LMC_EXPORTS_MAP})
add_library(lmc_static STATIC ${_lmc_objects})
set_source_files_properties(${LMC_EXPORTS_MAP} PROPERTIES HEADER_FILE_ONLY ON)
set_target_properties(lmc_shared PROPERTIES OUTPUT_NAME lmc EXPORT_NAME lmc
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib LINK_DEPENDS ${LMC_EXPORTS_MAP})
set_target_properties(lmc_static PROPERTIES OUTPUT_NAME lmc EXPORT_NAME lmc_static
  ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
# The sanitizers' runtimes are not linked into shared libraries by every compiler (clang), so
# --no-undefined holds in the plain builds only (as lmc_layer_check).
target_link_options(lmc_shared PRIVATE LINKER:--version-script=${LMC_EXPORTS_MAP}
  $<$<NOT:$<BOOL:${LMC_SANITIZE}>>:LINKER:--no-undefined>)
foreach(lib lmc_shared lmc_static)
  target_link_libraries(${lib} PRIVATE ${_lmc_dep_targets})
  target_include_directories(${lib} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  if(_lmc_san_flag)
    target_link_options(${lib} INTERFACE ${_lmc_san_flag})
  endif()
endforeach()

install(TARGETS lmc_shared EXPORT lmcTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS lmc_static EXPORT lmcStaticTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# ---- find_package(lmc) -----------------------------------------------------------------------
set(LMC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lmc)
install(EXPORT lmcTargets NAMESPACE lmc:: DESTINATION ${LMC_CMAKE_DIR})
install(EXPORT lmcStaticTargets NAMESPACE lmc:: DESTINATION ${LMC_CMAKE_DIR})
set(LMC_STATIC_DEP_TARGETS ${_lmc_dep_targets})
list(REMOVE_ITEM LMC_STATIC_DEP_TARGETS m)
list(JOIN LMC_STATIC_DEP_TARGETS " " LMC_STATIC_DEP_TARGETS)
configure_package_config_file(cmake/lmcConfig.cmake.in ${PROJECT_BINARY_DIR}/lmcConfig.cmake
  INSTALL_DESTINATION ${LMC_CMAKE_DIR})
# SameMajorVersion, as the SONAME: liblmc.so.X serves every X.*.* request.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lmcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lmcConfig.cmake ${PROJECT_BINARY_DIR}/lmcConfigVersion.cmake
        DESTINATION ${LMC_CMAKE_DIR})

# ---- pkg-config ------------------------------------------------------------------------------
# Relocatable: every path is relative to the .pc file's own folder (${pcfiledir}), because the
# prefix is only known when `cmake --install --prefix` runs, not when this is configured.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LMC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(LMC_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(LMC_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _rel /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(LMC_PC_PREFIX "\${pcfiledir}/${_rel}")
  set(LMC_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(LMC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
list(REMOVE_DUPLICATES _lmc_pc_requires)
list(REMOVE_DUPLICATES _lmc_pc_libs)
list(JOIN _lmc_pc_requires " " LMC_PC_REQUIRES_PRIVATE)
list(JOIN _lmc_pc_libs " " LMC_PC_LIBS_PRIVATE)
set(LMC_PC_LIBS_SANITIZE)
if(_lmc_san_flag)
  set(LMC_PC_LIBS_SANITIZE " ${_lmc_san_flag}")
endif()
configure_file(cmake/lmc.pc.in ${PROJECT_BINARY_DIR}/lmc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lmc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- the man page ----------------------------------------------------------------------------
# Made by running the program just built, so a cross build (which cannot run it) has none.
if(TARGET lmc AND NOT CMAKE_CROSSCOMPILING)
  set(LMC_MANPAGE ${PROJECT_BINARY_DIR}/man/lmc.1)
  add_custom_command(OUTPUT ${LMC_MANPAGE}
    COMMAND ${CMAKE_COMMAND} -DLMC=$<TARGET_FILE:lmc> -DOUT=${LMC_MANPAGE}
            -P ${PROJECT_SOURCE_DIR}/cmake/lmc_manpage.cmake
    DEPENDS lmc ${PROJECT_SOURCE_DIR}/cmake/lmc_manpage.cmake
    COMMENT "Man page lmc.1 from 'lmc --help'"
    VERBATIM)
  add_custom_target(lmc_manpage ALL DEPENDS ${LMC_MANPAGE})
  install(FILES ${LMC_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
