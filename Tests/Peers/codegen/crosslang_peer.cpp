// crosslang_peer: the Apache C++ side of thrift-swift's cross-language tests. It builds sample values
// of crosslang.thrift's types with the code `thrift --gen cpp` generates, and reads and writes them
// with Apache's TBinaryProtocol and TCompactProtocol.
//
//   crosslang_peer write    every case in both protocols, one per line: `<protocol>.<case> <hex>`
//   crosslang_peer check    reads lines `<protocol>.<case> <hex>` from stdin; decodes each as the case's
//                           type (all bytes must be used), compares it with the C++ sample, writes it
//                           again, and prints `<protocol>.<case> equal|different <hex>`, or
//                           `<protocol>.<case> error <message>`
//   crosslang_peer serve    serves CrossService on 127.0.0.1, a free port, in every dialect a C++
//                           THeader server detects; prints `listening <port>` once ready. `echo`
//                           returns its argument, or throws Failure("thrown", 13) for a value whose
//                           failure has code 13; `poke` does nothing.
//   crosslang_peer call PORT framed|header|buffered binary|compact
//                           calls CrossService as the Swift tests' server expects (echo of the
//                           `everything` sample, the Failure, a oneway poke, echo again); prints one
//                           line per check and exits 0 if all passed, 1 if not, 2 on an exception
//
// The samples are the contract with Tests/ThriftCodegenTests/CrossLanguageTests.swift, which builds the
// same values in Swift: change one only together with the other.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/protocol/TCompactProtocol.h>
#include <thrift/protocol/THeaderProtocol.h>
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TServerSocket.h>
#include <thrift/transport/TSocket.h>

#include "CrossService.h"
#include "crosslang_types.h"

using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::protocol::TCompactProtocol;
using apache::thrift::protocol::TProtocol;
using apache::thrift::protocol::THeaderProtocol;
using apache::thrift::protocol::THeaderProtocolFactory;
using apache::thrift::protocol::TProtocolFactory;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::server::TThreadedServer;
using apache::thrift::transport::TBufferedTransport;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TMemoryBuffer;
using apache::thrift::transport::TServerSocket;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportFactory;
using namespace crosslang;

namespace {

std::string toHex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0f]);
  }
  return out;
}

bool fromHex(const std::string& hex, std::string& out) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

std::unique_ptr<TProtocol> protocol(const std::string& name, std::shared_ptr<TMemoryBuffer> buffer) {
  if (name == "binary") return std::unique_ptr<TProtocol>(new TBinaryProtocol(buffer));
  return std::unique_ptr<TProtocol>(new TCompactProtocol(buffer));
}

template <class T>
std::string encode(const T& value, const std::string& proto) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  auto p = protocol(proto, buffer);
  value.write(p.get());
  return buffer->getBufferAsString();
}

// ------------------------------------------------------------------------------------------- samples

Scalars scalars() {
  Scalars s;
  s.__set_flag(true);
  s.__set_tiny(-5);
  s.__set_small(-300);
  s.__set_medium(70000);
  s.__set_big(-5000000000LL);
  s.__set_ratio(2.5);
  s.__set_text("h\xc3\xa9llo \xe2\x9c\x93");
  s.__set_blob(std::string("\x00\xff\x7f", 3));
  s.__set_maybe(7);
  s.__set_name("n");
  s.__set_color(Color::GREEN);
  return s;
}

Scalars scalarsEdge() {
  Scalars s;
  s.__set_flag(false);
  s.__set_tiny(-128);
  s.__set_small(-32768);
  s.__set_medium(std::numeric_limits<int32_t>::min());
  s.__set_big(std::numeric_limits<int64_t>::min());
  s.__set_ratio(-0.0);
  s.__set_text("");
  s.__set_blob("");
  s.__set_name("");
  s.__set_color(static_cast<Color::type>(99));
  return s;
}

Inner inner(int32_t id, const std::string& label) {
  Inner i;
  i.__set_id(id);
  i.__set_label(label);
  return i;
}

Collections collections() {
  Collections c;
  c.__set_numbers({1, -1, 300, 0});
  c.__set_words({"b", "a", "\xc3\xa4", "A", "ab"});
  c.__set_counts({{"z", 1}, {"a", 2}, {"m", -3}});
  c.__set_flags({true, false, true});
  c.__set_nested({{3, {"x", "y"}}, {-2, {}}});
  c.__set_grid({{1}, {2, 3}, {}});
  c.__set_ids({5, -1, 3, 1000000});
  c.__set_by_color({{Color::BLUE, inner(1, "one")}, {Color::RED, inner(2, "two")}});
  c.__set_inners({inner(1, "a"), inner(0, "")});
  c.__set_empty_map({});
  c.__set_reals({2.5, -1.0, 0.0});
  c.__set_blobs({std::string("\x01\x02", 2), ""});
  c.__set_by_bool({{true, 5}, {false, -1}});
  return c;
}

Choice choiceText() {
  Choice c;
  c.__set_text("t");
  return c;
}

Choice choiceInner() {
  Choice c;
  c.__set_inner(inner(3, "c"));
  return c;
}

Choice choiceNumber(int32_t n) {
  Choice c;
  c.__set_number(n);
  return c;
}

Failure failure() {
  Failure f;
  f.__set_reason("nope");
  f.__set_code(-7);
  return f;
}

Everything everything() {
  Everything e;
  e.__set_scalars(scalars());
  Collections small;
  small.__set_numbers({1});
  e.__set_collections(small);
  e.__set_choice(choiceInner());
  Failure f;
  f.__set_reason("f");
  f.__set_code(1);
  e.__set_failure(f);
  Choice text;
  text.__set_text("two");
  Choice in;
  in.__set_inner(inner(4, "x"));
  e.__set_choices({choiceNumber(1), text, in});
  e.__set_inner(inner(5, "i"));
  return e;
}

struct Case {
  std::string name;
  // Writes the sample in a protocol.
  std::function<std::string(const std::string&)> write;
  // Decodes bytes (all of them), compares with the sample, writes the decoded value again.
  std::function<std::string(const std::string&, const std::string&)> check;
};

template <class T>
Case makeCase(const std::string& name, const T& sample) {
  Case c;
  c.name = name;
  c.write = [sample](const std::string& proto) { return encode(sample, proto); };
  c.check = [sample](const std::string& proto, const std::string& bytes) {
    auto buffer = std::make_shared<TMemoryBuffer>(
        reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())), static_cast<uint32_t>(bytes.size()),
        TMemoryBuffer::COPY);
    auto p = protocol(proto, buffer);
    T value;
    value.read(p.get());
    if (buffer->available_read() != 0) {
      return std::string("error ") + std::to_string(buffer->available_read()) + " bytes left over";
    }
    return std::string(value == sample ? "equal " : "different ") + toHex(encode(value, proto));
  };
  return c;
}

std::vector<Case> cases() {
  return {
      makeCase("scalars", scalars()),
      makeCase("scalars_edge", scalarsEdge()),
      makeCase("collections", collections()),
      makeCase("choice_text", choiceText()),
      makeCase("choice_inner", choiceInner()),
      makeCase("failure", failure()),
      makeCase("everything", everything()),
      makeCase("everything_default", Everything()),
  };
}

// ------------------------------------------------------------------------------------ service peers

class Handler : public CrossServiceIf {
 public:
  void echo(Everything& result, const Everything& value) override {
    if (value.__isset.failure && value.failure.code == 13) {
      Failure f;
      f.__set_reason("thrown");
      f.__set_code(13);
      throw f;
    }
    result = value;
  }
  void poke(const int32_t) override {}
};

class Announce : public TServerEventHandler {
 public:
  explicit Announce(std::shared_ptr<TServerSocket> socket) : socket_(std::move(socket)) {}
  void preServe() override {
    std::printf("listening %d\n", socket_->getPort());
    std::fflush(stdout);
  }

 private:
  std::shared_ptr<TServerSocket> socket_;
};

int serve() {
  auto socket = std::make_shared<TServerSocket>("127.0.0.1", 0);
  auto processor = std::make_shared<CrossServiceProcessor>(std::make_shared<Handler>());
  auto passthrough = std::make_shared<TTransportFactory>();
  // A null output protocol factory: one THeaderProtocol per connection reads and writes, so replies
  // use the dialect the request came in (see Tests/Peers/server.cpp).
  TThreadedServer server(processor, socket, passthrough, passthrough, std::make_shared<THeaderProtocolFactory>(),
                         std::shared_ptr<TProtocolFactory>());
  server.setServerEventHandler(std::make_shared<Announce>(socket));
  server.serve();
  return 0;
}

int call(int port, const std::string& transport, const std::string& proto) {
  auto socket = std::make_shared<TSocket>("127.0.0.1", port);
  socket->setConnTimeout(10000);
  socket->setRecvTimeout(10000);
  socket->setSendTimeout(10000);
  std::shared_ptr<TTransport> opened = socket;
  std::shared_ptr<TProtocol> protocol;
  if (transport == "header") {
    protocol = std::make_shared<THeaderProtocol>(socket, proto == "binary" ? 0 : 2);
  } else {
    std::shared_ptr<TTransport> framing;
    if (transport == "framed") {
      framing = std::make_shared<TFramedTransport>(socket);
    } else {
      framing = std::make_shared<TBufferedTransport>(socket);
    }
    opened = framing;
    if (proto == "binary") {
      protocol = std::make_shared<TBinaryProtocol>(framing);
    } else {
      protocol = std::make_shared<TCompactProtocol>(framing);
    }
  }
  CrossServiceClient client(protocol);
  int failures = 0;
  try {
    opened->open();
    Everything result;
    client.echo(result, everything());
    std::printf("echo %s\n", result == everything() ? "equal" : "different");
    failures += result == everything() ? 0 : 1;
    Everything failing = everything();
    failing.failure.__set_code(13);
    try {
      client.echo(result, failing);
      std::printf("failure not thrown\n");
      failures++;
    } catch (const Failure& f) {
      bool ok = f.reason == "thrown" && f.code == 13;
      std::printf("failure %s\n", ok ? "thrown" : "wrong");
      failures += ok ? 0 : 1;
    }
    client.poke(5);
    client.echo(result, everything());
    std::printf("echo after poke %s\n", result == everything() ? "equal" : "different");
    failures += result == everything() ? 0 : 1;
    opened->close();
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 2;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  auto all = cases();
  if (mode == "write" && argc == 2) {
    for (const char* proto : {"binary", "compact"}) {
      for (auto& c : all) std::cout << proto << "." << c.name << " " << toHex(c.write(proto)) << "\n";
    }
    return 0;
  }
  if (mode == "check" && argc == 2) {
    std::string key, hex;
    while (std::cin >> key >> hex) {
      auto dot = key.find('.');
      std::string proto = key.substr(0, dot), name = dot == std::string::npos ? "" : key.substr(dot + 1);
      std::string bytes;
      const Case* found = nullptr;
      for (auto& c : all) if (c.name == name) found = &c;
      std::cout << key << " ";
      if (!found || (proto != "binary" && proto != "compact") || !fromHex(hex, bytes)) {
        std::cout << "error bad input line\n";
        continue;
      }
      try {
        std::cout << found->check(proto, bytes) << "\n";
      } catch (const std::exception& e) {
        std::cout << "error " << e.what() << "\n";
      }
    }
    return 0;
  }
  if (mode == "serve" && argc == 2) {
    try {
      return serve();
    } catch (const std::exception& e) {
      std::printf("error: %s\n", e.what());
      return 2;
    }
  }
  if (mode == "call" && argc == 5) {
    std::string transport = argv[3], proto = argv[4];
    if ((transport == "framed" || transport == "header" || transport == "buffered") &&
        (proto == "binary" || proto == "compact")) {
      return call(std::atoi(argv[2]), transport, proto);
    }
  }
  std::cerr << "usage: crosslang_peer write | check < lines | serve | call PORT framed|header|buffered binary|compact\n";
  return 64;
}
