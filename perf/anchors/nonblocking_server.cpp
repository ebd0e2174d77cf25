// The Apache Thrift C++ anchor of perf/run: TNonblockingServer (Debian's libthriftnb over
// libevent) serving the example's ExampleService (which extends BaseplateServiceV2) from code
// that `thrift --gen cpp` generates at build time from example/Sources/ExampleService/
// example.thrift and the idl/baseplate.thrift it includes. Framed transport with the binary protocol (the only
// transport TNonblockingServer speaks), one IO thread, no worker thread pool: the processor
// runs on the IO thread, as a handler in our server runs on its loop.
//
// The IDL declares no `namespace cpp`, so the generated types live in the global namespace.
//
// usage: nonblocking_server PORT      (binds 127.0.0.1:PORT)
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TNonblockingServer.h>
#include <thrift/transport/TNonblockingServerSocket.h>

#include "ExampleService.h"

namespace {

// Only is_healthy (S1, S2) and echo_blob (S3) are measured; the other methods answer trivially.
class Handler : public ::ExampleServiceIf {
public:
    bool is_healthy(const ::IsHealthyRequest& /* request */) override { return true; }
    void echo_blob(::Blob& result, const ::Blob& blob) override { result = blob; }
    void greet(::Greeting& result, const std::vector<std::string>& names, const ::Tone::type /* tone */) override {
        result.text = "Hello!";
        result.recipients = names;
    }
    void record(const ::Contact& /* contact */) override {}
    void contacts(std::vector<::Contact>& /* result */) override {}
};

} // namespace

int main(int argc, char** argv) {
    int port = argc == 2 ? std::atoi(argv[1]) : 0;
    if (port <= 0 || port > 65535) {
        std::fprintf(stderr, "usage: nonblocking_server PORT   (listens on 127.0.0.1:PORT)\n");
        return 2;
    }
    using apache::thrift::protocol::TBinaryProtocolFactory;
    using apache::thrift::server::TNonblockingServer;
    using apache::thrift::transport::TNonblockingServerSocket;

    auto processor = std::make_shared<::ExampleServiceProcessor>(std::make_shared<Handler>());
    auto socket = std::make_shared<TNonblockingServerSocket>("127.0.0.1", port);
    TNonblockingServer server(processor, std::make_shared<TBinaryProtocolFactory>(), socket);
    server.setNumIOThreads(1);
    std::fprintf(stderr, "nonblocking_server: TNonblockingServer (framed binary, 1 IO thread) on 127.0.0.1:%d\n", port);
    server.serve();
    return 0;
}
