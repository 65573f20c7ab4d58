//===- retnet-compile.cpp - Compile retnet inputs to native code ----------===//

#include "retnet/Import/ModelImport.h"
#include "retnet/InitRetNet.h"
#include "retnet/ModelABI.h"
#include "retnet/Pipelines/Pipelines.h"
#include "retnet/Target/ApiPrefix.h"
#include "retnet/Target/Compile.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <list>

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class EmitKind { Import, MLIR, PTX, LLVM, Object, Library, Executable };

cl::OptionCategory category("retnet-compile options");
cl::OptionCategory mlirCategory(
    "MLIR options (as in mlir-opt: pass manager, timing, IR printing)");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile(
    "o", cl::desc("Output file (default: from the input name and --emit)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string>
    target("target",
           cl::desc("Target: cpu (see --cpu) or cuda (NVIDIA GPUs: host code "
                    "plus cubin kernels, run through the CUDA driver)"),
           cl::init("cpu"), cl::cat(category));
cl::opt<std::string>
    cpu("cpu",
        cl::desc("CPU that the code (host code with --target=cuda) is compiled "
                 "for: host (this machine, the default), x86-64, x86-64-v2, "
                 "x86-64-v3, x86-64-v4, or an LLVM CPU name (skylake-avx512, "
                 "znver4, ...). The library records the CPU features it needs "
                 "and refuses to load on a CPU that lacks one"),
        cl::init("host"), cl::cat(category));
cl::opt<std::string> cpuFeatures(
    "cpu-features",
    cl::desc("CPU features on top of --cpu's, in LLVM's syntax: +avx2,-fma"),
    cl::init(""), cl::cat(category));
cl::opt<std::string>
    gpuChip("gpu-chip",
            cl::desc("With --target=cuda: the GPU architecture to compile "
                     "kernels for (default sm_90a, Hopper)"),
            cl::init("sm_90a"), cl::cat(category));
cl::opt<std::string>
    gpuFeatures("gpu-features",
                cl::desc("With --target=cuda: PTX features (default +ptx80)"),
                cl::init("+ptx80"), cl::cat(category));
cl::opt<std::string> cudaToolkit(
    "cuda-toolkit",
    cl::desc("With --target=cuda: the CUDA toolkit with ptxas and libdevice "
             "(default: $CUDA_HOME, $CUDA_PATH, else /usr/local/cuda)"),
    cl::cat(category));
cl::opt<int64_t> gpuBlockThreads(
    "gpu-block-threads",
    cl::desc("With --target=cuda: threads per block of the kernels"),
    cl::init(256), cl::cat(category));
cl::opt<int64_t> gpuRowTileRows(
    "gpu-row-tile-rows",
    cl::desc("With --target=cuda or --gpu-emulation: fewest rows (tokens "
             "times batch) of a matrix product that runs in register tiles "
             "of blocks of rows, rather than as sums split across threads "
             "(0: enough blocks for one per multiprocessor of a 132-SM GPU; "
             "negative: never)"),
    cl::init(0), cl::cat(category));
cl::opt<retnet::TensorCoreMode> gpuTensorCores(
    "gpu-tensor-cores",
    cl::desc("With --target=cuda or --gpu-emulation: how the full 64-row "
             "blocks of row-tiled f32 matrix products and the f32 products "
             "of a full retention chunk run (under "
             "--gpu-emulation, both tensor-core modes run the same warp "
             "tiles as CPU vector code, in f32)"),
    cl::init(retnet::TensorCoreMode::TF32x3),
    cl::values(
        clEnumValN(retnet::TensorCoreMode::TF32x3, "3xtf32",
                   "warp tiles on tensor cores, mma.sync m16n8k8 with each "
                   "f32 product as three tf32 products: f32 accuracy "
                   "(default)"),
        clEnumValN(
            retnet::TensorCoreMode::TF32, "tf32",
            "the same with one tf32 product: 3x the tensor-core "
            "rate, up to about 2^-10 relative error per product (opt-in)"),
        clEnumValN(retnet::TensorCoreMode::Off, "off",
                   "FFMA register tiles, no tensor cores")),
    cl::cat(category));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Library),
    cl::values(clEnumValN(EmitKind::Import, "import",
                          "the imported model graph (retnet dialect), before "
                          "lowering"),
               clEnumValN(EmitKind::MLIR, "mlir",
                          "MLIR after the pipeline (LLVM "
                          "dialect)"),
               clEnumValN(EmitKind::PTX, "ptx",
                          "the PTX of every kernel (--target=cuda), as "
                          "ptxas reads it"),
               clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "an object file"),
               clEnumValN(EmitKind::Library, "lib",
                          "a shared library (default)"),
               clEnumValN(EmitKind::Executable, "exe", "an executable")),
    cl::cat(category));
cl::opt<retnet::FormChoice> form(
    "form", cl::desc("Form of retention"), cl::init(retnet::FormChoice::Auto),
    cl::values(
        clEnumValN(retnet::FormChoice::Auto, "auto",
                   "chosen per op by the cost model (default)"),
        clEnumValN(retnet::FormChoice::Keep, "keep", "as written in the input"),
        clEnumValN(retnet::FormChoice::Parallel, "parallel", "parallel"),
        clEnumValN(retnet::FormChoice::Recurrent, "recurrent", "recurrent"),
        clEnumValN(retnet::FormChoice::Chunkwise, "chunkwise", "chunkwise")),
    cl::cat(category));
cl::opt<unsigned>
    chunkSize("chunk-size",
              cl::desc("Chunk size of the chunkwise form, at most 4096 (0: the "
                       "target's default)"),
              cl::init(0), cl::cat(category));
// Spelled --threads on the command line (see spellThreadsOption).
cl::opt<unsigned>
    threads("num-threads",
            cl::desc("Threads per parallel region, also --threads (0: "
                     "OMP_NUM_THREADS or all cores)"),
            cl::init(0), cl::cat(category));
cl::list<int64_t>
    registerTile("register-tile", cl::CommaSeparated,
                 cl::desc("Register tile m,n,k of matrix products (tuning; "
                          "default from --cpu's vector registers: 8,32,1 "
                          "with AVX-512, 6,16,1 with AVX2, 4,8,1 with SSE)"),
                 cl::cat(category));
cl::opt<int64_t> weightPanel(
    "weight-panel",
    cl::desc("Columns per panel of the weight matrices of a model library "
             "for the CPU: a matrix [K, N] is stored as N/P panels of K x P, "
             "each read as one contiguous stream by the products (0: stored "
             "[K, N]; default: the smallest multiple of the register tile's "
             "n that is at least 32 columns and whose row is at least a "
             "64-byte cache line of the weight type: 32 on every CPU's "
             "default tile, 64 for int8). Not used with --target=cuda or "
             "--gpu-emulation"),
    cl::init(-1), cl::cat(category));
cl::opt<std::string> weightType(
    "weight-type",
    cl::desc("Element type of the weight matrices of a model library (the "
             "embedding, projections, feed-forward and output layer), which "
             "its code reads and widens to f32 in registers: f32, bf16, f16 "
             "or int8 (default f32). int8 matrices are quantized "
             "symmetrically, with an f32 scale per group of --group values "
             "of each output channel (or per channel). Norm weights, biases, "
             "activations and retention states stay f32. A checkpoint of "
             "another type is converted at load (rounded to nearest even, "
             "or quantized)"),
    cl::init("f32"), cl::cat(category));
cl::opt<std::string> weightGroup(
    "group",
    cl::desc("With --weight-type=int8: how many consecutive values of an "
             "output channel (along a product's reduction; along d for the "
             "embedding) share a scale, or 'channel' for one scale per "
             "channel (default 32, as llama.cpp's Q8_0). It must divide "
             "every matrix's rows: d, the value dimension and the "
             "feed-forward dimension. A file quantized otherwise is "
             "requantized at load"),
    cl::init(""), cl::cat(category));
cl::list<int64_t>
    threadTile("thread-tile", cl::CommaSeparated,
               cl::desc("Block m,n of one thread for linear layers (tuning)"),
               cl::cat(category));
cl::opt<int64_t> prefetchDistance(
    "prefetch-ahead",
    cl::desc("Bytes that the matrix products' reduction loops, and "
             "innermost loops such as the conversion of narrow weights, "
             "prefetch ahead of the weights they read, on the CPU, shared "
             "among the panels a loop reads at once (tuning; 0: none, "
             "leaving it to the hardware prefetcher)"),
    cl::init(retnet::kDefaultPrefetchBytes), cl::cat(category));
cl::opt<bool> splitChunkwise(
    "split-chunkwise",
    cl::desc("With --target=cpu: compute the chunkwise form as its three "
             "chunk-parallel pieces (chunk states, scan, chunk outputs), "
             "parallel over chunks and not only over batch x heads"),
    cl::cat(category));
cl::opt<int64_t> retentionValueTile(
    "retention-value-tile",
    cl::desc("With --target=cpu: split each retention head's value columns "
             "into tiles of N columns, where N divides them, so that "
             "batch x heads x dv/N tiles share the threads rather than "
             "batch x heads (tuning, for more cores than heads; the "
             "parallel and chunkwise forms compute each tile's q k^T "
             "again; 0: whole heads, the default)"),
    cl::init(0), cl::cat(category));
cl::opt<bool> gpuEmulation(
    "gpu-emulation",
    cl::desc("With --target=cpu: lower retention through the CUDA target's "
             "kernels (block and thread loops) and run them as CPU loops; "
             "for testing those kernels without a GPU"),
    cl::cat(category));
cl::opt<std::string> apiPrefix(
    "api-prefix",
    cl::desc("Prefix of the C API that a model library exports: NAME gives "
             "NAME_model_load, NAME_prefill, ... declared in NAME.h, written "
             "next to the library, so that libraries of several models can "
             "be linked into one program (default retnet: retnet.h)"),
    cl::value_desc("NAME"), cl::init(retnet_abi::kDefaultApiPrefix),
    cl::cat(category));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::cat(category));
cl::opt<bool> timing("timing",
                     cl::desc("Print the time of each step: import, each "
                              "pass, LLVM IR translation and optimization, "
                              "object emission and link (also --mlir-timing)"),
                     cl::cat(category));
cl::opt<bool> printIRAfterAll("print-ir-after-all",
                              cl::desc("Print the IR after each pass"),
                              cl::cat(category));

/// LLVM's own libraries register a global option named "threads"; the
/// documented --threads flag is therefore read as --num-threads.
SmallVector<char *> spellThreadsOption(int argc, char **argv,
                                       std::vector<std::string> &storage) {
  SmallVector<char *> args(argv, argv + argc);
  for (char *&arg : args) {
    StringRef text(arg);
    for (StringRef prefix : {"--threads", "-threads"}) {
      if (text == prefix || text.starts_with((prefix + "=").str())) {
        storage.push_back("--num-threads" +
                          text.drop_front(prefix.size()).str());
        arg = storage.back().data();
        break;
      }
    }
  }
  return args;
}

int fail(const Twine &message) {
  llvm::WithColor::error(llvm::errs(), "retnet-compile") << message << "\n";
  return 1;
}

std::string defaultOutput() {
  SmallString<128> path(llvm::sys::path::stem(inputFile));
  switch (emit) {
  case EmitKind::Import:
  case EmitKind::MLIR:
  case EmitKind::PTX:
  case EmitKind::LLVM:
    return "-";
  case EmitKind::Object:
    path += ".o";
    break;
  case EmitKind::Library:
    path.insert(path.begin(), {'l', 'i', 'b'});
    path += ".so";
    break;
  case EmitKind::Executable:
    break;
  }
  return std::string(path);
}

/// The PTX text of every kernel module (gpu.binary objects of format isa),
/// each after a comment naming its module and target.
void printKernelsPTX(ModuleOp module, raw_ostream &os) {
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attribute : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attribute);
      os << "// gpu.binary @" << binary.getName() << " for "
         << object.getTarget() << "\n"
         << object.getObject().getValue() << "\n";
    }
  });
}

/// Writes `text` to `path` ("-" for stdout).
LogicalResult writeText(StringRef path, function_ref<void(raw_ostream &)> print,
                        std::string &error) {
  auto file = openOutputFile(path, &error);
  if (!file)
    return failure();
  print(file->os());
  file->keep();
  return success();
}
/// Registers MLIR's pass manager, timing, context and printer options and
/// shows them in --help, in their own category. Passes are registered first,
/// so that options such as --mlir-print-ir-after=PASS know their names.
void registerMLIROptions() {
  registerAllPasses();
  retnet::registerRetNetPasses();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerMLIRContextCLOptions();
  registerAsmPrinterCLOptions();
  for (auto &entry : cl::getRegisteredOptions())
    if (entry.first.starts_with("mlir-"))
      entry.second->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&category, &mlirCategory});
}

/// The overview that --help prints.
constexpr const char *kOverview =
    "retnet-compile: compile a RetNet model or retention IR to native "
    "code\n\n"
    "MODEL.json (torchscale RetNetConfig fields) becomes a shared library\n"
    "with the C API of retnet.h (written next to it), or with --emit=exe a\n"
    "program that generates tokens. An .mlir input (retention ops of any\n"
    "form, linalg on tensors; functions with llvm.emit_c_interface get a C\n"
    "entry point _mlir_ciface_<name>) becomes a library of its functions.\n"
    "Both are lowered by retnet-cpu-pipeline and compiled in-process for\n"
    "the CPU of --cpu, then linked by the system compiler driver (cc).\n"
    "With --target=cuda they are lowered by retnet-cuda-pipeline instead:\n"
    "kernels become cubin for --gpu-chip (ptxas from the CUDA toolkit),\n"
    "embedded in host code that runs them through the CUDA driver\n"
    "(libcuda.so.1, loaded when first used). Kernel libraries then take\n"
    "and return device memory; model libraries keep the weights and the\n"
    "states on the GPU behind the same C API.\n";

/// What the options say about this compilation, once checked.
struct Settings {
  bool cuda = false, isModel = false;
  retnet::CPUTarget cpuTarget;
  /// The register tile of the CPU's matrix products (m, n, k).
  SmallVector<int64_t> tile;
  retnet_runtime::WeightType matrixType = retnet_runtime::WeightType::F32;
  /// Values per int8 scale (0: not int8), columns per weight panel (0: none).
  int64_t group = 0, panel = 0;
};

LogicalResult failWith(std::string &error, const Twine &message) {
  error = message.str();
  return failure();
}

/// Checks --target and what goes with it: the CPU, the CUDA toolkit, -O and
/// the chunk size.
LogicalResult checkTargetOptions(Settings &settings, std::string &error) {
  settings.cuda = target == "cuda";
  settings.isModel = StringRef(inputFile).ends_with(".json");
  if (target != "cpu" && !settings.cuda)
    return failWith(error,
                    "unknown --target '" + target + "' (expected cpu or cuda)");
  if (settings.cuda && gpuEmulation)
    return failWith(error, "--gpu-emulation runs the CUDA kernels on the CPU; "
                           "use it with --target=cpu");
  if (settings.cuda && threads != 0)
    return failWith(error, "--threads sets OpenMP threads of --target=cpu; "
                           "CUDA kernels take their parallelism from the GPU");
  if (gpuBlockThreads <= 0 || gpuBlockThreads > 1024)
    return failWith(error, "--gpu-block-threads must be in [1, 1024]");
  settings.cpuTarget = retnet::CPUTarget{cpu, cpuFeatures};
  if (failed(retnet::verifyCPUTarget(settings.cpuTarget, error)))
    return failure();
  if (settings.cuda && emit != EmitKind::Import) {
    std::string toolkit = retnet::findCUDAToolkit(cudaToolkit);
    SmallString<256> ptxas(toolkit);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (!llvm::sys::fs::can_execute(ptxas))
      return failWith(error, "--target=cuda needs the CUDA toolkit's ptxas, "
                             "not found at '" +
                                 ptxas + "' (set --cuda-toolkit or CUDA_HOME)");
  }
  if (optLevel > 3)
    return failWith(error, "-O must be 0, 1, 2 or 3");
  // The kernels keep [C, C] tiles of a chunk (retnet::kMaxBlockLength).
  if (chunkSize > 4096)
    return failWith(error, "--chunk-size must be at most 4096, got " +
                               std::to_string(chunkSize));
  return success();
}

/// Checks the options of the matrix products (register tile, prefetch,
/// weight panels, type and group) and chooses the tile and the panels.
LogicalResult checkProductOptions(Settings &settings, std::string &error) {
  settings.tile.assign(registerTile.begin(), registerTile.end());
  if (settings.tile.empty()) {
    FailureOr<SmallVector<int64_t>> chosen =
        retnet::registerTileFor(settings.cpuTarget, error);
    if (failed(chosen))
      return failure();
    settings.tile = *chosen;
  }
  if (settings.tile.size() != 3 ||
      llvm::any_of(settings.tile, [](int64_t n) { return n < 1; }))
    return failWith(error,
                    "--register-tile must be three positive sizes m,n,k");
  if (prefetchDistance < 0)
    return failWith(error, "--prefetch-ahead must be a number of bytes, or 0");
  if (retentionValueTile < 0)
    return failWith(error, "--retention-value-tile must be a number of "
                           "columns, or 0");
  if (weightPanel < -1)
    return failWith(
        error, "--weight-panel must be a positive number of columns, or 0");
  if (!retnet_runtime::parseWeightType(weightType, settings.matrixType))
    return failWith(error, "--weight-type must be f32, bf16, f16 or int8, "
                           "got '" +
                               weightType + "'");
  bool int8 = settings.matrixType == retnet_runtime::WeightType::Int8;
  settings.group = int8 ? retnet_runtime::kDefaultWeightGroup : 0;
  if (!weightGroup.empty()) {
    if (!int8)
      return failWith(error,
                      "--group applies to int8 weights (--weight-type=int8)");
    if (!retnet_runtime::parseWeightGroup(weightGroup, settings.group))
      return failWith(error, "--group must be a positive number of values or "
                             "'channel', got '" +
                                 weightGroup + "'");
  }
  // A panel's row fills a cache line at least: the one-row tiles of
  // decoding stream several panels at once, each in whole lines (batch-1
  // decoding of examples/retnet-1.3b.json with int8 weights 11% faster
  // with panels of 64 than of 32).
  int64_t lineColumns = std::max<int64_t>(
      32, 64 / retnet_runtime::elementBytes(settings.matrixType));
  int64_t n = settings.tile[1];
  if (!settings.cuda && !gpuEmulation)
    settings.panel =
        weightPanel >= 0 ? weightPanel : llvm::divideCeil(lineColumns, n) * n;
  return success();
}

/// Checks --emit and --api-prefix against the input's kind.
LogicalResult checkEmitOptions(const Settings &settings, std::string &error) {
  if (apiPrefix != retnet_abi::kDefaultApiPrefix) {
    if (!settings.isModel || emit != EmitKind::Library)
      return failWith(error, "--api-prefix names the C API of a model "
                             "library; use it with a model description "
                             "(.json) and --emit=lib");
    if (!retnet::isValidApiPrefix(apiPrefix))
      return failWith(error, "--api-prefix '" + apiPrefix +
                                 "' is not a C identifier prefix (a letter, "
                                 "then at most 63 letters, digits or '_', not "
                                 "ending in '_')");
  }
  if (emit == EmitKind::Executable && !settings.isModel)
    return failWith(error, "--emit=exe needs a model description (.json); for "
                           "MLIR input use --emit=mlir, llvm, obj or lib");
  if (emit == EmitKind::PTX && !settings.cuda)
    return failWith(error, "--emit=ptx writes the kernels of --target=cuda");
  if (emit == EmitKind::Import && !settings.isModel)
    return failWith(error, "--emit=import needs a model description (.json)");
  return success();
}

/// The input as a module: a model description imported, or MLIR parsed
/// (whose errors the diagnostics of `sourceMgr` have already reported,
/// leaving `error` empty).
OwningOpRef<ModuleOp> loadInput(MLIRContext &context,
                                llvm::SourceMgr &sourceMgr,
                                const Settings &settings, std::string &error) {
  if (!settings.isModel) {
    auto input = openInputFile(inputFile, &error);
    if (!input)
      return nullptr;
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  std::vector<std::string> warnings;
  llvm::Expected<retnet::ModelConfig> config =
      retnet::readModelConfig(inputFile, warnings);
  for (const std::string &warning : warnings)
    llvm::WithColor::warning(llvm::errs(), "retnet-compile")
        << inputFile << ": " << warning << "\n";
  if (!config) {
    error = llvm::toString(config.takeError());
    return nullptr;
  }
  retnet_runtime::ModelShape shape = retnet::getModelShape(*config);
  shape.weightGroup = settings.group;
  error = retnet_runtime::checkWeightGroup(shape);
  if (!error.empty())
    return nullptr;
  OwningOpRef<ModuleOp> module =
      retnet::importModel(&context, *config,
                          settings.cuda ? retnet_abi::BufferKind::CudaDevice
                                        : retnet_abi::BufferKind::Host,
                          settings.panel, settings.matrixType, settings.group);
  if (failed(verify(*module))) {
    error = "the imported model does not verify";
    return nullptr;
  }
  return module;
}

/// Sets the options that both pipelines have (retnet::FormOptions).
template <typename Options> void setFormOptions(Options &options) {
  options.form = form;
  options.chunkSize = chunkSize;
  options.gpuRowTileRows = gpuRowTileRows;
  options.gpuTensorCores = gpuTensorCores;
}

/// Adds the pipeline of the target, with the options' settings, to `pm`.
void buildPipeline(PassManager &pm, const Settings &settings) {
  if (settings.cuda) {
    retnet::CUDAPipelineOptions options;
    setFormOptions(options);
    options.threads = gpuBlockThreads;
    options.chip = gpuChip;
    options.features = gpuFeatures;
    options.toolkit = cudaToolkit;
    options.gpuFormat = emit == EmitKind::PTX ? "isa" : "bin";
    retnet::buildCUDAPipeline(pm, options);
    return;
  }
  retnet::CPUPipelineOptions options;
  setFormOptions(options);
  options.threads = threads;
  options.gpuKernels = gpuEmulation;
  options.splitChunkwise = splitChunkwise;
  options.retentionValueTile = retentionValueTile;
  options.registerTile = settings.tile;
  options.threadTile =
      SmallVector<int64_t>(threadTile.begin(), threadTile.end());
  options.prefetchDistance = prefetchDistance;
  retnet::buildCPUPipeline(pm, options);
}

/// Temporary files, removed when it goes.
class Temporaries {
public:
  LogicalResult create(StringRef prefix, StringRef suffix,
                       SmallString<128> &path, std::string &error) {
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile(prefix, suffix, path))
      return failWith(error, "cannot create a temporary file: " + ec.message());
    files.emplace_back(path);
    return success();
  }

private:
  std::list<llvm::FileRemover> files;
};

/// This tool's directory of archives and headers (`<prefix>/<name>`).
std::string besideTool(const char *argv0, StringRef name) {
  SmallString<256> path(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(
          llvm::sys::fs::getMainExecutable(argv0, (void *)&fail))));
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// The linker arguments of a model library's C API: its symbols renamed
/// under --api-prefix (the object's and the runtime's, which `objectPath`
/// and `runtime` then name) and only the API exported.
LogicalResult addLibraryLinkArguments(std::string &objectPath,
                                      std::string &runtime,
                                      SmallVector<std::string> &linkArgs,
                                      Temporaries &temporaries,
                                      TimingScope &rootTimer,
                                      std::string &error) {
  llvm::StringMap<std::string> renames = retnet::getApiRenames(apiPrefix);
  if (!renames.empty()) {
    TimingScope renameTimer = rootTimer.nest("Symbol renaming");
    SmallString<128> renamedObject, renamedRuntime;
    if (failed(
            temporaries.create("retnet-compile", "o", renamedObject, error)) ||
        failed(
            retnet::renameSymbols(objectPath, renamedObject, renames, error)) ||
        failed(
            temporaries.create("retnet-runtime", "a", renamedRuntime, error)) ||
        failed(retnet::renameSymbols(runtime, renamedRuntime, renames, error)))
      return failure();
    objectPath = std::string(renamedObject);
    runtime = std::string(renamedRuntime);
  }
  SmallString<128> exportsPath;
  if (failed(temporaries.create("retnet-exports", "map", exportsPath, error)))
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream exports(exportsPath, ec);
  exports << retnet::getExportVersionScript(apiPrefix);
  exports.close();
  if (ec || exports.has_error())
    return failWith(error, "cannot write '" + exportsPath + "'");
  linkArgs.push_back("-Wl,--version-script=" + exportsPath.str().str());
  return success();
}

/// Links `objectPath` into `output`: a model with the runtime archive (and,
/// for programs, their main()), a CUDA kernel library with the runtime's
/// mgpu* entry points.
LogicalResult linkOutput(std::string objectPath, const std::string &output,
                         const Settings &settings, const char *argv0,
                         Temporaries &temporaries, TimingScope &rootTimer,
                         std::string &error) {
  std::string runtime = besideTool(argv0, "lib/libRetNetRuntime.a");
  std::string executableMain =
      besideTool(argv0, "lib/libRetNetExecutableMain.a");
  SmallVector<std::string> archives;
  if (settings.isModel || settings.cuda)
    archives.push_back(runtime);
  if (emit == EmitKind::Executable)
    archives.push_back(executableMain);
  for (const std::string &path : archives)
    if (!llvm::sys::fs::exists(path))
      return failWith(error, "the runtime archive '" + path +
                                 "' is missing (build the RetNetRuntime "
                                 "target)");
  SmallVector<std::string> linkArgs;
  if (settings.isModel) {
    if (emit == EmitKind::Executable)
      linkArgs.push_back(executableMain);
    if (emit == EmitKind::Library &&
        failed(addLibraryLinkArguments(objectPath, runtime, linkArgs,
                                       temporaries, rootTimer, error)))
      return failure();
    linkArgs.append(
        {"-Wl,--whole-archive", runtime, "-Wl,--no-whole-archive", "-lstdc++"});
  } else if (settings.cuda) {
    linkArgs.append({runtime, "-lstdc++"});
  }
  // The runtime's CUDA glue loads the driver with dlopen.
  if (settings.isModel || settings.cuda)
    linkArgs.push_back("-ldl");
  TimingScope linkTimer = rootTimer.nest("Link");
  return retnet::linkObjects({objectPath}, output,
                             emit == EmitKind::Executable
                                 ? retnet::LinkKind::Executable
                                 : retnet::LinkKind::SharedLibrary,
                             linkArgs, error);
}

/// Writes the C API header next to a model library: retnet.h, or NAME.h
/// under --api-prefix.
LogicalResult writeApiHeader(const std::string &output, const char *argv0,
                             std::string &error) {
  std::string header = besideTool(argv0, "include/retnet/retnet.h");
  auto text = llvm::MemoryBuffer::getFile(header);
  if (!text)
    return failWith(error, "cannot read '" + header +
                               "': " + text.getError().message());
  SmallString<256> destination(llvm::sys::path::parent_path(output));
  llvm::sys::path::append(destination, apiPrefix + ".h");
  return writeText(
      destination,
      [&](raw_ostream &os) {
        os << retnet::getApiHeader((*text)->getBuffer(), apiPrefix);
      },
      error);
}

/// Translates `module` to LLVM IR and writes what --emit asks for from
/// there on: LLVM IR, an object, or a linked library or program (with its
/// C API header).
LogicalResult emitNative(ModuleOp module, const Settings &settings,
                         const std::string &output, const char *argv0,
                         TimingScope &rootTimer, std::string &error) {
  llvm::LLVMContext llvmContext;
  TimingScope llvmTimer =
      rootTimer.nest("LLVM IR translation and optimization");
  std::unique_ptr<llvm::Module> llvmModule = retnet::translateToOptimizedLLVMIR(
      module, llvmContext, settings.cpuTarget, optLevel, error);
  if (!llvmModule ||
      (settings.isModel && failed(retnet::addCPUFeaturesGlobal(
                               *llvmModule, settings.cpuTarget, error))))
    return failure();
  llvmTimer.stop();
  if (emit == EmitKind::LLVM)
    return writeText(
        output, [&](raw_ostream &os) { llvmModule->print(os, nullptr); },
        error);

  Temporaries temporaries;
  std::string objectPath = output;
  if (emit != EmitKind::Object) {
    SmallString<128> temporary;
    if (failed(temporaries.create("retnet-compile", "o", temporary, error)))
      return failure();
    objectPath = std::string(temporary);
  }
  TimingScope objectTimer = rootTimer.nest("Object emission (LLVM back end)");
  if (failed(retnet::emitObjectFile(*llvmModule, settings.cpuTarget, objectPath,
                                    error)))
    return failure();
  objectTimer.stop();
  if (emit == EmitKind::Object)
    return success();
  if (failed(linkOutput(objectPath, output, settings, argv0, temporaries,
                        rootTimer, error)))
    return failure();
  if (settings.isModel && emit == EmitKind::Library)
    return writeApiHeader(output, argv0, error);
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerMLIROptions();
  std::vector<std::string> storage;
  storage.reserve(argc);
  SmallVector<char *> args = spellThreadsOption(argc, argv, storage);
  cl::ParseCommandLineOptions(args.size(), args.data(), kOverview);

  // --timing and --mlir-timing time every step below, nested in one report.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  if (timing)
    timingManager.setEnabled(true);
  TimingScope rootTimer = timingManager.getRootScope();

  Settings settings;
  std::string error;
  if (failed(checkTargetOptions(settings, error)) ||
      failed(checkProductOptions(settings, error)) ||
      failed(checkEmitOptions(settings, error)))
    return fail(error);

  DialectRegistry registry;
  retnet::registerRetNetDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  TimingScope inputTimer =
      rootTimer.nest(settings.isModel ? "Model import" : "MLIR parsing");
  OwningOpRef<ModuleOp> module = loadInput(context, sourceMgr, settings, error);
  if (!module)
    return error.empty() ? 1 : fail(error);
  inputTimer.stop();
  std::string output = outputFile.empty() ? defaultOutput() : outputFile;
  // Checked before the pipeline runs, not at the end of it.
  StringRef outputDir = llvm::sys::path::parent_path(output);
  if (output != "-" && !outputDir.empty() &&
      !llvm::sys::fs::is_directory(outputDir))
    return fail("cannot write '" + output + "': no directory '" + outputDir +
                "'");
  auto printModule = [&](raw_ostream &os) { module->print(os); };
  if (emit == EmitKind::Import)
    return failed(writeText(output, printModule, error)) ? fail(error) : 0;

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("invalid MLIR pass manager options");
  TimingScope pipelineTimer = rootTimer.nest("MLIR pipeline");
  pm.enableTiming(pipelineTimer);
  if (printIRAfterAll) {
    context.disableMultithreading();
    pm.enableIRPrinting(/*shouldPrintBeforePass=*/nullptr,
                        /*shouldPrintAfterPass=*/
                        [](Pass *, Operation *) { return true; });
  }
  buildPipeline(pm, settings);
  if (failed(pm.run(*module)))
    return 1;
  pipelineTimer.stop();

  if (emit == EmitKind::MLIR)
    return failed(writeText(output, printModule, error)) ? fail(error) : 0;
  if (emit == EmitKind::PTX)
    return failed(writeText(
               output, [&](raw_ostream &os) { printKernelsPTX(*module, os); },
               error))
               ? fail(error)
               : 0;
  if (failed(emitNative(*module, settings, output, argv[0], rootTimer, error)))
    return fail(error);
  return 0;
}
