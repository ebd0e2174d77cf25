// golden: wire bytes produced by Debian's Apache Thrift 0.17 C++ library, for the Swift tests to compare
// against, plus two decoders that let the Swift tests ask the C++ library how it reads given bytes.
//
//   golden                                  every case, one per line: `<case-name> <lowercase-hex>`;
//                                           THeader and framed cases are preceded by a `# ...` line
//                                           describing their inputs
//   golden read-theader <hex>               decode one THeader / framed / unframed frame with
//                                           THeaderProtocol (auto-detect, as a C++ server does)
//   golden read-message <binary|compact> <hex>
//                                           decode a bare message with TBinaryProtocol/TCompactProtocol
//
// The call sequences below are the contract with the Swift golden test, which replays them with the Swift
// writers: change one only together with that test and README.md.

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
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
#include <thrift/transport/THeaderTransport.h>
#include <thrift/transport/TTransportException.h>

using apache::thrift::TApplicationException;
using apache::thrift::TException;
using apache::thrift::protocol::T_BINARY_PROTOCOL;
using apache::thrift::protocol::T_COMPACT_PROTOCOL;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::protocol::TBinaryProtocolT;
using apache::thrift::protocol::TCompactProtocol;
using apache::thrift::protocol::TCompactProtocolT;
using apache::thrift::protocol::THeaderProtocol;
using apache::thrift::protocol::TMessageType;
using apache::thrift::protocol::TProtocol;
using apache::thrift::protocol::TProtocolException;
using apache::thrift::protocol::TType;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::THeaderTransport;
using apache::thrift::transport::TMemoryBuffer;
using apache::thrift::transport::TTransportException;

namespace protocol = apache::thrift::protocol;

namespace {

// ---------------------------------------------------------------------------------------------- helpers

std::string toHex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0f]);
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses hex, ignoring whitespace. Returns false on an odd digit count or a non-hex character.
bool fromHex(const std::string& hex, std::string& out) {
  out.clear();
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    int d = hexDigit(c);
    if (d < 0) return false;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<char>((high << 4) | d));
      high = -1;
    }
  }
  return high < 0;
}

void emit(const std::string& name, const std::string& bytes) {
  std::printf("%s %s\n", name.c_str(), toHex(bytes).c_str());
}

void comment(const std::string& text) {
  std::printf("# %s\n", text.c_str());
}

// Names the exception's class for error messages: `TTransportException: No more data to read.`
std::string describe(const std::exception& e) {
  const char* kind = "std::exception";
  if (dynamic_cast<const TTransportException*>(&e) != nullptr) {
    kind = "TTransportException";
  } else if (dynamic_cast<const TProtocolException*>(&e) != nullptr) {
    kind = "TProtocolException";
  } else if (dynamic_cast<const TApplicationException*>(&e) != nullptr) {
    kind = "TApplicationException";
  } else if (dynamic_cast<const TException*>(&e) != nullptr) {
    kind = "TException";
  }
  return std::string(kind) + ": " + e.what();
}

// ------------------------------------------------------------------------------ protocol call sequences
//
// Each writes one value with raw protocol calls (no generated code). Field and struct names are not on the
// wire of either protocol, so they are only labels here.

using Writer = std::function<void(TProtocol&)>;

void emptyStruct(TProtocol& p) {
  p.writeStructBegin("a");
  p.writeFieldStop();
  p.writeStructEnd();
}

void writeMsgCall(TProtocol& p) {
  p.writeMessageBegin("is_healthy", protocol::T_CALL, 1);
  emptyStruct(p);
  p.writeMessageEnd();
}

void writeMsgReply(TProtocol& p) {
  p.writeMessageBegin("is_healthy", protocol::T_REPLY, 7);
  p.writeStructBegin("r");
  p.writeFieldBegin("success", protocol::T_BOOL, 0);
  p.writeBool(true);
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
  p.writeMessageEnd();
}

void writeMsgException(TProtocol& p) {
  p.writeMessageBegin("foo", protocol::T_EXCEPTION, 3);
  TApplicationException x(TApplicationException::UNKNOWN_METHOD, "Unknown function foo");
  x.write(&p);
  p.writeMessageEnd();
}

void writeMsgOneway(TProtocol& p) {
  p.writeMessageBegin("notify", protocol::T_ONEWAY, 2147483647);
  emptyStruct(p);
  p.writeMessageEnd();
}

void writeMsgNegSeq(TProtocol& p) {
  p.writeMessageBegin("x", protocol::T_CALL, -1);
  emptyStruct(p);
  p.writeMessageEnd();
}

// A field holding one scalar: `field(p, T_I32, 5, [&]{ p.writeI32(-3); })`.
void field(TProtocol& p, TType type, int16_t id, const std::function<void()>& value) {
  p.writeFieldBegin("f", type, id);
  value();
  p.writeFieldEnd();
}

void writeScalars(TProtocol& p) {
  p.writeStructBegin("Scalars");
  field(p, protocol::T_BOOL, 1, [&] { p.writeBool(true); });
  field(p, protocol::T_BOOL, 2, [&] { p.writeBool(false); });
  field(p, protocol::T_BYTE, 3, [&] { p.writeByte(-1); });
  field(p, protocol::T_I16, 4, [&] { p.writeI16(-2); });
  field(p, protocol::T_I32, 5, [&] { p.writeI32(-3); });
  field(p, protocol::T_I64, 6, [&] { p.writeI64(-4); });
  field(p, protocol::T_DOUBLE, 7, [&] { p.writeDouble(1.5); });
  field(p, protocol::T_STRING, 8, [&] { p.writeString("h\xc3\xa9llo"); });  // "héllo" in UTF-8
  field(p, protocol::T_STRING, 9, [&] { p.writeBinary(std::string("\x00\xff\x7f", 3)); });
  field(p, protocol::T_I32, 20, [&] { p.writeI32(std::numeric_limits<int32_t>::max()); });
  field(p, protocol::T_I64, 40, [&] { p.writeI64(std::numeric_limits<int64_t>::min()); });
  field(p, protocol::T_I16, 41, [&] { p.writeI16(std::numeric_limits<int16_t>::max()); });
  field(p, protocol::T_BYTE, 42, [&] { p.writeByte(std::numeric_limits<int8_t>::max()); });
  field(p, protocol::T_DOUBLE, 43, [&] { p.writeDouble(-0.0); });
  field(p, protocol::T_I32, 44, [&] { p.writeI32(std::numeric_limits<int32_t>::min()); });
  field(p, protocol::T_I64, 45, [&] { p.writeI64(std::numeric_limits<int64_t>::max()); });
  field(p, protocol::T_STRING, 46, [&] { p.writeString(""); });
  p.writeFieldStop();
  p.writeStructEnd();
}

void writeContainers(TProtocol& p) {
  p.writeStructBegin("Containers");

  field(p, protocol::T_LIST, 1, [&] {  // list<i32> [1, -1, 300]
    p.writeListBegin(protocol::T_I32, 3);
    p.writeI32(1);
    p.writeI32(-1);
    p.writeI32(300);
    p.writeListEnd();
  });
  field(p, protocol::T_SET, 2, [&] {  // set<string> {"a", "b"}
    p.writeSetBegin(protocol::T_STRING, 2);
    p.writeString("a");
    p.writeString("b");
    p.writeSetEnd();
  });
  field(p, protocol::T_MAP, 3, [&] {  // map<string, i64> {"k": 2^40}
    p.writeMapBegin(protocol::T_STRING, protocol::T_I64, 1);
    p.writeString("k");
    p.writeI64(1099511627776LL);
    p.writeMapEnd();
  });
  field(p, protocol::T_LIST, 4, [&] {  // list<bool> [true, false, true]
    p.writeListBegin(protocol::T_BOOL, 3);
    p.writeBool(true);
    p.writeBool(false);
    p.writeBool(true);
    p.writeListEnd();
  });
  field(p, protocol::T_LIST, 5, [&] {  // list<i16> [0 ... 19]: compact's long size form (size >= 15)
    p.writeListBegin(protocol::T_I16, 20);
    for (int16_t i = 0; i < 20; ++i) p.writeI16(i);
    p.writeListEnd();
  });
  field(p, protocol::T_LIST, 6, [&] {  // list<i32> []
    p.writeListBegin(protocol::T_I32, 0);
    p.writeListEnd();
  });
  field(p, protocol::T_MAP, 7, [&] {  // map<string, string> {}
    p.writeMapBegin(protocol::T_STRING, protocol::T_STRING, 0);
    p.writeMapEnd();
  });
  field(p, protocol::T_MAP, 8, [&] {  // map<i32, list<string>> {7: ["x", "yz"]}
    p.writeMapBegin(protocol::T_I32, protocol::T_LIST, 1);
    p.writeI32(7);
    p.writeListBegin(protocol::T_STRING, 2);
    p.writeString("x");
    p.writeString("yz");
    p.writeListEnd();
    p.writeMapEnd();
  });
  field(p, protocol::T_LIST, 9, [&] {  // list<list<i64>> [[1], [2, 3]]
    p.writeListBegin(protocol::T_LIST, 2);
    p.writeListBegin(protocol::T_I64, 1);
    p.writeI64(1);
    p.writeListEnd();
    p.writeListBegin(protocol::T_I64, 2);
    p.writeI64(2);
    p.writeI64(3);
    p.writeListEnd();
    p.writeListEnd();
  });
  field(p, protocol::T_MAP, 10, [&] {  // map<bool, byte> {true: 5}
    p.writeMapBegin(protocol::T_BOOL, protocol::T_BYTE, 1);
    p.writeBool(true);
    p.writeByte(5);
    p.writeMapEnd();
  });
  field(p, protocol::T_SET, 11, [&] {  // set<double> {2.5}
    p.writeSetBegin(protocol::T_DOUBLE, 1);
    p.writeDouble(2.5);
    p.writeSetEnd();
  });

  p.writeFieldStop();
  p.writeStructEnd();
}

void writeNested(TProtocol& p) {
  p.writeStructBegin("Outer");
  field(p, protocol::T_STRUCT, 1, [&] {
    p.writeStructBegin("Middle");
    field(p, protocol::T_I32, 1, [&] { p.writeI32(5); });
    field(p, protocol::T_STRUCT, 2, [&] {
      p.writeStructBegin("Inner");
      field(p, protocol::T_STRING, 3, [&] { p.writeString("deep"); });
      p.writeFieldStop();
      p.writeStructEnd();
    });
    p.writeFieldStop();
    p.writeStructEnd();
  });
  field(p, protocol::T_I32, 300, [&] { p.writeI32(1); });  // compact: delta > 15, long form
  field(p, protocol::T_I32, 2, [&] { p.writeI32(2); });    // id goes backwards: long form
  p.writeFieldStop();
  p.writeStructEnd();
}

void writeFieldIds(TProtocol& p) {
  p.writeStructBegin("Ids");
  field(p, protocol::T_I32, 15, [&] { p.writeI32(1); });    // delta 15: short form
  field(p, protocol::T_I32, 16, [&] { p.writeI32(2); });    // delta 1
  field(p, protocol::T_I32, 31, [&] { p.writeI32(3); });    // delta 15
  field(p, protocol::T_I32, 32767, [&] { p.writeI32(4); });  // max id, long form
  field(p, protocol::T_BOOL, 1, [&] { p.writeBool(true); });  // bool, backwards: long form
  field(p, protocol::T_BOOL, 17, [&] { p.writeBool(false); });  // bool, delta 16: long form
  p.writeFieldStop();
  p.writeStructEnd();
}

// Runs one call sequence over a fresh memory buffer with the given protocol and returns the bytes.
template <typename Protocol>
std::string encode(const Writer& write) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  Protocol prot(buffer);
  write(prot);
  return buffer->getBufferAsString();
}

void emitProtocolCases() {
  const std::vector<std::pair<std::string, Writer>> cases = {
      {"msg_call", writeMsgCall},       {"msg_reply", writeMsgReply},     {"msg_exception", writeMsgException},
      {"msg_oneway", writeMsgOneway},   {"msg_negseq", writeMsgNegSeq},   {"scalars", writeScalars},
      {"containers", writeContainers},  {"nested", writeNested},          {"fieldids", writeFieldIds},
  };
  for (const auto& c : cases) {
    emit("binary." + c.first, encode<TBinaryProtocol>(c.second));  // strict write (the default)
    emit("compact." + c.first, encode<TCompactProtocol>(c.second));
  }
  for (int type = 0; type <= 10; ++type) {
    emit("tapp." + std::to_string(type), encode<TBinaryProtocol>([type](TProtocol& p) {
           TApplicationException x(static_cast<TApplicationException::TApplicationExceptionType>(type), "m");
           x.write(&p);
         }));
  }
}

// ------------------------------------------------------------------------------------- THeader frames

// THeaderTransport keeps its flags protected: the only public way to set them is to read a frame that
// carries them (a server's replies then echo them). This subclass sets them directly for a request.
class FlagsHeaderTransport : public THeaderTransport {
public:
  using THeaderTransport::THeaderTransport;
  void setFlags(uint16_t value) { flags = value; }
};

struct HeaderCase {
  std::string name;
  std::string description;  // the `#` line: the inputs, so that Swift can rebuild the frame
  uint16_t protoId;
  std::vector<std::pair<std::string, std::string>> headers;  // setHeader calls, in this order
  bool zlib;
  bool withMessage;  // false: flush with an empty payload
  int32_t seqid;
};

// One `is_healthy` CALL with an empty args struct, framed by THeaderProtocol into a memory buffer.
std::string headerFrame(const HeaderCase& c) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  THeaderProtocol prot(buffer, c.protoId);
  auto trans = std::dynamic_pointer_cast<THeaderTransport>(prot.getTransport());
  for (const auto& h : c.headers) prot.setHeader(h.first, h.second);
  if (c.zlib) trans->setTransform(THeaderTransport::ZLIB_TRANSFORM);
  if (c.withMessage) {
    prot.writeMessageBegin("is_healthy", protocol::T_CALL, c.seqid);
    emptyStruct(prot);
    prot.writeMessageEnd();
  }
  trans->writeEnd();
  trans->flush();
  return buffer->getBufferAsString();
}

// The same with flags set: THeaderProtocol cannot take a transport subclass, so this does by hand what
// THeaderProtocol::writeMessageBegin does (copy the seqid into the frame, then write the message).
std::string flaggedHeaderFrame(uint16_t flags, int32_t seqid) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  auto trans = std::make_shared<FlagsHeaderTransport>(buffer);
  trans->setProtocolId(T_COMPACT_PROTOCOL);
  trans->setFlags(flags);
  TCompactProtocolT<THeaderTransport> prot(trans);
  trans->setSequenceNumber(seqid);
  prot.writeMessageBegin("is_healthy", protocol::T_CALL, seqid);
  emptyStruct(prot);
  prot.writeMessageEnd();
  trans->writeEnd();
  trans->flush();
  return buffer->getBufferAsString();
}

// What a C++ THeader server sends back: reads `request` with THeaderProtocol and writes an is_healthy REPLY
// {0: true} with the request's seqid on the same protocol object, as TServerFramework does.
std::string replyTo(const std::string& request) {
  auto in = std::make_shared<TMemoryBuffer>();
  in->write(reinterpret_cast<const uint8_t*>(request.data()), static_cast<uint32_t>(request.size()));
  auto out = std::make_shared<TMemoryBuffer>();
  THeaderProtocol prot(in, out);
  std::string name;
  TMessageType type;
  int32_t seqid = 0;
  prot.readMessageBegin(name, type, seqid);
  prot.skip(protocol::T_STRUCT);
  prot.readMessageEnd();
  prot.getTransport()->readEnd();

  prot.writeMessageBegin(name, protocol::T_REPLY, seqid);
  prot.writeStructBegin("is_healthy_result");
  prot.writeFieldBegin("success", protocol::T_BOOL, 0);
  prot.writeBool(true);
  prot.writeFieldEnd();
  prot.writeFieldStop();
  prot.writeStructEnd();
  prot.writeMessageEnd();
  prot.getTransport()->writeEnd();
  prot.getTransport()->flush();
  return out->getBufferAsString();
}

template <typename Protocol>
std::string framedCall() {
  auto buffer = std::make_shared<TMemoryBuffer>();
  auto framed = std::make_shared<TFramedTransport>(buffer);
  Protocol prot(framed);
  writeMsgCall(prot);
  framed->writeEnd();
  framed->flush();
  return buffer->getBufferAsString();
}

void emitFrameCases() {
  const std::string call = "message: is_healthy CALL seqid=1, args = empty struct (just the stop byte)";
  const std::vector<HeaderCase> cases = {
      {"theader.binary_ua",
       "theader.binary_ua: THeaderProtocol binary(0), flags=0, no transforms, headers [User-Agent=x]; " + call,
       T_BINARY_PROTOCOL, {{"User-Agent", "x"}}, false, true, 1},
      {"theader.compact_ua",
       "theader.compact_ua: THeaderProtocol compact(2), flags=0, no transforms, headers [User-Agent=x]; " + call,
       T_COMPACT_PROTOCOL, {{"User-Agent", "x"}}, false, true, 1},
      {"theader.compact_3hdrs",
       "theader.compact_3hdrs: THeaderProtocol compact(2), flags=0, no transforms, setHeader order "
       "Trace=1234, Span=5678, Sampled=1; C++ keeps headers in a std::map, so the wire order is sorted by "
       "key bytes: Sampled, Span, Trace; " + call,
       T_COMPACT_PROTOCOL, {{"Trace", "1234"}, {"Span", "5678"}, {"Sampled", "1"}}, false, true, 1},
      {"theader.aligned",
       "theader.aligned: THeaderProtocol compact(2), flags=0, seqid=0, no transforms, headers [k=v]; no "
       "message: flush of an empty payload; header section 02 00 01 01 01 6b 01 76 is 8 bytes, already "
       "aligned, so C++ pads 4 zero bytes (headerSize=3)",
       T_COMPACT_PROTOCOL, {{"k", "v"}}, false, false, 0},
      {"theader.aligned_call",
       "theader.aligned_call: THeaderProtocol compact(2), flags=0, no transforms, headers [k=v] (8-byte "
       "header section, 4 bytes padding); " + call,
       T_COMPACT_PROTOCOL, {{"k", "v"}}, false, true, 1},
      {"theader.noheaders_compact",
       "theader.noheaders_compact: THeaderProtocol compact(2), flags=0, no transforms, no headers (no "
       "KEYVALUE info block; header section 02 00 + 2 bytes padding); " + call,
       T_COMPACT_PROTOCOL, {}, false, true, 1},
      {"theader.noheaders_binary",
       "theader.noheaders_binary: THeaderProtocol binary(0), flags=0, no transforms, no headers; " + call,
       T_BINARY_PROTOCOL, {}, false, true, 1},
      {"theader.zlib_compact",
       "theader.zlib_compact: THeaderProtocol compact(2), flags=0, transforms [zlib(1)] (zlib deflateInit "
       "level Z_DEFAULT_COMPRESSION, one deflate(Z_FINISH), zlib wrapper), no headers; " + call,
       T_COMPACT_PROTOCOL, {}, true, true, 1},
  };
  for (const auto& c : cases) {
    comment(c.description);
    emit(c.name, headerFrame(c));
  }

  const std::string flagged = flaggedHeaderFrame(0x0001, 123456);
  comment("theader.flags_seq: THeaderTransport compact(2), flags=0x0001, no transforms, no headers; "
          "message: is_healthy CALL seqid=123456 (frame seqid 123456 too), args = empty struct");
  emit("theader.flags_seq", flagged);
  comment("theader.reply_to_flags_seq: a C++ THeaderProtocol reads theader.flags_seq, then writes on the "
          "same protocol is_healthy REPLY seqid=123456 {0: bool true}: flags and protocol are echoed, "
          "headers are not");
  emit("theader.reply_to_flags_seq", replyTo(flagged));
  comment("theader.reply_to_compact_3hdrs: the same C++ reply to theader.compact_3hdrs (seqid 1)");
  emit("theader.reply_to_compact_3hdrs", replyTo(headerFrame(cases[2])));

  comment("framed.binary: TFramedTransport + TBinaryProtocol (strict write); " + call);
  emit("framed.binary", framedCall<TBinaryProtocol>());
  comment("framed.compact: TFramedTransport + TCompactProtocol; " + call);
  emit("framed.compact", framedCall<TCompactProtocol>());
}

// -------------------------------------------------------------------------------------------- readers

int readTHeader(const std::string& bytes) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  buffer->write(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<uint32_t>(bytes.size()));
  // A second buffer takes the error reply THeaderProtocol writes when it meets an unknown protocol id.
  auto sink = std::make_shared<TMemoryBuffer>();
  THeaderProtocol prot(buffer, sink);
  auto trans = std::dynamic_pointer_cast<THeaderTransport>(prot.getTransport());
  try {
    std::string name;
    TMessageType type;
    int32_t seqid = 0;
    prot.readMessageBegin(name, type, seqid);
    prot.skip(protocol::T_STRUCT);
    prot.readMessageEnd();
    trans->readEnd();
    std::printf("proto=%u seqid=%" PRId32 " name=%s type=%d\n", static_cast<unsigned>(trans->getProtocolId()),
                seqid, name.c_str(), static_cast<int>(type));
    for (const auto& h : prot.getHeaders()) {
      std::printf("header %s=%s\n", h.first.c_str(), h.second.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", describe(e).c_str());
    return 1;
  }
}

int readMessage(const std::string& which, const std::string& bytes) {
  auto buffer = std::make_shared<TMemoryBuffer>();
  buffer->write(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<uint32_t>(bytes.size()));
  std::unique_ptr<TProtocol> prot;
  if (which == "binary") {
    prot.reset(new TBinaryProtocol(buffer));  // strict_read=false: also accepts the old unversioned header
  } else if (which == "compact") {
    prot.reset(new TCompactProtocol(buffer));
  } else {
    std::fprintf(stderr, "usage: golden read-message <binary|compact> <hex>\n");
    return 64;
  }
  try {
    std::string name;
    TMessageType type;
    int32_t seqid = 0;
    prot->readMessageBegin(name, type, seqid);
    prot->skip(protocol::T_STRUCT);
    prot->readMessageEnd();
    std::printf("seqid=%" PRId32 " name=%s type=%d\n", seqid, name.c_str(), static_cast<int>(type));
    uint32_t left = buffer->available_read();
    if (left != 0) {
      std::printf("error: %u bytes left after the message\n", left);
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::printf("error: %s\n", describe(e).c_str());
    return 1;
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: golden\n"
               "       golden read-theader <hex>\n"
               "       golden read-message <binary|compact> <hex>\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) {
    emitProtocolCases();
    emitFrameCases();
    return 0;
  }
  const std::string mode = argv[1];
  std::string bytes;
  if (mode == "read-theader" && argc == 3) {
    if (!fromHex(argv[2], bytes)) return usage();
    return readTHeader(bytes);
  }
  if (mode == "read-message" && argc == 4) {
    if (!fromHex(argv[3], bytes)) return usage();
    return readMessage(argv[2], bytes);
  }
  return usage();
}
