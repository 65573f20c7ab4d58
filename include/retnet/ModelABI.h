//===- ModelABI.h - The interface of compiled models to the runtime -------===//
//
// What a model library's generated code and its runtime agree on: the names
// of the entry points and of the globals, the memref descriptor the entry
// points take, and their function types. The compiler (lib/Import,
// retnet-compile), the runtime (lib/Runtime) and retnet-run include this one
// header. Plain C++: the runtime does not link LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_MODELABI_H
#define RETNET_MODELABI_H

#include <cstdint>
#include <string>

// The symbol names as string literals, so that the runtime can bind its
// declarations to them (`__asm__` labels) and the compiler can emit them.
// All start with `retnet_` (no reserved identifiers).
#define RETNET_ABI_PREFILL_ALL "retnet_graph_prefill_all"
#define RETNET_ABI_PREFILL_LAST "retnet_graph_prefill_last"
#define RETNET_ABI_DECODE "retnet_graph_decode"
/// Prefix of the C interface that MLIR's `llvm.emit_c_interface` gives a
/// function: its memref arguments become pointers to descriptors.
#define RETNET_ABI_C_INTERFACE(name) "_mlir_ciface_" name
#define RETNET_ABI_MODEL_SHAPE_SUFFIX "abi_model_shape"
#define RETNET_ABI_CONFIG_JSON_SUFFIX "abi_config_json"
#define RETNET_ABI_BUFFERS_SUFFIX "abi_buffers"
#define RETNET_ABI_CPU_FEATURES_SUFFIX "abi_cpu_features"
#define RETNET_ABI_MODEL_SHAPE "retnet_" RETNET_ABI_MODEL_SHAPE_SUFFIX
#define RETNET_ABI_CONFIG_JSON "retnet_" RETNET_ABI_CONFIG_JSON_SUFFIX
#define RETNET_ABI_BUFFERS "retnet_" RETNET_ABI_BUFFERS_SUFFIX
#define RETNET_ABI_CPU_FEATURES "retnet_" RETNET_ABI_CPU_FEATURES_SUFFIX

namespace retnet_abi {
/// Entry points (generated with C interfaces): the packed weights (bytes:
/// f32 and the library's weight type, ModelLayout.h) and the
/// decay of each head (f64 [H], the model's: from its checkpoint or the
/// formula of its description), tokens [B, T] in, logits of every position
/// [B, T, V] or of the last one [B, V] out, the retention states of every
/// layer [L, B, H, dk, dv] (a strided view: some rows of a larger state)
/// updated in place, and the position of each
/// row's first token, int64 [B] (rows are independent sequences, each at
/// its own position).
inline constexpr const char *kPrefillAllEntry = RETNET_ABI_PREFILL_ALL;
inline constexpr const char *kPrefillLastEntry = RETNET_ABI_PREFILL_LAST;
inline constexpr const char *kDecodeEntry = RETNET_ABI_DECODE;

/// Globals of a model library: the encoded packed-weight shape
/// (int64[kEncodedShapeSize] of ModelLayout.h), the model description
/// (NUL-terminated JSON), where the entry points expect their buffers
/// (int32, a `BufferKind`), and the CPU the code was compiled for,
/// "<cpu>;<feature>,<feature>,..." (NUL-terminated; the features of
/// CpuFeatures.h that it needs).
inline constexpr const char *kModelShapeGlobal = RETNET_ABI_MODEL_SHAPE;
inline constexpr const char *kConfigJsonGlobal = RETNET_ABI_CONFIG_JSON;
inline constexpr const char *kBuffersGlobal = RETNET_ABI_BUFFERS;
inline constexpr const char *kCpuFeaturesGlobal = RETNET_ABI_CPU_FEATURES;

/// What a model library exports: the functions of retnet.h and the four
/// globals above, each named `<prefix>_<suffix>`. The prefix is "retnet"
/// unless `retnet-compile --api-prefix=NAME` gave another, so that several
/// model libraries can be linked into one program.
inline constexpr const char *kDefaultApiPrefix = "retnet";
inline constexpr const char *kExportedSuffixes[] = {
    "error_free",
    "compiled_config",
    "model_load",
    "model_load_with_flags",
    "model_free",
    "model_vocab_size",
    "model_embed_dim",
    "model_value_embed_dim",
    "model_num_layers",
    "model_num_heads",
    "model_ffn_dim",
    "model_output_dim",
    "model_has_output_layer",
    "state_new",
    "state_reset",
    "state_free",
    "state_batch",
    "state_position",
    "state_row_position",
    "state_reset_row",
    "state_copy_row",
    "prefill",
    "prefill_rows",
    "decode",
    "decode_rows",
    "sampling_default_params",
    "sampler_new",
    "sampler_free",
    "sampler_sample",
    RETNET_ABI_MODEL_SHAPE_SUFFIX,
    RETNET_ABI_CONFIG_JSON_SUFFIX,
    RETNET_ABI_BUFFERS_SUFFIX,
    RETNET_ABI_CPU_FEATURES_SUFFIX,
};

/// The exported name of `suffix` (one of kExportedSuffixes) under `prefix`.
inline std::string exportedName(const std::string &prefix, const char *suffix) {
  return prefix + "_" + suffix;
}

/// The value of `kBuffersGlobal`.
enum class BufferKind : int32_t { Host = 0, CudaDevice = 1 };

/// The memref descriptor of the generated C interfaces (that of
/// mlir/ExecutionEngine/CRunnerUtils.h, StridedMemRefType).
template <typename T, int Rank> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// The C interface of an entry point whose logits have rank `LogitsRank`:
/// (weights [W], decays [H], tokens [B, T], states [L, B, H, dk, dv],
/// positions [B], logits).
template <int LogitsRank>
using EntryFunction = void(MemRef<uint8_t, 1> *weights,
                           MemRef<double, 1> *decays,
                           MemRef<int32_t, 2> *tokens, MemRef<float, 5> *state,
                           MemRef<int64_t, 1> *positions,
                           MemRef<float, LogitsRank> *logits);
using PrefillAllFunction = EntryFunction<3>;
using PrefillLastFunction = EntryFunction<2>;
using DecodeFunction = EntryFunction<2>;
} // namespace retnet_abi

#endif // RETNET_MODELABI_H
