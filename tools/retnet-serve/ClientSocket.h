//===- ClientSocket.h - Whether an HTTP client is still there ---*- C++ -*-===//
//
// cpp-httplib 0.11 (Debian 12's) gives a handler no way to learn that its
// client left while the handler waits for a non-streamed answer, so the
// request would keep its slot to the end. The handler's connection is found
// among the process's sockets by its two addresses, then watched with a
// read that consumes nothing.
//
//===----------------------------------------------------------------------===//

#ifndef RETNET_SERVE_CLIENTSOCKET_H
#define RETNET_SERVE_CLIENTSOCKET_H

#include <string>

namespace retnet_serve {
class ClientSocket {
public:
  /// The connected socket from `localAddress`:`localPort` to
  /// `remoteAddress`:`remotePort` (numeric addresses, as httplib gives
  /// them). A negative `localPort` (httplib 0.11 does not fill in the
  /// local address) matches any: the server listens on one address, so its
  /// connections differ in their peer. When none is found, connected() is
  /// always true.
  ClientSocket(const std::string &localAddress, int localPort,
               const std::string &remoteAddress, int remotePort);
  /// False once the client has closed the connection (or it failed).
  bool connected() const;

private:
  int descriptor = -1;
};
} // namespace retnet_serve

#endif // RETNET_SERVE_CLIENTSOCKET_H
