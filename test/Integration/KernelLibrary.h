//===- KernelLibrary.h - Compile, load, call retention kernels --*- C++ -*-===//

#ifndef RETNET_TEST_INTEGRATION_KERNELLIBRARY_H
#define RETNET_TEST_INTEGRATION_KERNELLIBRARY_H

#include "KernelSource.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace retnet::kernel {

/// One kernel to compile: its MLIR (`source`, or if empty the retention
/// kernel of `config`) is written to `sourcePath`, the library to
/// `libraryPath`, the compiler's messages to `logPath`.
struct CompileRequest {
  KernelConfig config;
  std::string sourcePath;
  std::string libraryPath;
  std::string logPath;
  std::string source = {};
};

/// Writes each request's MLIR and runs
///   COMPILER SOURCE --emit=lib --form=keep -o LIBRARY EXTRA_ARGS...
/// with at most `jobs` compilers at a time. Returns, per request, whether it
/// succeeded.
std::vector<bool> compileKernels(const std::string &compiler,
                                 const std::vector<CompileRequest> &requests,
                                 const std::vector<std::string> &extraArgs,
                                 unsigned jobs);

/// A fresh directory under $TMPDIR (or /tmp) whose name starts with `prefix`;
/// empty on failure.
std::string makeTemporaryDirectory(const std::string &prefix);

/// How a program obtains its kernel libraries: compiled now; compiled now
/// and nothing run (to carry them to a machine without the compiler, such
/// as a GPU machine); or compiled earlier into the same work directory.
enum class KernelSupply { Compile, CompileOnly, Precompiled };

/// The text after `prefix` if `argument` starts with it, else null.
const char *optionValue(const char *argument, const char *prefix);

/// Parses the options that choose the supply, shared by the programs that
/// compile kernels: --work-dir=DIR, --compile-only, --precompiled. Returns
/// whether `argument` was one of them.
bool parseSupplyOption(const std::string &argument, std::string &workDirectory,
                       KernelSupply &supply);

/// `workDirectory` (created if needed) or, if empty, a fresh temporary
/// directory starting with `prefix`; empty on failure.
std::string kernelDirectory(const std::string &workDirectory,
                            const std::string &prefix);

/// compileKernels for Compile and CompileOnly; for Precompiled, whether each
/// request's library exists.
std::vector<bool> supplyKernels(KernelSupply supply,
                                const std::string &compiler,
                                const std::vector<CompileRequest> &requests,
                                const std::vector<std::string> &extraArgs,
                                unsigned jobs);

/// The contents of a text file (empty if it cannot be read).
std::string readTextFile(const std::string &path);

/// A compiled kernel, loaded with dlopen.
class KernelLibrary {
public:
  /// Loads `path` and finds `_mlir_ciface_retention`; null and `error` set on
  /// failure. Kernels compiled with --target=cuda (`onDevice`) take device
  /// memory: run() then stages every array through the GPU with the mgpu*
  /// functions of the library.
  static std::unique_ptr<KernelLibrary> load(const std::string &path,
                                             const KernelConfig &config,
                                             bool onDevice, std::string &error);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  const KernelConfig &config() const { return kernelConfig; }

  /// Runs the kernel on dense row-major arrays: q, k [batch, H, length, dk],
  /// v and output [batch, H, length, dv], states [batch, H, dk, dv]. T must be
  /// float for f32 kernels and double for f64 ones.
  template <typename T>
  void run(int64_t batch, int64_t length, const T *q, const T *k, const T *v,
           const T *initialState, int64_t offset, T *output,
           T *finalState) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "kernels take f32 or f64");
    void *arrays[6] = {const_cast<T *>(q),
                       const_cast<T *>(k),
                       const_cast<T *>(v),
                       const_cast<T *>(initialState),
                       output,
                       finalState};
    const size_t bytes[6] = {sizeof(T), sizeof(T), sizeof(T),
                             sizeof(T), sizeof(T), sizeof(T)};
    runArrays(batch, length, arrays, bytes, offset);
  }

  /// The same for bf16 kernels (q, k, v and the output bf16, the states
  /// f32), on float arrays: q, k and v must be exactly representable in
  /// bf16; the output is converted back to float.
  void runBF16(int64_t batch, int64_t length, const float *q, const float *k,
               const float *v, const float *initialState, int64_t offset,
               float *output, float *finalState) const;

  /// CUDA kernel libraries: copies q, k, v and the initial state to device
  /// memory once and returns a function that runs the kernel on them (no
  /// host copies; it waits for the kernel). With `carryState`, each call
  /// starts from the previous call's final state (decoding).
  std::function<void()> residentRunner(int64_t batch, int64_t length,
                                       const float *q, const float *k,
                                       const float *v,
                                       const float *initialState,
                                       int64_t offset, bool carryState) const;

  bool runsOnDevice() const { return onDevice; }

  /// The first CUDA error of this thread since the last call (empty if none
  /// or for CPU kernels).
  std::string takeDeviceError() const;

private:
  /// Calls the kernel on q, k, v, s0, o, sT (`arrays`, dense, elements of
  /// `elementBytes[i]` bytes), staged through device memory for CUDA
  /// kernels.
  void runArrays(int64_t batch, int64_t length, void *const arrays[6],
                 const size_t elementBytes[6], int64_t offset) const;

  KernelLibrary(void *handle, void *entry, const KernelConfig &config)
      : handle(handle), entry(entry), kernelConfig(config) {}

  /// The mgpu* memory functions of a CUDA kernel library.
  struct DeviceMemory {
    void *(*alloc)(uint64_t, void *, bool) = nullptr;
    void (*free)(void *, void *) = nullptr;
    void (*copy)(void *, void *, size_t, void *) = nullptr;
    void (*synchronize)(void *) = nullptr;
    char *(*takeError)() = nullptr;
  };

  void *handle;
  void *entry;
  KernelConfig kernelConfig;
  bool onDevice = false;
  DeviceMemory device;
};

/// A descriptor of a dense row-major rank-4 array.
template <typename T>
StridedMemRefType<T, 4> denseMemref(const T *data, int64_t size0, int64_t size1,
                                    int64_t size2, int64_t size3) {
  StridedMemRefType<T, 4> memref;
  memref.basePtr = const_cast<T *>(data);
  memref.data = const_cast<T *>(data);
  memref.offset = 0;
  memref.sizes[0] = size0;
  memref.sizes[1] = size1;
  memref.sizes[2] = size2;
  memref.sizes[3] = size3;
  memref.strides[3] = 1;
  memref.strides[2] = size3;
  memref.strides[1] = size2 * size3;
  memref.strides[0] = size1 * size2 * size3;
  return memref;
}

} // namespace retnet::kernel

#endif // RETNET_TEST_INTEGRATION_KERNELLIBRARY_H
