/// A finished span in the shape baseplate.py's Zipkin (v1 JSON) observer records. Built on the
/// event loop when the span finishes; turned into JSON on the recorder's thread.
struct ZipkinSpan: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// `sr` at start, `ss` at finish.
        case server
        /// `cs` at start, `cr` at finish.
        case client
        /// No time annotations.
        case local
    }

    /// The ids as spans hold them: most are numbers, written as decimal text on the recorder's
    /// thread (making Strings of them on the loop cost ~1,800 instructions a span, callgrind).
    var trace: SpanIdentifier
    var name: String
    var identifier: SpanIdentifier
    /// nil or empty for a root (written as the integer 0, as baseplate.py's `parent_id or 0`).
    var parent: SpanIdentifier?
    var kind: Kind
    /// Microseconds since the Unix epoch (wall clock).
    var start: Int64
    var end: Int64
    /// In recording order: `component`, `lc` (local spans), tags, then the finish annotations.
    var binaryAnnotations: [BinaryAnnotation]
    /// Timed events (swift-distributed-tracing's `addEvent`), between the start and end
    /// annotations. baseplate.py's own spans have none.
    var events: [Event] = []

    struct Event: Sendable, Equatable {
        var timestamp: Int64
        var value: String
    }

    struct BinaryAnnotation: Sendable, Equatable {
        var key: String
        var value: String
    }

    init(trace: SpanIdentifier, name: String, identifier: SpanIdentifier, parent: SpanIdentifier?, kind: Kind,
         start: Int64, end: Int64, binaryAnnotations: [BinaryAnnotation], events: [Event] = []) {
        (self.trace, self.name, self.identifier, self.parent, self.kind) = (trace, name, identifier, parent, kind)
        (self.start, self.end, self.binaryAnnotations, self.events) = (start, end, binaryAnnotations, events)
    }

    /// From ids as text (spans of swift-distributed-tracing).
    init(traceID: String, name: String, id: String, parentID: String?, kind: Kind,
         start: Int64, end: Int64, binaryAnnotations: [BinaryAnnotation], events: [Event] = []) {
        self.init(trace: SpanIdentifier(traceID), name: name, identifier: SpanIdentifier(id),
                  parent: parentID.map(SpanIdentifier.init), kind: kind, start: start, end: end,
                  binaryAnnotations: binaryAnnotations, events: events)
    }

    var traceID: String { trace.text }
    var id: String { identifier.text }
    var parentID: String? { parent?.text }
}

/// Where spans come from: the service and host, repeated in every annotation.
struct ZipkinEndpoint: Sendable, Equatable {
    var serviceName: String
    var ipv4: String
}

extension ZipkinSpan {
    /// `json.dumps(observer._serialize())`: keys in baseplate.py's order.
    func writeJSON(to w: inout PythonJSONWriter, endpoint: ZipkinEndpoint) {
        writeJSON(to: &w, endpoint: endpoint.json)
    }

    /// `endpoint` is the endpoint's JSON, made once: every annotation repeats it.
    func writeJSON(to w: inout PythonJSONWriter, endpoint: [UInt8]) {
        w.raw("{\"traceId\": "); Self.write(trace, to: &w)
        w.raw(", \"name\": "); w.string(name)
        w.raw(", \"id\": "); Self.write(identifier, to: &w)
        w.raw(", \"timestamp\": "); w.int(start)
        w.raw(", \"duration\": "); w.int(end - start)
        w.raw(", \"annotations\": [")
        let edges: (StaticString, StaticString)? = switch kind {
        case .server: ("\"sr\"", "\"ss\"")
        case .client: ("\"cs\"", "\"cr\"")
        case .local: nil
        }
        var first = true
        if let edges {
            Self.writeTimeAnnotation(&w, endpoint, start) { $0.raw(edges.0) }
            first = false
        }
        for event in events {
            if !first { w.raw(", ") }
            first = false
            Self.writeTimeAnnotation(&w, endpoint, event.timestamp) { $0.string(event.value) }
        }
        if let edges {
            if !first { w.raw(", ") }
            Self.writeTimeAnnotation(&w, endpoint, end) { $0.raw(edges.1) }
        }
        w.raw("], \"binaryAnnotations\": [")
        for (i, annotation) in binaryAnnotations.enumerated() {
            if i > 0 { w.raw(", ") }
            w.raw("{\"key\": "); w.string(annotation.key)
            w.raw(", \"value\": "); w.string(annotation.value)
            w.raw(", \"endpoint\": "); w.raw(endpoint)
            w.raw("}")
        }
        w.raw("], \"parentId\": ")
        switch parent {
        case nil, .text(""): w.raw("0")
        case let parent?: Self.write(parent, to: &w)
        }
        w.raw("}")
    }

    /// An id as a JSON string (a number's decimal text needs no escaping).
    private static func write(_ id: SpanIdentifier, to w: inout PythonJSONWriter) {
        switch id {
        case .number(let n): w.quotedDecimal(n)
        case .text(let s): w.string(s)
        }
    }

    func json(endpoint: ZipkinEndpoint) -> [UInt8] {
        var w = PythonJSONWriter()
        writeJSON(to: &w, endpoint: endpoint)
        return w.finish()
    }

    private static func writeTimeAnnotation(
        _ w: inout PythonJSONWriter, _ endpoint: [UInt8], _ timestamp: Int64,
        value: (inout PythonJSONWriter) -> Void
    ) {
        w.raw("{\"endpoint\": "); w.raw(endpoint)
        w.raw(", \"timestamp\": "); w.int(timestamp)
        w.raw(", \"value\": "); value(&w); w.raw("}")
    }

}

extension ZipkinEndpoint {
    /// `{"serviceName": ..., "ipv4": ...}`.
    var json: [UInt8] {
        var w = PythonJSONWriter(capacity: 64)
        w.raw("{\"serviceName\": "); w.string(serviceName)
        w.raw(", \"ipv4\": "); w.string(ipv4)
        w.raw("}")
        return w.finish()
    }
}

/// Spans as a JSON array (`json.dumps(spans)`), the body the remote recorder POSTs.
func zipkinJSONArray(_ spans: some Collection<ZipkinSpan>, endpoint: ZipkinEndpoint) -> [UInt8] {
    var w = PythonJSONWriter(capacity: 1024 * spans.count)
    let endpoint = endpoint.json
    w.raw("[")
    for (i, span) in spans.enumerated() {
        if i > 0 { w.raw(", ") }
        span.writeJSON(to: &w, endpoint: endpoint)
    }
    w.raw("]")
    return w.finish()
}
