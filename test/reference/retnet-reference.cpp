//===- retnet-reference.cpp - Float64 reference logits of a RetNet model --===//
//
//   retnet-reference MODEL.json W.safetensors --prompt 1,2,3[;4,5,6]
//                    [--logits-out FILE.npy]
//
// Computes logits [B, T, vocab] with ModelReference (batch rows separated by
// ';') and writes them as a float32 .npy file; prints a summary otherwise.
//
//===----------------------------------------------------------------------===//

#include "ModelReference.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace retnet_reference;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory category("retnet-reference options");
cl::opt<std::string> configFile(cl::Positional, cl::desc("<MODEL.json>"),
                                cl::Required, cl::cat(category));
cl::opt<std::string> weightsFile(cl::Positional, cl::desc("<W.safetensors>"),
                                 cl::Required, cl::cat(category));
cl::opt<std::string> prompt("prompt",
                            cl::desc("Token ids: 1,2,3 (rows of a batch "
                                     "separated by ';')"),
                            cl::Required, cl::cat(category));
cl::opt<std::string> logitsOut("logits-out",
                               cl::desc("Write logits [B, T, vocab] as float32 "
                                        ".npy"),
                               cl::value_desc("file"), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "retnet-reference") << message << "\n";
  return 1;
}

bool parsePrompt(llvm::StringRef text, std::vector<std::vector<int32_t>> &rows,
                 std::string &error) {
  llvm::SmallVector<llvm::StringRef> rowTexts;
  text.split(rowTexts, ';');
  for (llvm::StringRef rowText : rowTexts) {
    llvm::SmallVector<llvm::StringRef> items;
    rowText.split(items, ',', -1, /*KeepEmpty=*/false);
    std::vector<int32_t> row;
    for (llvm::StringRef item : items) {
      int32_t token;
      if (item.trim().getAsInteger(10, token)) {
        error = "--prompt: '" + item.trim().str() + "' is not a token id";
        return false;
      }
      row.push_back(token);
    }
    if (row.empty()) {
      error = "--prompt: empty row";
      return false;
    }
    rows.push_back(std::move(row));
  }
  return true;
}

/// Writes a version 1.0 .npy file of little-endian float32.
void writeNpy(llvm::raw_ostream &os, const std::vector<int64_t> &shape,
              const std::vector<double> &values) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int64_t extent : shape)
    header += std::to_string(extent) + ", ";
  header += "), }";
  // Magic (6) + version (2) + length (2) + header, padded to 64 with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  os << "\x93NUMPY" << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>((header.size() >> 8) & 0xff);
  os << header;
  for (double value : values) {
    float narrow = static_cast<float>(value);
    uint32_t bits;
    std::memcpy(&bits, &narrow, sizeof(bits));
    for (int i = 0; i < 4; ++i)
      os << static_cast<char>((bits >> (8 * i)) & 0xff);
  }
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "retnet-reference: float64 reference logits of a RetNet "
      "model\n");

  std::vector<std::string> warnings;
  llvm::Expected<mlir::retnet::ModelConfig> config =
      mlir::retnet::readModelConfig(configFile, warnings);
  if (!config)
    return fail(llvm::toString(config.takeError()));
  for (const std::string &warning : warnings)
    llvm::WithColor::warning(llvm::errs(), "retnet-reference")
        << warning << "\n";

  std::string error;
  std::vector<std::vector<int32_t>> rows;
  if (!parsePrompt(prompt, rows, error))
    return fail(error);
  ModelReference reference;
  if (!reference.load(*config, weightsFile, error))
    return fail(error);
  std::vector<double> logits;
  if (!reference.batchLogits(rows, logits, error))
    return fail(error);

  int64_t batch = static_cast<int64_t>(rows.size());
  int64_t length = static_cast<int64_t>(rows[0].size());
  int64_t vocab = config->vocabSize;
  if (!logitsOut.empty()) {
    std::error_code ec;
    llvm::ToolOutputFile output(logitsOut, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail("cannot write '" + logitsOut + "': " + ec.message());
    writeNpy(output.os(), {batch, length, vocab}, logits);
    output.keep();
    return 0;
  }
  // Without an output file: the arg-max and max |logit| of each last position.
  for (int64_t b = 0; b < batch; ++b) {
    const double *last = &logits[(b * length + length - 1) * vocab];
    int64_t best = 0;
    double largest = 0.0;
    for (int64_t i = 0; i < vocab; ++i) {
      if (last[i] > last[best])
        best = i;
      largest = std::max(largest, std::fabs(last[i]));
    }
    llvm::outs() << "row " << b << ": argmax " << best << " (" << last[best]
                 << "), max |logit| " << largest << "\n";
  }
  return 0;
}
