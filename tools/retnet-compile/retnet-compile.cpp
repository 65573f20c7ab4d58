//===- retnet-compile.cpp - Compile retnet inputs to native code ----------===//

#include "Retention/RetentionDialect.h"
#include "retnet/Pipelines/Pipelines.h"
#include "retnet/Target/Compile.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
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
enum class EmitKind { MLIR, LLVM, Object, Library, Executable };

cl::OptionCategory category("retnet-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile(
    "o", cl::desc("Output file (default: from the input name and --emit)"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string>
    target("target", cl::desc("Target: cpu (the host CPU) or cuda"),
           cl::init("cpu"), cl::cat(category));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Library),
    cl::values(
        clEnumValN(EmitKind::MLIR, "mlir", "MLIR after the pipeline (LLVM "
                                           "dialect)"),
        clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitKind::Object, "obj", "an object file"),
        clEnumValN(EmitKind::Library, "lib", "a shared library (default)"),
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
    cl::desc("Chunk size of the chunkwise form (0: the target's default)"),
    cl::init(0), cl::cat(category));
// Spelled --threads on the command line (see spellThreadsOption).
cl::opt<unsigned> threads(
    "num-threads",
    cl::desc("Threads per parallel region, also --threads (0: "
             "OMP_NUM_THREADS or all cores)"),
    cl::init(0), cl::cat(category));
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
        storage.push_back("--num-threads" + text.drop_front(prefix.size()).str());
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
  case EmitKind::MLIR:
    return "-";
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
      "retnet-compile: compile retention IR to native code\n\n"
      "The input is an MLIR file with retention ops of any form and linalg on\n"
      "tensors (functions with memref arguments and llvm.emit_c_interface\n"
      "give a C entry point _mlir_ciface_<name>). It is lowered by\n"
      "retnet-cpu-pipeline and compiled in-process for the host CPU.\n");

  if (target == "cuda")
    return fail("--target=cuda is not supported yet; use --target=cpu");
  if (target != "cpu")
    return fail("unknown --target '" + target + "' (expected cpu or cuda)");
  if (optLevel > 3)
    return fail("-O must be 0, 1, 2 or 3");
  if (StringRef(inputFile).ends_with(".json"))
    return fail("'" + inputFile +
                "': model descriptions are not supported yet; the input must "
                "be an MLIR file");
  if (emit == EmitKind::Executable)
    return fail("--emit=exe needs a model description; for MLIR input use "
                "--emit=mlir, llvm, obj or lib");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<retention::RetentionDialect>();
  MLIRContext context(registry);

  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  PassManager pm(&context);
  if (timing)
    pm.enableTiming();
  if (printIRAfterAll) {
    context.disableMultithreading();
    pm.enableIRPrinting(/*shouldPrintBeforePass=*/nullptr,
                        /*shouldPrintAfterPass=*/
                        [](Pass *, Operation *) { return true; });
  }
  retnet::CPUPipelineOptions options;
  options.form = form;
  options.chunkSize = chunkSize;
  options.threads = threads;
  retnet::buildCPUPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  std::string output = outputFile.empty() ? defaultOutput() : outputFile;
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

  LogicalResult linked = retnet::linkObjects(
      {objectPath}, output, retnet::LinkKind::SharedLibrary, {}, error);
  llvm::sys::fs::remove(objectPath);
  if (failed(linked))
    return fail(error);
  return 0;
}
