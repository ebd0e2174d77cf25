// cpp_client: Apache Thrift's own C++ client (Debian libthrift 0.17, generated code) calling is_healthy.
//
//   cpp_client --host 127.0.0.1 --port P --transport framed|header|buffered --protocol binary|compact
//              [--probe N] [--count N] [--v1] [--header K=V ...] [--timeout-ms N]
//
// Makes `count` calls on one connection and prints `true` or `false` for each. Exit status: 0 when every
// call returned true, 1 when one returned false, 2 on an exception (printed to stdout as `error: ...`),
// 64 on bad usage.
//
// --v1 calls BaseplateService.is_healthy() (no arguments); otherwise BaseplateServiceV2.is_healthy(request)
// with request.probe set when --probe is given and unset otherwise. --header sets THeader headers
// (repeatable; header transport only); they are set again before every call, because THeaderTransport
// clears its write headers on each flush.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <thrift/TApplicationException.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/THeaderProtocol.h>
#include <thrift/protocol/TProtocolException.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include "BaseplateService.h"
#include "BaseplateServiceV2.h"

using apache::thrift::TApplicationException;
using apache::thrift::TException;
using apache::thrift::protocol::T_BINARY_PROTOCOL;
using apache::thrift::protocol::T_COMPACT_PROTOCOL;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::protocol::TCompactProtocol;
using apache::thrift::protocol::THeaderProtocol;
using apache::thrift::protocol::TProtocol;
using apache::thrift::protocol::TProtocolException;
using apache::thrift::transport::TBufferedTransport;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportException;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string transport;
  std::string protocol;
  bool hasProbe = false;
  int probe = 0;
  long count = 1;
  bool v1 = false;
  int timeoutMs = 10000;
  std::vector<std::pair<std::string, std::string>> headers;
};

int usage(const char* problem) {
  std::fprintf(stderr,
               "cpp_client: %s\n"
               "usage: cpp_client --host H --port P --transport framed|header|buffered "
               "--protocol binary|compact\n"
               "                  [--probe N] [--count N] [--v1] [--header K=V ...] [--timeout-ms N]\n",
               problem);
  return 64;
}

bool parseLong(const char* text, long low, long high, long& out) {
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < low || value > high) return false;
  out = value;
  return true;
}

// Returns 0, or the exit status of a usage error.
int parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--v1") {
      o.v1 = true;
      continue;
    }
    if (i + 1 >= argc) return usage(("missing value for " + arg).c_str());
    const char* value = argv[++i];
    long n = 0;
    if (arg == "--host") {
      o.host = value;
    } else if (arg == "--port") {
      if (!parseLong(value, 1, 65535, n)) return usage("bad --port");
      o.port = static_cast<int>(n);
    } else if (arg == "--transport") {
      o.transport = value;
    } else if (arg == "--protocol") {
      o.protocol = value;
    } else if (arg == "--probe") {
      if (!parseLong(value, -2147483648L, 2147483647L, n)) return usage("bad --probe");
      o.hasProbe = true;
      o.probe = static_cast<int>(n);
    } else if (arg == "--count") {
      if (!parseLong(value, 0, 1000000000L, n)) return usage("bad --count");
      o.count = n;
    } else if (arg == "--timeout-ms") {
      if (!parseLong(value, 0, 3600000L, n)) return usage("bad --timeout-ms");
      o.timeoutMs = static_cast<int>(n);
    } else if (arg == "--header") {
      const char* eq = std::strchr(value, '=');
      if (eq == nullptr) return usage("--header takes K=V");
      o.headers.emplace_back(std::string(value, eq), std::string(eq + 1));
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (o.port == 0) return usage("--port is required");
  if (o.transport != "framed" && o.transport != "header" && o.transport != "buffered") {
    return usage("--transport must be framed, header or buffered");
  }
  if (o.protocol != "binary" && o.protocol != "compact") return usage("--protocol must be binary or compact");
  if (!o.headers.empty() && o.transport != "header") return usage("--header needs --transport header");
  if (o.v1 && o.hasProbe) return usage("--probe is a V2 argument; drop it or --v1");
  return 0;
}

std::string describe(const std::exception& e) {
  const char* kind = "std::exception";
  if (dynamic_cast<const TTransportException*>(&e) != nullptr) {
    kind = "TTransportException";
  } else if (dynamic_cast<const TProtocolException*>(&e) != nullptr) {
    kind = "TProtocolException";
  } else if (dynamic_cast<const TApplicationException*>(&e) != nullptr) {
    kind = "TApplicationException";
  } else if (dynamic_cast<const Error*>(&e) != nullptr) {
    kind = "baseplate Error";
  } else if (dynamic_cast<const TException*>(&e) != nullptr) {
    kind = "TException";
  }
  return std::string(kind) + ": " + e.what();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (int status = parse(argc, argv, o)) return status;

  try {
    auto socket = std::make_shared<TSocket>(o.host, o.port);
    socket->setConnTimeout(o.timeoutMs);
    socket->setRecvTimeout(o.timeoutMs);
    socket->setSendTimeout(o.timeoutMs);

    std::shared_ptr<TTransport> transport = socket;  // what is opened and closed
    std::shared_ptr<TProtocol> protocol;
    std::shared_ptr<THeaderProtocol> header;  // set for --transport header
    if (o.transport == "header") {
      // THeaderProtocol wraps the socket in its own THeaderTransport.
      header = std::make_shared<THeaderProtocol>(
          socket, o.protocol == "binary" ? T_BINARY_PROTOCOL : T_COMPACT_PROTOCOL);
      protocol = header;
    } else {
      std::shared_ptr<TTransport> framing;
      if (o.transport == "framed") {
        framing = std::make_shared<TFramedTransport>(socket);
      } else {
        framing = std::make_shared<TBufferedTransport>(socket);
      }
      transport = framing;
      if (o.protocol == "binary") {
        protocol = std::make_shared<TBinaryProtocol>(framing);
      } else {
        protocol = std::make_shared<TCompactProtocol>(framing);
      }
    }

    BaseplateServiceClient v1(protocol);
    BaseplateServiceV2Client v2(protocol);
    IsHealthyRequest request;
    if (o.hasProbe) request.__set_probe(static_cast<IsHealthyProbe::type>(o.probe));

    transport->open();
    bool allTrue = true;
    for (long i = 0; i < o.count; ++i) {
      if (header) {
        for (const auto& h : o.headers) header->setHeader(h.first, h.second);
      }
      bool healthy = o.v1 ? v1.is_healthy() : v2.is_healthy(request);
      std::printf("%s\n", healthy ? "true" : "false");
      std::fflush(stdout);
      allTrue = allTrue && healthy;
    }
    transport->close();
    return allTrue ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", describe(e).c_str());
    return 2;
  }
}
