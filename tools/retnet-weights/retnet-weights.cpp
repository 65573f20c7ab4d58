//===- retnet-weights.cpp - Seeded random weights for a RetNet model ------===//
//
// Writes a safetensors file holding every tensor a model description needs,
// drawn deterministically from a seed with torchscale's initialisation
// scales; --decays adds torchscale's decay buffer. Test flags write
// deliberately broken files (a tensor left out, a wrong shape, a wrong dtype).
//
//===----------------------------------------------------------------------===//

#include "retnet/Import/ModelConfig.h"
#include "retnet/Runtime/ModelLayout.h"
#include "retnet/Runtime/SafetensorsWriter.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace mlir::retnet;
using namespace retnet_runtime;
namespace cl = llvm::cl;

namespace {
enum class Decays { None, Formula, Random };

cl::OptionCategory category("retnet-weights options");
cl::OptionCategory testCategory("retnet-weights test options (broken files)");

cl::opt<std::string> configFile(cl::Positional, cl::desc("<MODEL.json>"),
                                cl::Required, cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output safetensors file"),
                                cl::value_desc("file"), cl::Required,
                                cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed (default 0)"), cl::init(0),
                       cl::cat(category));
cl::opt<DType> dtype("dtype", cl::desc("Element type of the tensors"),
                     cl::init(DType::F32),
                     cl::values(clEnumValN(DType::F32, "f32", "F32 (default)"),
                                clEnumValN(DType::F16, "f16", "F16"),
                                clEnumValN(DType::BF16, "bf16", "BF16"),
                                clEnumValN(DType::I8, "int8",
                                           "I8 matrices, each group of a "
                                           "row (--group) quantized "
                                           "symmetrically with an F32 scale "
                                           "in <name>_scale (as "
                                           "retnet-quantize writes them); "
                                           "vectors stay F32")),
                     cl::cat(category));
cl::opt<std::string>
    groupOption("group",
                cl::desc("With --dtype=int8: values of a row per scale "
                         "(default 32), or 'channel' for one scale per row"),
                cl::init(""), cl::cat(category));
cl::opt<Decays>
    decays("decays",
           cl::desc("Whether to store torchscale's buffer retnet_rel_pos.decay "
                    "(ln gamma per head, F32)"),
           cl::init(Decays::None),
           cl::values(clEnumValN(Decays::None, "none",
                                 "no buffer: the model uses the formula of its "
                                 "description (default)"),
                      clEnumValN(Decays::Formula, "formula",
                                 "the decays of the description's formula"),
                      clEnumValN(Decays::Random, "random",
                                 "seeded random decays in (0.5, 0.999)")),
           cl::cat(category));
cl::list<std::string>
    omitTensors("omit", cl::desc("Leave this tensor out (repeatable)"),
                cl::value_desc("name"), cl::cat(testCategory));
cl::list<std::string>
    badShapeTensors("bad-shape",
                    cl::desc("Write this tensor with its first dimension one "
                             "larger (repeatable)"),
                    cl::value_desc("name"), cl::cat(testCategory));
cl::list<std::string>
    badDTypeTensors("bad-dtype",
                    cl::desc("Write this tensor as I32 (repeatable)"),
                    cl::value_desc("name"), cl::cat(testCategory));

//===----------------------------------------------------------------------===//
// Random numbers: splitmix64, uniform doubles, Box-Muller normals.
//===----------------------------------------------------------------------===//

uint64_t splitMix64(uint64_t &state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// One independent stream per tensor, so leaving a tensor out (or adding
/// one) does not change the values of the others.
class RandomStream {
public:
  RandomStream(uint64_t seed, llvm::StringRef tensorName) {
    // FNV-1a of the name, mixed with the seed.
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (char c : tensorName) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 0x100000001b3ULL;
    }
    state = seed ^ hash;
    splitMix64(state);
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform01() {
    return static_cast<double>(splitMix64(state) >> 11) * 0x1.0p-53;
  }
  double uniform(double low, double high) {
    return low + (high - low) * uniform01();
  }
  double normal(double mean, double stddev) {
    if (hasSpare) {
      hasSpare = false;
      return mean + stddev * spare;
    }
    double u1 = 1.0 - uniform01(); // (0, 1]: log is finite
    double u2 = uniform01();
    double radius = std::sqrt(-2.0 * std::log(u1));
    double angle = 2.0 * M_PI * u2;
    spare = radius * std::sin(angle);
    hasSpare = true;
    return mean + stddev * radius * std::cos(angle);
  }

private:
  uint64_t state;
  bool hasSpare = false;
  double spare = 0.0;
};

//===----------------------------------------------------------------------===//
// Initialisation (torchscale's scales).
//===----------------------------------------------------------------------===//

bool endsWith(llvm::StringRef name, llvm::StringRef suffix) {
  return name.ends_with(suffix);
}

/// Values of one tensor, row-major.
std::vector<float> initialValues(const WeightInfo &info,
                                 const ModelConfig &config) {
  int64_t count = 1;
  for (int64_t dim : info.shape)
    count *= dim;
  std::vector<float> values(count);
  RandomStream random(seed, info.name);
  llvm::StringRef name = info.name;

  auto fill = [&](auto draw) {
    for (float &value : values)
      value = static_cast<float>(draw());
  };
  // Weights are [out, in]: fan_in = in, fan_out = out.
  double fanOut = info.shape.size() == 2 ? info.shape[0] : 1;
  double fanIn = info.shape.size() == 2 ? info.shape[1] : 1;
  auto xavierUniform = [&](double gain) {
    double bound = gain * std::sqrt(6.0 / (fanIn + fanOut));
    fill([&] { return random.uniform(-bound, bound); });
  };

  if (name == "retnet_rel_pos.decay") {
    std::vector<double> gammas = config.decays();
    for (int64_t head = 0; head < count; ++head)
      values[head] = static_cast<float>(
          std::log(decays == Decays::Random ? random.uniform(0.5, 0.999)
                                            : gammas[head]));
    return values;
  }
  if (endsWith(name, "layer_norm.weight") ||
      endsWith(name, ".ffn_layernorm.weight") ||
      name == "layernorm_embedding.weight") {
    fill([&] { return 1.0 + random.uniform(-0.1, 0.1); });
  } else if (name == "embed_tokens.weight" ||
             name == "output_projection.weight") {
    double stddev = 1.0 / std::sqrt(static_cast<double>(config.embedDim));
    fill([&] { return random.normal(0.0, stddev); });
  } else if (endsWith(name, ".q_proj.weight") ||
             endsWith(name, ".k_proj.weight") ||
             endsWith(name, ".v_proj.weight") ||
             endsWith(name, ".g_proj.weight")) {
    xavierUniform(std::pow(2.0, -2.5));
  } else if (endsWith(name, ".out_proj.weight")) {
    xavierUniform(std::pow(2.0, -1.0));
  } else if (endsWith(name, ".fc1.weight") || endsWith(name, ".gate.weight") ||
             endsWith(name, ".fc2.weight")) {
    double bound = 1.0 / std::sqrt(fanIn);
    fill([&] { return random.uniform(-bound, bound); });
  } else {
    // Biases (fc1, fc2 and the feed-forward LayerNorm's without GLU):
    // small, so that they change the result without dominating it.
    fill([&] { return random.uniform(-0.1, 0.1); });
  }

  if (config.deepNorm &&
      (endsWith(name, ".fc1.weight") || endsWith(name, ".fc2.weight") ||
       endsWith(name, ".out_proj.weight") ||
       endsWith(name, ".v_proj.weight"))) {
    double initScale = std::pow(8.0 * static_cast<double>(config.layers), 0.25);
    for (float &value : values)
      value = static_cast<float>(value / initScale);
  }
  return values;
}

//===----------------------------------------------------------------------===//
// safetensors output.
//===----------------------------------------------------------------------===//

/// `values` of `info` as the tensors of `type` (an I8 matrix with its
/// scales); `asInt32` writes them as I32 instead, a dtype no loader takes.
std::vector<EncodedTensor> encode(const WeightInfo &info,
                                  const std::vector<float> &values, DType type,
                                  int64_t group, bool asInt32) {
  std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
  if (!asInt32)
    return encodeTensor(info.name, shape, values.data(), type, group);
  EncodedTensor tensor{info.name, "I32", shape, ""};
  for (float value : values)
    appendLittleEndian(tensor.bytes,
                       static_cast<uint32_t>(
                           static_cast<int32_t>(std::lround(value * 1000.0f))),
                       4);
  return {tensor};
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "retnet-weights") << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions({&category, &testCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "retnet-weights: seeded random weights (safetensors) for a RetNet "
      "model description\n");

  std::vector<std::string> warnings;
  llvm::Expected<ModelConfig> config = readModelConfig(configFile, warnings);
  if (!config)
    return fail(llvm::toString(config.takeError()));
  for (const std::string &warning : warnings)
    llvm::WithColor::warning(llvm::errs(), "retnet-weights") << warning << "\n";

  int64_t group = dtype == DType::I8 ? kDefaultWeightGroup : 0;
  if (!groupOption.empty() &&
      (dtype != DType::I8 || !parseWeightGroup(groupOption, group)))
    return fail("--group must be a positive number of values or 'channel', "
                "with --dtype=int8; got '" +
                groupOption + "'");

  std::vector<WeightInfo> weights = listWeights(*config);
  for (const WeightInfo &info : weights)
    if (group > 0 && !info.optional && info.shape.size() == 2 &&
        info.shape[1] % group != 0)
      return fail(groupDoesNotDivide(group, info.name, info.shape[1]));
  llvm::StringSet<> known, omittable;
  for (const WeightInfo &info : weights) {
    if (info.optional)
      continue;
    known.insert(info.name);
    omittable.insert(info.name);
    // The scales of an int8 matrix can be left out too.
    if (dtype == DType::I8 && info.shape.size() == 2)
      omittable.insert(info.name + kScaleSuffix);
  }
  llvm::StringSet<> omit, badShape, badDType;
  struct Flag {
    const char *spelling;
    cl::list<std::string> &names;
    llvm::StringSet<> &set;
    const llvm::StringSet<> &accepted;
  } flags[] = {{"--omit", omitTensors, omit, omittable},
               {"--bad-shape", badShapeTensors, badShape, known},
               {"--bad-dtype", badDTypeTensors, badDType, known}};
  for (Flag &flag : flags) {
    for (const std::string &name : flag.names) {
      if (!flag.accepted.contains(name))
        return fail(llvm::Twine(flag.spelling) + "=" + name +
                    ": the model has no tensor named '" + name + "'");
      flag.set.insert(name);
    }
  }

  std::vector<EncodedTensor> tensors;
  for (const WeightInfo &info : weights) {
    bool storedDecays =
        info.name == "retnet_rel_pos.decay" && decays != Decays::None;
    if ((info.optional && !storedDecays) || omit.contains(info.name))
      continue;
    WeightInfo written = info;
    std::vector<float> values = initialValues(info, *config);
    if (badShape.contains(info.name)) {
      // One more row (or element), filled with the first row's values.
      int64_t rowSize = 1;
      for (size_t i = 1; i < written.shape.size(); ++i)
        rowSize *= written.shape[i];
      written.shape[0] += 1;
      values.insert(values.end(), values.begin(), values.begin() + rowSize);
    }
    // Buffers stay F32, as torchscale keeps them; int8 quantizes matrices
    // only.
    DType type = info.optional ? DType::F32 : dtype.getValue();
    if (type == DType::I8 && written.shape.size() != 2)
      type = DType::F32;
    for (EncodedTensor &tensor :
         encode(written, values, type, group, badDType.contains(info.name)))
      if (!omit.contains(tensor.name))
        tensors.push_back(std::move(tensor));
  }

  std::string error;
  if (!writeSafetensors(outputFile, tensors,
                        {{"format", "pt"},
                         {"generator", "retnet-weights"},
                         {"seed", std::to_string(seed.getValue())}},
                        error))
    return fail(error);
  return 0;
}
