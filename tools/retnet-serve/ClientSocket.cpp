//===- ClientSocket.cpp - Whether an HTTP client is still there -----------===//

#include "ClientSocket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

using namespace retnet_serve;

/// The numeric address and port of an IPv4 or IPv6 socket address; false
/// for other families.
static bool addressAndPort(const sockaddr_storage &address, std::string &host,
                           int &port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto &v4 = reinterpret_cast<const sockaddr_in &>(address);
    port = ntohs(v4.sin_port);
    host = inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text)) ? text : "";
    return true;
  }
  if (address.ss_family == AF_INET6) {
    const auto &v6 = reinterpret_cast<const sockaddr_in6 &>(address);
    port = ntohs(v6.sin6_port);
    host = inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text)) ? text : "";
    return true;
  }
  return false;
}

/// Whether the address of socket `fd` that `getName` reads (getsockname:
/// its own, getpeername: its peer's) is `host`:`port`.
template <typename GetName>
static bool hasAddress(int fd, GetName getName, const std::string &host,
                       int port) {
  sockaddr_storage address = {};
  socklen_t length = sizeof(address);
  std::string foundHost;
  int foundPort = -1;
  return getName(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0 &&
         addressAndPort(address, foundHost, foundPort) && foundPort == port &&
         foundHost == host;
}

ClientSocket::ClientSocket(const std::string &localAddress, int localPort,
                           const std::string &remoteAddress, int remotePort) {
  DIR *directory = opendir("/proc/self/fd");
  if (!directory)
    return;
  while (dirent *entry = readdir(directory)) {
    char *end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    struct stat status;
    if (end == entry->d_name || *end || fd == dirfd(directory) ||
        fstat(static_cast<int>(fd), &status) != 0 || !S_ISSOCK(status.st_mode))
      continue;
    if ((localPort < 0 || hasAddress(static_cast<int>(fd), getsockname,
                                     localAddress, localPort)) &&
        hasAddress(static_cast<int>(fd), getpeername, remoteAddress,
                   remotePort)) {
      descriptor = static_cast<int>(fd);
      break;
    }
  }
  closedir(directory);
}

bool ClientSocket::connected() const {
  if (descriptor < 0)
    return true;
  // The connection stays open while this request's handler runs, so the
  // descriptor cannot be reused meanwhile. A read of 0 bytes is the
  // client's close; bytes waiting (a pipelined request) are left there.
  char byte;
  ssize_t got = recv(descriptor, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got == 0)
    return false;
  return got > 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}
