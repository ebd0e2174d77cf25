"""baseplate.py's own Thrift client (pip baseplate 2.7.0: ThriftClient, its pool and its trace
propagation) calling our server inside a baseplate.py server span: the trace it sends arrives on
our server span, which the Zipkin sidecar queue shows."""

import json

from baseplate import Baseplate, TraceInfo
from baseplate.clients.thrift import ThriftClient
from baseplate.thrift import BaseplateServiceV2
from baseplate.thrift.ttypes import IsHealthyProbe, IsHealthyRequest

from bpwire import ini_with
from test_tracing import receive, trace_queue, tracing_keys  # noqa: F401 (trace_queue: fixture)


class ClientSpans:
    """A baseplate.py observer keeping the client spans its server spans make."""

    def __init__(self):
        self.spans = []

    def on_server_span_created(self, context, server_span):
        spans = self.spans

        class Watch:
            def on_child_span_created(self, span):
                spans.append(span)

            def __getattr__(self, name):
                return lambda *args, **kwargs: None

        server_span.register(Watch())


def test_trace_from_baseplate_py_client_arrives_on_our_server_span(start_server, trace_queue):  # noqa: F811
    name, queue = trace_queue
    server = start_server(ini_with(app_keys=tracing_keys(
        service_name="example-svc", queue_name=name, span_batch_interval="20 milliseconds")))

    baseplate = Baseplate({"example.endpoint": f"127.0.0.1:{server.port}"})
    client_spans = ClientSpans()
    baseplate.register(client_spans)
    baseplate.configure_context({"example": ThriftClient(BaseplateServiceV2.Client)})
    context = baseplate.make_context_object()
    upstream = TraceInfo.from_upstream("1234", "2345", "3456", sampled=True, flags=None)
    with baseplate.make_server_span(context, "caller", upstream):
        assert context.example.is_healthy(IsHealthyRequest(probe=IsHealthyProbe.READINESS)) is True

    (client_span,) = client_spans.spans
    assert client_span.name == "example.is_healthy"
    span = json.loads(receive(queue))
    # 2.7.0's shared-span model: our server span is baseplate.py's client span.
    assert span["traceId"] == "1234"
    assert span["id"] == str(client_span.id)
    assert span["parentId"] == "3456"
    assert span["name"] == "is_healthy"
