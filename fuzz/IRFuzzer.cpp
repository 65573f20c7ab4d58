//===- IRFuzzer.cpp - Fuzz target: retention IR through the form passes ---===//
//
// Parses the input as MLIR, verifies it, and runs the form rewrites, the
// cost-model selection, the chunk split and the CPU lowering of retention
// (each followed by the verifier). Errors are expected; crashes are bugs.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace mlir;

namespace {
/// The pipelines run on every input that verifies, each on its own copy.
constexpr const char *kPipelines[] = {
    "builtin.module(retention-to-parallel,canonicalize)",
    "builtin.module(retention-to-recurrent,canonicalize)",
    ("builtin.module(retention-to-chunkwise{chunk-size=3},"
     "retention-split-chunkwise,canonicalize)"),
    "builtin.module(retention-select-form,convert-retention-to-linalg)",
};

/// The pass managers of kPipelines, parsed once.
std::vector<std::unique_ptr<PassManager>> &pipelines(MLIRContext &ctx) {
  static auto *managers = [&] {
    auto *result = new std::vector<std::unique_ptr<PassManager>>();
    for (const char *pipeline : kPipelines) {
      auto &pm = result->emplace_back(std::make_unique<PassManager>(&ctx));
      if (failed(parsePassPipeline(pipeline, *pm))) {
        std::fprintf(stderr, "ir-fuzzer: cannot parse the pipeline '%s'\n",
                     pipeline);
        std::abort();
      }
    }
    return result;
  }();
  return *managers;
}

/// Whether `text` holds `array<index`, which MLIR 22's parser of dense
/// arrays dereferences null on (llvm-project issue 179045, fixed upstream
/// after 22.1 by pull request 179075): a known crash outside the project,
/// skipped so that fuzzing goes on.
bool hasIndexDenseArray(StringRef text) {
  for (size_t at = text.find("array<"); at != StringRef::npos;
       at = text.find("array<", at + 1))
    if (text.drop_front(at + 6).ltrim().starts_with("index"))
      return true;
  return false;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &ctx = retnet_fuzz::fuzzContext();
  // Diagnostics are the expected outcome of most inputs.
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  ParserConfig config(&ctx);
  // The MLIR lexer reads up to a terminating NUL, as source files have.
  std::string text(reinterpret_cast<const char *>(data), size);
  if (hasIndexDenseArray(text))
    return 0;
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module || failed(verify(*module)))
    return 0;
  for (std::unique_ptr<PassManager> &pm : pipelines(ctx)) {
    OwningOpRef<ModuleOp> copy = module->clone();
    (void)pm->run(*copy);
  }
  return 0;
}
