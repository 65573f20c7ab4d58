//===- KernelSource.cpp - MLIR text of retention kernels ------------------===//

#include "KernelSource.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace retnet::kernel {

const char *formName(Form form) {
  switch (form) {
  case Form::Parallel:
    return "parallel";
  case Form::Recurrent:
    return "recurrent";
  case Form::Chunkwise:
    return "chunkwise";
  }
  return "?";
}

const char *scalingName(Scaling scaling) {
  return scaling == Scaling::None ? "none" : "decay_sqrt_sum";
}

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::BF16:
    return "bf16";
  }
  return "?";
}

std::string describe(const KernelConfig &config) {
  std::ostringstream text;
  text << formName(config.form);
  if (config.form == Form::Chunkwise)
    text << " C=" << config.chunkSize;
  text << " H=" << config.heads << " dk=" << config.keyDim
       << " dv=" << config.valueDim << " " << scalingName(config.scaling) << " "
       << elementTypeName(config.elementType);
  if (!config.stateAndOffset)
    text << " no-state-operand";
  return text.str();
}

std::vector<double> torchscaleDecays(int64_t heads) {
  std::vector<double> gamma;
  for (int64_t h = 0; h < heads; ++h)
    gamma.push_back(1.0 - std::ldexp(1.0, -5 - static_cast<int>(h)));
  return gamma;
}

namespace {
/// "?xHx?xDxE" (per token) or "?xHxDKxDVxE" (state), without the wrapper.
std::string tokenShape(const KernelConfig &config, int64_t width) {
  return "?x" + std::to_string(config.heads) + "x?x" + std::to_string(width) +
         "x" + elementTypeName(config.elementType);
}

std::string stateShape(const KernelConfig &config) {
  return "?x" + std::to_string(config.heads) + "x" +
         std::to_string(config.keyDim) + "x" + std::to_string(config.valueDim) +
         "x" +
         elementTypeName(config.elementType == ElementType::BF16
                             ? ElementType::F32
                             : config.elementType);
}

/// A double that MLIR parses back to the same value.
std::string exactDouble(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", value);
  std::string result(text);
  if (result.find_first_of(".e") == std::string::npos)
    result += ".0";
  return result;
}
} // namespace

std::string kernelSource(const KernelConfig &config) {
  const std::string qType = tokenShape(config, config.keyDim);
  const std::string vType = tokenShape(config, config.valueDim);
  const std::string sType = stateShape(config);
  auto memref = [](const std::string &shape) {
    return "memref<" + shape + ">";
  };
  auto tensor = [](const std::string &shape) {
    return "tensor<" + shape + ">";
  };

  std::ostringstream gamma;
  for (size_t h = 0; h < config.gamma.size(); ++h)
    gamma << (h ? ", " : "") << exactDouble(config.gamma[h]);

  std::ostringstream text;
  text << "// " << describe(config) << "\n";
  text << "func.func @retention(%q: " << memref(qType)
       << ", %k: " << memref(qType) << ", %v: " << memref(vType)
       << ", %s0: " << memref(sType) << ", %pos: index, %o: " << memref(vType)
       << ", %sT: " << memref(sType)
       << ") attributes {llvm.emit_c_interface} {\n";
  auto toTensor = [&](const char *result, const char *source,
                      const std::string &shape) {
    text << "  " << result << " = bufferization.to_tensor " << source
         << " restrict : " << memref(shape) << " to " << tensor(shape) << "\n";
  };
  toTensor("%qt", "%q", qType);
  toTensor("%kt", "%k", qType);
  toTensor("%vt", "%v", vType);
  if (config.stateAndOffset)
    toTensor("%s0t", "%s0", sType);

  text << "  %gamma = arith.constant dense<[" << gamma.str() << "]> : tensor<"
       << config.gamma.size() << "xf64>\n";
  text << "  %out, %state = retention." << formName(config.form)
       << " %qt, %kt, %vt gamma %gamma";
  if (config.stateAndOffset)
    text << " state %s0t offset %pos";
  text << " {scaling = #retention.scaling<" << scalingName(config.scaling)
       << ">";
  if (config.form == Form::Chunkwise)
    text << ", chunk_size = " << config.chunkSize;
  text << "} : " << tensor(qType) << ", " << tensor(qType) << ", "
       << tensor(vType) << ", tensor<" << config.gamma.size() << "xf64>";
  if (config.stateAndOffset)
    text << ", " << tensor(sType);
  text << " -> " << tensor(vType) << ", " << tensor(sType) << "\n";

  text << "  bufferization.materialize_in_destination %out in restrict "
          "writable %o : ("
       << tensor(vType) << ", " << memref(vType) << ") -> ()\n";
  text << "  bufferization.materialize_in_destination %state in restrict "
          "writable %sT : ("
       << tensor(sType) << ", " << memref(sType) << ") -> ()\n";
  text << "  return\n}\n";
  return text.str();
}

} // namespace retnet::kernel
