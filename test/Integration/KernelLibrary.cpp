//===- KernelLibrary.cpp - Compile, load and call retention kernels -------===//

#include "KernelLibrary.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <thread>

#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace retnet::kernel {

namespace {
/// Runs `argv` with stdout and stderr sent to `logPath`; true on exit 0.
bool runProcess(const std::vector<std::string> &argv,
                const std::string &logPath) {
  std::vector<char *> arguments;
  for (const std::string &argument : argv)
    arguments.push_back(const_cast<char *>(argument.c_str()));
  arguments.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid;
  int spawned = posix_spawn(&pid, arguments[0], &actions, nullptr,
                            arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::ofstream(logPath) << "cannot run " << argv[0] << "\n";
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
} // namespace

std::vector<bool> compileKernels(const std::string &compiler,
                                 const std::vector<CompileRequest> &requests,
                                 const std::vector<std::string> &extraArgs,
                                 unsigned jobs) {
  std::vector<char> succeeded(requests.size(), 0);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < requests.size(); i = next++) {
      const CompileRequest &request = requests[i];
      {
        std::ofstream source(request.sourcePath);
        source << kernelSource(request.config);
        if (!source) {
          std::ofstream(request.logPath)
              << "cannot write " << request.sourcePath << "\n";
          continue;
        }
      }
      std::vector<std::string> argv = {compiler,     request.sourcePath,
                                       "--emit=lib", "--form=keep",
                                       "-o",         request.libraryPath};
      argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
      succeeded[i] = runProcess(argv, request.logPath);
    }
  };
  std::vector<std::thread> workers;
  for (unsigned j = 1; j < std::max(jobs, 1u); ++j)
    workers.emplace_back(worker);
  worker();
  for (std::thread &thread : workers)
    thread.join();
  return std::vector<bool>(succeeded.begin(), succeeded.end());
}

std::string makeTemporaryDirectory(const std::string &prefix) {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data()))
    return "";
  return buffer.data();
}

std::string readTextFile(const std::string &path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::unique_ptr<KernelLibrary> KernelLibrary::load(const std::string &path,
                                                   const KernelConfig &config,
                                                   std::string &error) {
  // RTLD_NODELETE: closing a kernel must not unload the OpenMP runtime it
  // brought in while that runtime's worker threads still exist.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    error = dlerror();
    return nullptr;
  }
  void *entry = dlsym(handle, "_mlir_ciface_retention");
  if (!entry) {
    error = path + ": no symbol _mlir_ciface_retention";
    dlclose(handle);
    return nullptr;
  }
  return std::unique_ptr<KernelLibrary>(
      new KernelLibrary(handle, entry, config));
}

KernelLibrary::~KernelLibrary() { dlclose(handle); }

} // namespace retnet::kernel
