//===- ApiPrefix.cpp - The exported names of a model library --------------===//

#include "retnet/Target/ApiPrefix.h"
#include "retnet/ModelABI.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

bool mlir::retnet::isValidApiPrefix(StringRef prefix) {
  return !prefix.empty() && prefix.size() <= 64 && llvm::isAlpha(prefix[0]) &&
         !prefix.ends_with("_") && llvm::all_of(prefix, [](char c) {
           return llvm::isAlnum(c) || c == '_';
         });
}

llvm::StringMap<std::string> mlir::retnet::getApiRenames(StringRef prefix) {
  llvm::StringMap<std::string> renames;
  if (prefix == retnet_abi::kDefaultApiPrefix)
    return renames;
  for (const char *suffix : retnet_abi::kExportedSuffixes)
    renames[retnet_abi::exportedName(retnet_abi::kDefaultApiPrefix, suffix)] =
        retnet_abi::exportedName(prefix.str(), suffix);
  return renames;
}

std::string mlir::retnet::getExportVersionScript(StringRef prefix) {
  std::string script = "{ global:";
  for (const char *suffix : retnet_abi::kExportedSuffixes)
    script += " " + retnet_abi::exportedName(prefix.str(), suffix) + ";";
  return script + " local: *; };\n";
}

std::string mlir::retnet::getApiHeader(StringRef retnetHeader,
                                       StringRef prefix) {
  std::string text = retnetHeader.str();
  auto replaceAll = [&](StringRef from, StringRef to) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to.str());
  };
  replaceAll("RETNET_RETNET_H", prefix.upper() + "_RETNET_H");
  replaceAll("RETNET_LOAD_", prefix.upper() + "_LOAD_");
  replaceAll("retnet_", (prefix + "_").str());
  return text;
}
