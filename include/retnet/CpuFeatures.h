//===- CpuFeatures.h - CPU features a model library needs -------*- C++ -*-===//
//
// The x86 features whose absence makes generated code fault (SIGILL), by
// LLVM's names, which are also those of __builtin_cpu_supports. retnet-compile
// records the ones its target enables in each model library
// (retnet_abi_cpu_features); retnet_model_load checks them on the CPU it
// runs on before any generated code runs. Plain C++: the runtime does not
// link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_CPUFEATURES_H
#define RETNET_CPUFEATURES_H

#include <string>

// X(name) for each checked feature, baseline first.
// clang-format off
#define RETNET_CHECKED_CPU_FEATURES(X)                                         \
  X("cmov") X("cx16") X("sse2") X("sse3") X("ssse3") X("sse4.1") X("sse4.2")  \
  X("popcnt") X("xsave") X("avx") X("avx2") X("fma") X("f16c") X("bmi")      \
  X("bmi2") X("lzcnt") X("movbe") X("adx") X("pclmul") X("sha") X("gfni")    \
  X("vaes") X("vpclmulqdq") X("avxvnni") X("avxifma") X("avxvnniint8")       \
  X("avx512f") X("avx512cd") X("avx512bw") X("avx512dq") X("avx512vl")       \
  X("avx512ifma") X("avx512vbmi") X("avx512vbmi2") X("avx512vnni")           \
  X("avx512bitalg") X("avx512vpopcntdq") X("avx512bf16") X("avx512fp16")     \
  X("amx-tile") X("amx-int8") X("amx-bf16")
// clang-format on

namespace retnet_runtime {
/// The first of the comma-separated `required` features that this CPU lacks,
/// or "" when it has them all. With the environment variable
/// RETNET_ASSUME_CPU_FEATURES set (a comma-separated list), the CPU is taken
/// to have exactly those features: a way to test a library for a machine
/// other than this one. A name outside RETNET_CHECKED_CPU_FEATURES is
/// reported as missing.
std::string firstMissingCpuFeature(const std::string &required);
} // namespace retnet_runtime

#endif // RETNET_CPUFEATURES_H
