import Baseplate
import Synchronization

/// A service for exercising the server: echo, a throwing handler, a handler that suspends (and
/// resumes from another thread), a oneway call.
struct TestProcessor: ThriftProcessor {
    struct Boom: Error {}
    /// What `cancellable` handlers saw, in the order they finished.
    static let cancelled = Mutex<[Bool]>([])
    /// The contexts `keep` handlers kept, in the order they ran.
    static let kept = Mutex<[RequestContext]>([])

    func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader)
    }

    func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader)
    }

    private func call<R: ThriftReader>(_ method: String, _ reader: inout R) throws(ThriftProtocolError) -> ThriftCall? {
        switch method {
        case "echo":
            let args = try StringArg(from: &reader)
            return ThriftCall { _, responder in responder.reply(StringArg(id: 0, value: args.value)) }
        case "headers":
            // Replies with the value of the header named in the argument (case-insensitive).
            let args = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                responder.reply(StringArg(id: 0, value: context.headers.string(args.value) ?? "<none>"))
            }
        case "traceid":
            // The request the handler's task is serving, as loggers see it.
            _ = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                let id = context.logger[metadataKey: "traceID"].map { "\($0)" } ?? "<none>"
                responder.reply(StringArg(id: 0, value: id))
            }
        case "metrics":
            // The handler's own use of `context.metrics`: "count" sends a counter, "namespace"
            // renames the batch, "peek" only looks at it.
            let args = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                switch args.value {
                case "count": context.metrics?.counter("custom").increment()
                case "namespace": context.metrics?.namespace = "other"
                default: _ = context.metrics
                }
                responder.reply(StringArg(id: 0, value: ""))
            }
        case "boom":
            _ = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                do {
                    throw Boom()
                } catch {
                    responder.fail(error)
                }
            }
        case "slow":
            let args = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                try? await Task.sleep(for: .milliseconds(Int(args.value) ?? 10))
                responder.reply(StringArg(id: 0, value: args.value))
            }
        case "declared":
            // As generated code answers an exception the method declares.
            _ = try StringArg(from: &reader)
            return ThriftCall { _, responder in responder.reply(StringArg(id: 0, value: ""), declared: Boom()) }
        case "bperror":
            // A declared baseplate Error with the code given.
            let args = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                responder.reply(StringArg(id: 0, value: ""), declared: BaseplateError(code: Int32(args.value) ?? 0))
            }
        case "cancellable":
            // Sleeps for the milliseconds given; replies whether it was cancelled.
            let args = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                try? await Task.sleep(for: .milliseconds(Int(args.value) ?? 10))
                TestProcessor.cancelled.withLock { $0.append(Task.isCancelled) }
                responder.reply(StringArg(id: 0, value: Task.isCancelled ? "cancelled" : "done"))
            }
        case "keep":
            // Keeps the request's context (and so its span and headers) past the request.
            _ = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                TestProcessor.kept.withLock { $0.append(context) }
                responder.reply(StringArg(id: 0, value: context.headers.string("Request") ?? "<none>"))
            }
        case "allheaders":
            // Every header as `name=value`, sorted, joined by `;`.
            _ = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                let all = context.headers.map { "\($0.name)=\(String(decoding: $0.value, as: UTF8.self))" }
                responder.reply(StringArg(id: 0, value: all.sorted().joined(separator: ";")))
            }
        case "relay":
            // Calls the method named in the argument on the `downstream` context client.
            let args = try StringArg(from: &reader)
            return ThriftCall { context, responder in
                do {
                    let downstream = context.object("downstream", as: EchoClient.self)!
                    let parts = args.value.split(separator: ":", maxSplits: 1).map(String.init)
                    let value = try await downstream.call(parts[0], parts.count > 1 ? parts[1] : "")
                    responder.reply(StringArg(id: 0, value: value))
                } catch {
                    responder.reply(StringArg(id: 0, value: "error: \(error)"))
                }
            }
        case "convert":
            // As generated code answers an undeclared error of a method declaring baseplate's Error.
            _ = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                responder.fail(Boom(), convertingInto: { ErrorResult(error: $0) })
            }
        case "ping_fail":
            _ = try StringArg(from: &reader)
            return ThriftCall(oneway: true) { _, responder in responder.done(failure: Boom()) }
        case "ping":
            _ = try StringArg(from: &reader)
            return ThriftCall(oneway: true) { _, responder in responder.done() }
        default:
            return nil
        }
    }
}

/// A struct with one string field: arguments (id 1) and results (id 0) of the test methods.
struct StringArg: ThriftStruct, Equatable {
    var id: Int16 = 1
    var value = ""

    init(id: Int16 = 1, value: String) {
        self.id = id
        self.value = value
    }

    init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        try reader.readStructBegin()
        while true {
            let f = try reader.readFieldBegin()
            if f.type == .stop { break }
            if f.type == .string {
                id = f.id
                value = try reader.readString()
            } else {
                try reader.skip(f.type)
            }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
    }

    func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "StringArg")
        writer.writeFieldBegin(name: "value", type: .string, id: id)
        writer.writeString(value)
        writer.writeFieldEnd()
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}

/// A client of TestProcessor's string-in, string-out methods.
struct EchoClient: Sendable {
    let channel: any ThriftChannel
    let sequenceIDs = ThriftClientCall.SequenceIDs()

    func call(_ method: String, _ value: String) async throws -> String {
        try await ThriftClientCall.call(
            method, args: StringArg(value: value), result: StringArg.self, channel: channel, sequenceIDs: sequenceIDs
        ).value
    }
}

/// A result struct whose field 1 is baseplate's Error.
struct ErrorResult: ThriftStruct, Equatable {
    var error: BaseplateError?

    init(error: BaseplateError?) { self.error = error }

    init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        try reader.readStructBegin()
        while true {
            let f = try reader.readFieldBegin()
            if f.type == .stop { break }
            if f.id == 1 && f.type == .struct { error = try BaseplateError(from: &reader) } else { try reader.skip(f.type) }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
    }

    func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "ErrorResult")
        if let error {
            writer.writeFieldBegin(name: "error", type: .struct, id: 1)
            error.write(to: &writer)
            writer.writeFieldEnd()
        }
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}
