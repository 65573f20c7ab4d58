//===- ModelLibrary.h - Open a model library and find its C API -*- C++ -*-===//
//
// For the programs that load libraries made by retnet-compile at run time
// (retnet-run, retnet-serve). Plain C++ on dlopen.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_RUNTIME_MODELLIBRARY_H
#define RETNET_RUNTIME_MODELLIBRARY_H

#include "retnet/Runtime/Driver.h"

#include <string>

namespace retnet_runtime {
/// Opens `path` (a bare file name is taken from the working directory) and
/// finds its C API, exported under `apiPrefix` ("retnet" unless the library
/// was compiled with --api-prefix). Returns the dlopen handle, or null with
/// `error` saying what failed.
void *openModelLibrary(const std::string &path, const std::string &apiPrefix,
                       ModelApi &api, std::string &error);
} // namespace retnet_runtime

#endif // RETNET_RUNTIME_MODELLIBRARY_H
