//===- RenameSymbols.cpp - Rename symbols of object files and archives ----===//

#include "retnet/Target/Compile.h"

#include "llvm/ObjCopy/ConfigManager.h"
#include "llvm/ObjCopy/ObjCopy.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/Binary.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

LogicalResult
mlir::retnet::renameSymbols(StringRef input, StringRef output,
                            const llvm::StringMap<std::string> &renames,
                            std::string &error) {
  llvm::objcopy::ConfigManager config;
  config.Common.InputFilename = input;
  config.Common.OutputFilename = output;
  for (const auto &rename : renames)
    config.Common.SymbolsToRename.insert({rename.getKey(), rename.getValue()});

  auto fail = [&](llvm::Error err) {
    error = ("cannot rename the symbols of '" + input +
             "': " + llvm::toString(std::move(err)))
                .str();
    return failure();
  };
  llvm::Expected<llvm::object::OwningBinary<llvm::object::Binary>> binary =
      llvm::object::createBinary(input);
  if (!binary)
    return fail(binary.takeError());
  llvm::object::Binary &contents = *binary->getBinary();
  if (auto *archive = dyn_cast<llvm::object::Archive>(&contents)) {
    if (llvm::Error err =
            llvm::objcopy::executeObjcopyOnArchive(config, *archive))
      return fail(std::move(err));
    return success();
  }
  std::string bytes;
  llvm::raw_string_ostream stream(bytes);
  if (llvm::Error err =
          llvm::objcopy::executeObjcopyOnBinary(config, contents, stream))
    return fail(std::move(err));
  std::error_code ec;
  llvm::raw_fd_ostream file(output, ec);
  if (ec) {
    error = ("cannot write '" + output + "': " + ec.message()).str();
    return failure();
  }
  file << bytes;
  return success();
}
