# Warnings live in an INTERFACE target (zstd's list, less the C90-only flags). LMC_WERROR turns
# them into errors; CI always sets it.
add_library(lmc_warnings INTERFACE)
target_compile_options(lmc_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wcast-qual -Wcast-align -Wundef -Wpointer-arith -Wvla
  -Wformat=2 -Wwrite-strings -Wredundant-decls
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
  $<$<BOOL:${LMC_WERROR}>:-Werror>)

# Exactness (DESIGN.md §3): the plain-C reference must round every multiply and add on its own,
# like an OpenCL kernel under FP_CONTRACT OFF. Applied to all of our C code.
add_library(lmc_exact_math INTERFACE)
target_compile_options(lmc_exact_math INTERFACE $<$<COMPILE_LANGUAGE:C,CXX>:-ffp-contract=off>)
