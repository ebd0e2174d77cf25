"""The project's IDL, compiled at test time, encodes is_healthy exactly as baseplate.py's shipped
stubs do (same names, field ids and types), in both protocols. No server needed."""

import importlib

import pytest

import bpwire


@pytest.mark.parametrize("proto", ["binary", "compact"])
@pytest.mark.parametrize("probe", [None, 1, 2, 3])
def test_stubs_match_baseplate_py(proto, probe):
    ours = bpwire.stubs()
    theirs_v2 = importlib.import_module("baseplate.thrift.BaseplateServiceV2")
    theirs_v1 = importlib.import_module("baseplate.thrift.BaseplateService")
    theirs_tt = importlib.import_module("baseplate.thrift.ttypes")

    a = bpwire.encode_message(proto, "is_healthy", 5, lambda p: ours.V2.is_healthy_args(
        request=ours.ttypes.IsHealthyRequest(probe=probe)).write(p))
    b = bpwire.encode_message(proto, "is_healthy", 5, lambda p: theirs_v2.is_healthy_args(
        request=theirs_tt.IsHealthyRequest(probe=probe)).write(p))
    assert a == b
    a1 = bpwire.encode_message(proto, "is_healthy", 5, lambda p: ours.V1.is_healthy_args().write(p))
    b1 = bpwire.encode_message(proto, "is_healthy", 5, lambda p: theirs_v1.is_healthy_args().write(p))
    assert a1 == b1
    assert ours.ttypes.IsHealthyProbe._NAMES_TO_VALUES == theirs_tt.IsHealthyProbe._NAMES_TO_VALUES


def test_header_frame_encoder_cpp_padding():
    """bpwire's C++-style padding against the layout documented in thrift-wire.md: C++ pads 1-4
    bytes, so an 8-byte info section gets 4 bytes of padding and a header size of 3 words."""
    frame = bpwire.header_frame(b"", bpwire.PROTO_COMPACT, 0, headers={b"k": b"v"}, padding="cpp")
    assert frame.hex() == "00000016" "0fff" "0000" "00000000" "0003" "0200010101" "6b" "0176" "00000000"
    info = bpwire.parse_header_frame(frame[4:])
    assert (info.proto_id, info.transforms, info.info, info.header_words) == (2, [], {b"k": b"v"}, 3)


@pytest.mark.parametrize("zlib_transform", [False, True])
@pytest.mark.parametrize("headers", [{}, {b"k": b"v"}, bpwire.DEFAULT_HEADERS])
def test_header_frame_encoder_matches_python_thrift(headers, zlib_transform):
    """bpwire's Python-style THeader frames are byte-identical to what the thrift library's own
    THeaderTransport writes (produced here, not pasted)."""
    from thrift.transport.THeaderTransport import THeaderClientType, THeaderTransport
    from thrift.transport.TTransport import TMemoryBuffer

    payload = bpwire.request("unframed-compact", 77)
    out = TMemoryBuffer()
    t = THeaderTransport(out, [THeaderClientType.HEADERS], default_protocol=bpwire.PROTO_COMPACT)
    t.sequence_id = 77
    for k, v in headers.items():
        t.set_header(k, v)
    if zlib_transform:
        t.add_transform(bpwire.TRANSFORM_ZLIB)
    t.write(payload)
    t.flush()
    ours = bpwire.header_frame(payload, bpwire.PROTO_COMPACT, 77, headers=headers,
                               transforms=(bpwire.TRANSFORM_ZLIB,) if zlib_transform else ())
    assert ours == out.getvalue()
    info = bpwire.parse_header_frame(ours[4:])
    assert (info.payload, info.info, info.seqid) == (payload, headers, 77)
