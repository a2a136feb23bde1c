// common.cl : prepended to every lmc program, after the host's #define preamble.
//
// Determinism first (DESIGN.md §3): contraction of a*b+c into fma is off for every kernel, so a
// multiply and an add each round on their own, the same as the plain-C reference compiled with
// -ffp-contract=off. A kernel that wants an fma writes fma() explicitly. Nothing here may use
// native_* functions or rely on relaxed-math build options.
#pragma OPENCL FP_CONTRACT OFF

typedef uint u32;
typedef int i32;
