//===- retnet-compile.cpp - Compile retnet inputs to native code ----------===//

#include "retnet/Import/ModelImport.h"
#include "retnet/InitRetNet.h"
#include "retnet/ModelABI.h"
#include "retnet/Pipelines/Pipelines.h"
#include "retnet/Target/Compile.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class EmitKind { Import, MLIR, LLVM, Object, Library, Executable };

cl::OptionCategory category("retnet-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile(
    "o", cl::desc("Output file (default: from the input name and --emit)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> target(
    "target",
    cl::desc("Target: cpu (the host CPU) or cuda (NVIDIA GPUs: host code "
             "plus cubin kernels, run through the CUDA driver)"),
    cl::init("cpu"), cl::cat(category));
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
    cl::init(256), cl::Hidden, cl::cat(category));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Library),
    cl::values(clEnumValN(EmitKind::Import, "import",
                          "the imported model graph (retnet dialect), before "
                          "lowering"),
               clEnumValN(EmitKind::MLIR, "mlir",
                          "MLIR after the pipeline (LLVM "
                          "dialect)"),
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
cl::opt<unsigned> chunkSize(
    "chunk-size",
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
    registerTile("register-tile", cl::CommaSeparated, cl::Hidden,
                 cl::desc("Register tile m,n,k of matrix products (tuning)"),
                 cl::cat(category));
cl::list<int64_t>
    threadTile("thread-tile", cl::CommaSeparated, cl::Hidden,
               cl::desc("Block m,n of one thread for linear layers (tuning)"),
               cl::cat(category));
cl::opt<bool> splitChunkwise(
    "split-chunkwise",
    cl::desc("With --target=cpu: compute the chunkwise form as its three "
             "chunk-parallel pieces (chunk states, scan, chunk outputs), "
             "parallel over chunks and not only over batch x heads"),
    cl::cat(category));
cl::opt<bool> gpuEmulation(
    "gpu-emulation",
    cl::desc("With --target=cpu: lower retention through the CUDA target's "
             "kernels (block and thread loops) and run them as CPU loops; "
             "for testing those kernels without a GPU"),
    cl::cat(category));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::cat(category));
cl::opt<bool> timing("timing", cl::desc("Print the time of each pass"),
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
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  std::vector<std::string> storage;
  storage.reserve(argc);
  SmallVector<char *> args = spellThreadsOption(argc, argv, storage);
  cl::ParseCommandLineOptions(
      args.size(), args.data(),
      "retnet-compile: compile a RetNet model or retention IR to native "
      "code\n\n"
      "MODEL.json (torchscale RetNetConfig fields) becomes a shared library\n"
      "with the C API of retnet.h (written next to it), or with --emit=exe a\n"
      "program that generates tokens. An .mlir input (retention ops of any\n"
      "form, linalg on tensors; functions with llvm.emit_c_interface get a C\n"
      "entry point _mlir_ciface_<name>) becomes a library of its functions.\n"
      "Both are lowered by retnet-cpu-pipeline and compiled in-process for\n"
      "the host CPU, then linked by the system compiler driver (cc).\n"
      "With --target=cuda they are lowered by retnet-cuda-pipeline instead:\n"
      "kernels become cubin for --gpu-chip (ptxas from the CUDA toolkit),\n"
      "embedded in host code that runs them through the CUDA driver\n"
      "(libcuda.so.1, loaded when first used). Kernel libraries then take\n"
      "and return device memory; model libraries keep the weights and the\n"
      "states on the GPU behind the same C API.\n");

  bool cuda = target == "cuda";
  if (target != "cpu" && !cuda)
    return fail("unknown --target '" + target + "' (expected cpu or cuda)");
  if (cuda && gpuEmulation)
    return fail("--gpu-emulation runs the CUDA kernels on the CPU; use it "
                "with --target=cpu");
  if (cuda && threads != 0)
    return fail("--threads sets OpenMP threads of --target=cpu; CUDA kernels "
                "take their parallelism from the GPU");
  if (gpuBlockThreads <= 0 || gpuBlockThreads > 1024)
    return fail("--gpu-block-threads must be in [1, 1024]");
  if (cuda && emit != EmitKind::Import) {
    std::string toolkit = retnet::findCUDAToolkit(cudaToolkit);
    SmallString<256> ptxas(toolkit);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (!llvm::sys::fs::can_execute(ptxas))
      return fail("--target=cuda needs the CUDA toolkit's ptxas, not found "
                  "at '" +
                  ptxas + "' (set --cuda-toolkit or CUDA_HOME)");
  }
  if (optLevel > 3)
    return fail("-O must be 0, 1, 2 or 3");
  // The kernels keep [C, C] tiles of a chunk (retnet::kMaxBlockLength).
  if (chunkSize > 4096)
    return fail("--chunk-size must be at most 4096, got " +
                std::to_string(chunkSize));
  bool isModel = StringRef(inputFile).ends_with(".json");
  if (emit == EmitKind::Executable && !isModel)
    return fail("--emit=exe needs a model description (.json); for MLIR "
                "input use --emit=mlir, llvm, obj or lib");
  if (emit == EmitKind::Import && !isModel)
    return fail("--emit=import needs a model description (.json)");

  DialectRegistry registry;
  retnet::registerRetNetDialects(registry);
  MLIRContext context(registry);

  std::string error;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  if (isModel) {
    std::vector<std::string> warnings;
    llvm::Expected<retnet::ModelConfig> config =
        retnet::readModelConfig(inputFile, warnings);
    for (const std::string &warning : warnings)
      llvm::WithColor::warning(llvm::errs(), "retnet-compile")
          << inputFile << ": " << warning << "\n";
    if (!config)
      return fail(llvm::toString(config.takeError()));
    module = retnet::importModel(&context, *config,
                                 cuda ? retnet_abi::BufferKind::CudaDevice
                                      : retnet_abi::BufferKind::Host);
    if (failed(verify(*module)))
      return fail("the imported model does not verify");
  } else {
    auto input = openInputFile(inputFile, &error);
    if (!input)
      return fail(error);
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
  }
  std::string output = outputFile.empty() ? defaultOutput() : outputFile;
  if (emit == EmitKind::Import) {
    if (failed(writeText(
            output, [&](raw_ostream &os) { module->print(os); }, error)))
      return fail(error);
    return 0;
  }

  PassManager pm(&context);
  if (timing)
    pm.enableTiming();
  if (printIRAfterAll) {
    context.disableMultithreading();
    pm.enableIRPrinting(/*shouldPrintBeforePass=*/nullptr,
                        /*shouldPrintAfterPass=*/
                        [](Pass *, Operation *) { return true; });
  }
  if (cuda) {
    retnet::CUDAPipelineOptions options;
    options.form = form;
    options.chunkSize = chunkSize;
    options.threads = gpuBlockThreads;
    options.chip = gpuChip;
    options.features = gpuFeatures;
    options.toolkit = cudaToolkit;
    retnet::buildCUDAPipeline(pm, options);
  } else {
    retnet::CPUPipelineOptions options;
    options.form = form;
    options.chunkSize = chunkSize;
    options.threads = threads;
    options.gpuKernels = gpuEmulation;
    options.splitChunkwise = splitChunkwise;
    options.registerTile =
        SmallVector<int64_t>(registerTile.begin(), registerTile.end());
    options.threadTile =
        SmallVector<int64_t>(threadTile.begin(), threadTile.end());
    retnet::buildCPUPipeline(pm, options);
  }
  if (failed(pm.run(*module)))
    return 1;

  if (emit == EmitKind::MLIR) {
    if (failed(writeText(
            output, [&](raw_ostream &os) { module->print(os); }, error)))
      return fail(error);
    return 0;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      retnet::translateToOptimizedLLVMIR(*module, llvmContext, optLevel, error);
  if (!llvmModule)
    return fail(error);
  if (emit == EmitKind::LLVM) {
    if (failed(writeText(
            output, [&](raw_ostream &os) { llvmModule->print(os, nullptr); },
            error)))
      return fail(error);
    return 0;
  }

  std::string objectPath = output;
  SmallString<128> temporary;
  if (emit != EmitKind::Object) {
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "retnet-compile", "o", temporary))
      return fail("cannot create a temporary object file: " + ec.message());
    objectPath = std::string(temporary);
  }
  if (failed(retnet::emitObjectFile(*llvmModule, objectPath, error)))
    return fail(error);
  if (emit == EmitKind::Object)
    return 0;

  // Models link the runtime (C API, weights, states) and, for programs,
  // their main(); both are archives next to this tool's build.
  SmallVector<std::string> linkArgs;
  SmallString<128> exportsPath;
  SmallString<256> libraryDir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(
          llvm::sys::fs::getMainExecutable(argv[0], (void *)&fail))));
  llvm::sys::path::append(libraryDir, "lib");
  auto archive = [&](StringRef name) {
    SmallString<256> path(libraryDir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  SmallVector<StringRef> archives;
  if (isModel || cuda)
    archives.push_back("libRetNetRuntime.a");
  if (emit == EmitKind::Executable)
    archives.push_back("libRetNetExecutableMain.a");
  for (StringRef name : archives)
    if (!llvm::sys::fs::exists(archive(name)))
      return fail("the runtime archive '" + archive(name) +
                  "' is missing (build the RetNetRuntime target)");
  if (isModel) {
    // Models link the runtime (C API, weights, states, the CUDA driver
    // glue) and, for programs, their main().
    if (emit == EmitKind::Executable)
      linkArgs.push_back(archive("libRetNetExecutableMain.a"));
    // A library exports the C API (and what retnet-run reads) only.
    if (emit == EmitKind::Library) {
      int fd;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
              "retnet-exports", "map", fd, exportsPath))
        return fail("cannot create a temporary file: " + ec.message());
      llvm::raw_fd_ostream exports(fd, /*shouldClose=*/true);
      exports << "{ global: retnet_*; " << retnet_abi::kModelShapeGlobal << "; "
              << retnet_abi::kConfigJsonGlobal << "; "
              << retnet_abi::kBuffersGlobal << "; local: *; };\n";
      exports.close();
      linkArgs.push_back("-Wl,--version-script=" + exportsPath.str().str());
    }
    linkArgs.append({"-Wl,--whole-archive", archive("libRetNetRuntime.a"),
                     "-Wl,--no-whole-archive", "-lstdc++"});
  } else if (cuda) {
    // Kernel libraries take the mgpu* entry points (and retnet_cuda_*)
    // from the runtime.
    linkArgs.append({archive("libRetNetRuntime.a"), "-lstdc++"});
  }
  // The runtime's CUDA glue loads the driver with dlopen.
  if (isModel || cuda)
    linkArgs.push_back("-ldl");
  LogicalResult linked = retnet::linkObjects(
      {objectPath}, output,
      emit == EmitKind::Executable ? retnet::LinkKind::Executable
                                   : retnet::LinkKind::SharedLibrary,
      linkArgs, error);
  llvm::sys::fs::remove(objectPath);
  if (!exportsPath.empty())
    llvm::sys::fs::remove(exportsPath);
  if (failed(linked))
    return fail(error);

  // The C API header next to a model library.
  if (isModel && emit == EmitKind::Library) {
    SmallString<256> header(llvm::sys::path::parent_path(
        llvm::sys::fs::getMainExecutable(argv[0], (void *)&fail)));
    llvm::sys::path::append(header, "..", "include", "retnet", "retnet.h");
    SmallString<256> destination(llvm::sys::path::parent_path(output));
    llvm::sys::path::append(destination, "retnet.h");
    if (std::error_code ec = llvm::sys::fs::copy_file(header, destination))
      return fail("cannot write '" + destination + "': " + ec.message());
  }
  return 0;
}
