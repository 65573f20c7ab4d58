//===- Compile.cpp - LLVM dialect -> object file -> shared library --------===//

#include "retnet/Target/Compile.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

/// The host's target machine, optimising for its CPU and features.
static std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(std::string &error) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::SubtargetFeatures features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    features.AddFeature(feature.first(), feature.second);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features.getString(), options,
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for " + triple.str();
  return machine;
}

std::unique_ptr<llvm::Module> mlir::retnet::translateToOptimizedLLVMIR(
    ModuleOp module, llvm::LLVMContext &context, unsigned optLevel,
    std::string &error) {
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module.getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    error = "translation to LLVM IR failed (is the module fully lowered to "
            "the LLVM dialect?)";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> machine = createHostTargetMachine(error);
  if (!machine)
    return nullptr;
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());

  auto optimize =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, machine.get());
  if (llvm::Error failure = optimize(llvmModule.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(failure));
    return nullptr;
  }
  return llvmModule;
}

LogicalResult mlir::retnet::emitObjectFile(llvm::Module &module, StringRef path,
                                           std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine = createHostTargetMachine(error);
  if (!machine)
    return failure();
  std::error_code errorCode;
  llvm::raw_fd_ostream os(path, errorCode, llvm::sys::fs::OF_None);
  if (errorCode) {
    error = "cannot write '" + path.str() + "': " + errorCode.message();
    return failure();
  }
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  passes.run(module);
  os.flush();
  return success();
}

LogicalResult mlir::retnet::linkObjects(ArrayRef<std::string> objects,
                                        StringRef output, LinkKind kind,
                                        ArrayRef<std::string> extraArgs,
                                        std::string &error) {
  // A sanitized build (RETNET_SANITIZE) links with the compiler that built
  // its runtime archive, with the same sanitizers.
  StringRef sanitize = RETNET_SANITIZE;
  llvm::ErrorOr<std::string> driver =
      sanitize.empty() ? llvm::sys::findProgramByName("cc")
                       : llvm::ErrorOr<std::string>(RETNET_SANITIZE_LINKER);
  if (!driver) {
    error = "no C compiler driver 'cc' on PATH to link with";
    return failure();
  }
  std::string libraryDir = RETNET_OPENMP_LIBRARY_DIR;
  SmallVector<std::string> args = {*driver};
  if (!sanitize.empty())
    args.push_back(("-fsanitize=" + sanitize).str());
  if (kind == LinkKind::SharedLibrary) {
    // A SONAME, and references inside the library bound to its own
    // definitions, so that several model libraries can share a process.
    args.append({"-shared",
                 "-Wl,-soname," + llvm::sys::path::filename(output).str(),
                 "-Wl,-Bsymbolic"});
  }
  args.append(objects.begin(), objects.end());
  args.append(extraArgs.begin(), extraArgs.end());
  args.append({"-o", output.str(), "-L" + libraryDir,
               "-Wl,-rpath," + libraryDir, "-lomp", "-lm"});
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {},
                                         /*SecondsToWait=*/0,
                                         /*MemoryLimit=*/0, &message);
  if (status != 0) {
    error = "linking '" + output.str() + "' failed";
    if (!message.empty())
      error += ": " + message;
    return failure();
  }
  return success();
}
