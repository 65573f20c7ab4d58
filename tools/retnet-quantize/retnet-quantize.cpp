//===- retnet-quantize.cpp - Checkpoints in a narrower weight type --------===//
//
// Rewrites a safetensors checkpoint with its matrices in another type: int8
// (each row, an output channel, quantized symmetrically in groups of
// --group values or whole, with F32 scales in `<name>_scale`), bf16 or f16
// (rounded to nearest even), or f32. Vectors and buffers are copied as they
// are. A library of the same --weight-type (and --group) then loads the
// file without converting it.
//
//===----------------------------------------------------------------------===//

#include "retnet/Runtime/CheckpointCheck.h"
#include "retnet/Runtime/ModelLayout.h"
#include "retnet/Runtime/Safetensors.h"
#include "retnet/Runtime/SafetensorsWriter.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <string>
#include <vector>

using namespace retnet_runtime;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory category("retnet-quantize options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<IN.safetensors>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output safetensors file"),
                                cl::value_desc("file"), cl::Required,
                                cl::cat(category));
cl::opt<DType> type(
    "type", cl::desc("Element type of the matrices (2-D tensors)"),
    cl::init(DType::I8),
    cl::values(clEnumValN(DType::I8, "int8",
                          "I8, each group of a row (--group) quantized "
                          "symmetrically: scale = max |group| / 127, q = "
                          "round(w / scale), the scales in the F32 tensor "
                          "<name>_scale (default)"),
               clEnumValN(DType::BF16, "bf16", "BF16, rounded to nearest even"),
               clEnumValN(DType::F16, "f16", "F16, rounded to nearest even"),
               clEnumValN(DType::F32, "f32", "F32 (dequantizes I8 matrices)")),
    cl::cat(category));
cl::opt<std::string> groupOption(
    "group",
    cl::desc("With --type=int8: how many consecutive values of a row share "
             "a scale (default 32, as a library's default --group), or "
             "'channel' for one scale per row; it must divide every "
             "matrix's row length"),
    cl::init(""), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "retnet-quantize") << message << "\n";
  return 1;
}

/// The name of the I8 matrix whose scales `name` holds, or "".
std::string scaledMatrixOf(const SafetensorsFile &file,
                           const std::string &name) {
  size_t suffix = std::string(kScaleSuffix).size();
  if (name.size() <= suffix ||
      name.compare(name.size() - suffix, suffix, kScaleSuffix) != 0)
    return "";
  std::string matrix = name.substr(0, name.size() - suffix);
  const TensorView *view = file.find(matrix);
  return view && view->scales == file.find(name) ? matrix : "";
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "retnet-quantize: a checkpoint's matrices in another type (int8 with a "
      "scale per group of a row's values or per row, bf16, f16 or f32), for "
      "a library compiled with the same --weight-type and --group\n");

  int64_t group = type == DType::I8 ? kDefaultWeightGroup : 0;
  if (!groupOption.empty()) {
    if (type != DType::I8)
      return fail("--group applies to --type=int8");
    if (!parseWeightGroup(groupOption, group))
      return fail("--group must be a positive number of values or "
                  "'channel', got '" +
                  groupOption + "'");
  }

  SafetensorsFile file;
  std::string error;
  if (!file.open(inputFile, error))
    return fail(error);
  std::vector<EncodedTensor> tensors;
  int64_t converted = 0, copied = 0;
  uint64_t outputBytes = 0;
  for (const auto &[name, view] : file.tensors()) {
    // An I8 matrix's scales go with it (re-made if it is re-quantized).
    if (!scaledMatrixOf(file, name).empty())
      continue;
    if (view.dtype == DType::I8 && !view.scales)
      return fail(missingScales(file, name));
    bool matrix = view.shape.size() == 2 && view.convertible();
    if (!matrix) {
      // Vectors, buffers and tensors of other types, as they are.
      tensors.push_back(EncodedTensor{
          name, view.dtypeName, view.shape,
          std::string(reinterpret_cast<const char *>(view.data), view.bytes)});
      ++copied;
    } else {
      if (group > 0 && view.shape[1] % group != 0)
        return fail(groupDoesNotDivide(group, name, view.shape[1]));
      size_t count = static_cast<size_t>(view.shape[0]) *
                     static_cast<size_t>(view.shape[1]);
      std::vector<float> values(count);
      convertToFloat(view, 0, count, values.data());
      for (size_t i = 0; i < count; ++i)
        if (!std::isfinite(values[i]))
          return fail("tensor '" + name + "' holds a value that is not " +
                      "finite (element " + std::to_string(i) + ")");
      for (EncodedTensor &tensor :
           encodeTensor(name, view.shape, values.data(), type, group))
        tensors.push_back(std::move(tensor));
      ++converted;
    }
    file.releasePages(view);
  }
  for (const EncodedTensor &tensor : tensors)
    outputBytes += tensor.bytes.size();
  const char *typeName = type == DType::I8     ? "int8"
                         : type == DType::BF16 ? "bf16"
                         : type == DType::F16  ? "f16"
                                               : "f32";
  if (!writeSafetensors(outputFile, tensors,
                        {{"format", "pt"},
                         {"generator", "retnet-quantize"},
                         {"weight_type", typeName}},
                        error))
    return fail(error);
  llvm::outs() << "retnet-quantize: " << converted << " matrices to "
               << typeName << ", " << copied << " tensors copied; "
               << outputBytes << " bytes of tensor data\n";
  return 0;
}
