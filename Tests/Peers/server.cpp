// cpp_server: Apache Thrift's own C++ server (Debian libthrift 0.17, generated code) for BaseplateServiceV2.
//
//   cpp_server PORT [--host ADDR]       (ADDR defaults to 127.0.0.1)
//
// Prints `listening` once the socket listens (`listening <port>` when PORT is 0, with the port the kernel
// chose), then serves until killed. One thread per connection (TThreadedServer).
//
// THeaderProtocolFactory makes each connection auto-detect its dialect, as THeaderTransport does: THeader
// (binary or compact payload), framed binary/compact and unframed binary/compact; replies go back in the
// request's dialect. is_healthy returns false only for probe == STARTUP (3), true otherwise. A V1
// BaseplateService.is_healthy() call is answered too: its empty args decode as a V2 request with no probe.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <thrift/protocol/THeaderProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>

#include "BaseplateServiceV2.h"

using apache::thrift::protocol::THeaderProtocolFactory;
using apache::thrift::protocol::TProtocolFactory;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TTransportFactory;

namespace {

class Handler : public BaseplateServiceV2If {
public:
  bool is_healthy(const IsHealthyRequest& request) override {
    return !(request.__isset.probe && request.probe == IsHealthyProbe::STARTUP);
  }
};

// Announces readiness: TServerFramework::serve calls preServe right after the socket listens.
class Announce : public TServerEventHandler {
public:
  Announce(std::shared_ptr<TServerSocket> socket, bool showPort) : socket_(std::move(socket)), showPort_(showPort) {}

  void preServe() override {
    if (showPort_) {
      std::printf("listening %d\n", socket_->getPort());
    } else {
      std::printf("listening\n");
    }
    std::fflush(stdout);
  }

private:
  std::shared_ptr<TServerSocket> socket_;
  bool showPort_;
};

int usage() {
  std::fprintf(stderr, "usage: cpp_server PORT [--host ADDR]\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) return usage();
  char* end = nullptr;
  long port = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || port < 0 || port > 65535) return usage();
  std::string host = "127.0.0.1";
  if (argc == 4) {
    if (std::string(argv[2]) != "--host") return usage();
    host = argv[3];
  }

  try {
    auto socket = std::make_shared<TServerSocket>(host, static_cast<int>(port));
    auto processor = std::make_shared<BaseplateServiceV2Processor>(std::make_shared<Handler>());
    auto passthrough = std::make_shared<TTransportFactory>();
    // The output protocol factory must be null: TServerFramework then makes ONE THeaderProtocol per
    // connection for input and output, so replies use the dialect the request was detected in. With the
    // four-argument constructor it makes a second THeaderProtocol for output, which knows nothing of the
    // request and would always answer in THeader framing.
    TThreadedServer server(processor, socket, passthrough, passthrough, std::make_shared<THeaderProtocolFactory>(),
                           std::shared_ptr<TProtocolFactory>());
    server.setServerEventHandler(std::make_shared<Announce>(socket, port == 0));
    server.serve();
    return 0;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 2;
  }
}
