// Baseplate's health-check services (idl/baseplate.thrift), written by hand until the code
// generator compiles the IDL. The shapes are the generator's: value types that read and write
// themselves, a handler protocol, and a processor that decodes on the loop and runs the handler.

/// Which health question a probe asks (`IsHealthyProbe` in the IDL). Unknown values are kept.
public enum IsHealthyProbe: Sendable, Hashable {
    case readiness
    case liveness
    case startup
    case unknown(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case 1: self = .readiness
        case 2: self = .liveness
        case 3: self = .startup
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .readiness: 1
        case .liveness: 2
        case .startup: 3
        case .unknown(let v): v
        }
    }
}

/// `struct IsHealthyRequest { 1: optional IsHealthyProbe probe }`
public struct IsHealthyRequest: ThriftStruct, Hashable {
    public var probe: IsHealthyProbe?

    public init(probe: IsHealthyProbe? = nil) {
        self.probe = probe
    }

    public init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        self.init()
        try reader.readStructBegin()
        while true {
            let field = try reader.readFieldBegin()
            if field.type == .stop { break }
            switch (field.id, field.type) {
            case (1, .i32): probe = IsHealthyProbe(rawValue: try reader.readI32())
            default: try reader.skip(field.type)
            }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
    }

    public func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "IsHealthyRequest")
        if let probe {
            writer.writeFieldBegin(name: "probe", type: .i32, id: 1)
            writer.writeI32(probe.rawValue)
            writer.writeFieldEnd()
        }
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}

/// Serves `BaseplateServiceV2` (and the deprecated `BaseplateService`, whose argument-less
/// `is_healthy` decodes as a V2 call without a request).
public protocol BaseplateServiceV2Handler: Sendable {
    /// True when the service is healthy for the probe asked about.
    func isHealthy(request: IsHealthyRequest, context: RequestContext) async throws -> Bool
}

/// `is_healthy_args { 1: IsHealthyRequest request }`
struct BaseplateServiceV2IsHealthyArgs: ThriftStruct {
    var request = IsHealthyRequest()

    init() {}

    init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        try reader.readStructBegin()
        while true {
            let field = try reader.readFieldBegin()
            if field.type == .stop { break }
            switch (field.id, field.type) {
            case (1, .struct): request = try IsHealthyRequest(from: &reader)
            default: try reader.skip(field.type)
            }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
    }

    func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "is_healthy_args")
        writer.writeFieldBegin(name: "request", type: .struct, id: 1)
        request.write(to: &writer)
        writer.writeFieldEnd()
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}

/// `is_healthy_result { 0: bool success }`
struct BaseplateServiceV2IsHealthyResult: ThriftStruct {
    var success: Bool?

    init(success: Bool?) { self.success = success }

    init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError) {
        try reader.readStructBegin()
        while true {
            let field = try reader.readFieldBegin()
            if field.type == .stop { break }
            switch (field.id, field.type) {
            case (0, .bool): success = try reader.readBool()
            default: try reader.skip(field.type)
            }
            try reader.readFieldEnd()
        }
        try reader.readStructEnd()
    }

    func write<W: ThriftWriter>(to writer: inout W) {
        writer.writeStructBegin(name: "is_healthy_result")
        if let success {
            writer.writeFieldBegin(name: "success", type: .bool, id: 0)
            writer.writeBool(success)
            writer.writeFieldEnd()
        }
        writer.writeFieldStop()
        writer.writeStructEnd()
    }
}

/// Dispatches `BaseplateServiceV2` calls to a handler.
public struct BaseplateServiceV2Processor<Handler: BaseplateServiceV2Handler>: ThriftProcessor {
    public let handler: Handler

    public init(handler: Handler) {
        self.handler = handler
    }

    public func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader)
    }

    public func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader)
    }

    private func call<R: ThriftReader>(_ method: String, _ reader: inout R) throws(ThriftProtocolError) -> ThriftCall? {
        switch method {
        case "is_healthy":
            let args = try BaseplateServiceV2IsHealthyArgs(from: &reader)
            let handler = self.handler
            return ThriftCall { context, responder in
                do {
                    let ok = try await handler.isHealthy(request: args.request, context: context)
                    responder.reply(BaseplateServiceV2IsHealthyResult(success: ok))
                } catch {
                    responder.fail(error)
                }
            }
        default:
            return nil
        }
    }
}

/// Calls `BaseplateServiceV2` (health checks) over any channel.
public struct BaseplateServiceV2Client: Sendable {
    private let channel: any ThriftChannel
    private let sequenceIDs = ThriftClientCall.SequenceIDs()

    public init(channel: any ThriftChannel) {
        self.channel = channel
    }

    public func isHealthy(request: IsHealthyRequest) async throws -> Bool {
        var args = BaseplateServiceV2IsHealthyArgs()
        args.request = request
        let result = try await ThriftClientCall.call(
            "is_healthy", args: args, result: BaseplateServiceV2IsHealthyResult.self,
            channel: channel, sequenceIDs: sequenceIDs)
        guard let success = result.success else {
            throw TApplicationException(.missingResult, "is_healthy failed: unknown result")
        }
        return success
    }
}
