//===- Compile.cpp - LLVM dialect -> object file -> shared library --------===//

#include "retnet/Target/Compile.h"
#include "retnet/CpuFeatures.h"
#include "retnet/ModelABI.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
using mlir::retnet::CPUTarget;

/// The native target of this build (x86-64), initialised once.
static const llvm::Target *nativeTarget(llvm::Triple &triple,
                                        std::string &error) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  triple = llvm::Triple(llvm::sys::getDefaultTargetTriple());
  return llvm::TargetRegistry::lookupTarget(triple, error);
}

/// The CPU name and feature string of `target` for LLVM.
static std::pair<std::string, std::string> resolveCPU(const CPUTarget &target) {
  llvm::SubtargetFeatures features;
  std::string cpu = target.cpu;
  if (cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.first(), feature.second);
  }
  if (!target.features.empty())
    for (StringRef feature : llvm::split(target.features, ','))
      features.AddFeature(feature);
  return {cpu, features.getString()};
}

LogicalResult mlir::retnet::verifyCPUTarget(const CPUTarget &target,
                                            std::string &error) {
  llvm::Triple triple;
  const llvm::Target *native = nativeTarget(triple, error);
  if (!native)
    return failure();
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      native->createMCSubtargetInfo(triple, "", ""));
  if (target.cpu != "host" && !info->isCPUStringValid(target.cpu)) {
    error = "--cpu=" + target.cpu + ": not a CPU that LLVM knows for " +
            triple.str() +
            " (host, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, or a name "
            "such as skylake-avx512 or znver4)";
    return failure();
  }
  if (target.features.empty())
    return success();
  for (StringRef feature : llvm::split(target.features, ',')) {
    StringRef name = feature.drop_front();
    bool known = llvm::any_of(
        info->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if ((!feature.starts_with("+") && !feature.starts_with("-")) || !known) {
      error = "--cpu-features: '" + feature.str() +
              "' is not +NAME or -NAME of a feature that LLVM knows (such "
              "as +avx2 or -avx512f)";
      return failure();
    }
  }
  return success();
}

/// The target machine of `target`, optimising for its CPU and features.
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CPUTarget &target, std::string &error) {
  llvm::Triple triple;
  const llvm::Target *native = nativeTarget(triple, error);
  if (!native)
    return nullptr;
  auto [cpu, features] = resolveCPU(target);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(native->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for " + triple.str();
  return machine;
}

FailureOr<SmallVector<int64_t>>
mlir::retnet::registerTileFor(const CPUTarget &target, std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, error);
  if (!machine)
    return failure();
  const llvm::MCSubtargetInfo *info = machine->getMCSubtargetInfo();
  if (info->checkFeatures("+avx512f"))
    return SmallVector<int64_t>{8, 32, 1};
  if (info->checkFeatures("+avx"))
    return SmallVector<int64_t>{6, 16, 1};
  return SmallVector<int64_t>{4, 8, 1};
}

LogicalResult mlir::retnet::addCPUFeaturesGlobal(llvm::Module &module,
                                                 const CPUTarget &target,
                                                 std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, error);
  if (!machine)
    return failure();
  const llvm::MCSubtargetInfo *info = machine->getMCSubtargetInfo();
  std::string recorded = resolveCPU(target).first + ";";
  bool first = true;
  auto record = [&](const char *name) {
    for (const llvm::SubtargetFeatureKV &kv : info->getAllProcessorFeatures())
      if (StringRef(kv.Key) == name && info->getFeatureBits().test(kv.Value)) {
        recorded += (first ? "" : ",") + std::string(name);
        first = false;
      }
  };
#define RETNET_RECORD_FEATURE(name) record(name);
  RETNET_CHECKED_CPU_FEATURES(RETNET_RECORD_FEATURE)
#undef RETNET_RECORD_FEATURE
  llvm::Constant *text =
      llvm::ConstantDataArray::getString(module.getContext(), recorded);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           retnet_abi::kCpuFeaturesGlobal);
  return success();
}

std::unique_ptr<llvm::Module> mlir::retnet::translateToOptimizedLLVMIR(
    ModuleOp module, llvm::LLVMContext &context, const CPUTarget &target,
    unsigned optLevel, std::string &error) {
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
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, error);
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

LogicalResult mlir::retnet::emitObjectFile(llvm::Module &module,
                                           const CPUTarget &target,
                                           StringRef path, std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, error);
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
    // The name goes through -Xlinker, which takes it verbatim (-Wl, would
    // split a file name with commas).
    args.append({"-shared", "-Xlinker", "-soname", "-Xlinker",
                 llvm::sys::path::filename(output).str(), "-Wl,-Bsymbolic"});
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
