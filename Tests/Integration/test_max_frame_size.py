"""`max_frame_size` in the server section of the INI: a second server started with a copy of
example/example.ini that sets it to 4096 bytes serves frames up to that size and closes
connections whose frame length exceeds it (the session's default server is unaffected)."""

import re
import struct

import pytest

import bpwire
from bpwire import REPLY, STANDIN

LIMIT = 4096


def ini_with_max_frame_size(limit: int) -> str:
    text = (bpwire.REPO_ROOT / "example" / "example.ini").read_text()
    if not re.search(r"^\[server:main\]\s*$", text, flags=re.M):
        pytest.fail("example/example.ini has no [server:main] section")
    text = re.sub(r"^max_frame_size\s*[=:].*\n", "", text, flags=re.M)  # configparser is strict
    return re.sub(r"^(\[server:main\]\s*)$", rf"\1\nmax_frame_size = {limit}", text, count=1, flags=re.M)


def padded_request(total_frame_len: int, seqid: int) -> bytes:
    """A framed-binary is_healthy call whose frame length is exactly total_frame_len, padded
    with an unknown string field the server must skip."""
    from thrift.Thrift import TType

    def args_with(n):
        def write(p):
            p.writeStructBegin("is_healthy_args")
            p.writeFieldBegin("pad", TType.STRING, 99)
            p.writeBinary(b"p" * n)
            p.writeFieldEnd()
            p.writeFieldStop()
            p.writeStructEnd()
        return write

    base = len(bpwire.request("framed-binary", seqid, write_args=args_with(0))) - 4
    req = bpwire.request("framed-binary", seqid, write_args=args_with(total_frame_len - base))
    assert struct.unpack(">I", req[:4])[0] == total_frame_len
    return req


@pytest.mark.skipif(STANDIN == "cpp", reason="stand-in only: cpp_server has no INI")
def test_custom_max_frame_size(start_server, server):
    small = start_server(ini_text=ini_with_max_frame_size(LIMIT))
    with bpwire.connect(small.port) as s:
        s.sendall(padded_request(LIMIT, 1))
        rep = bpwire.read_reply(bpwire.SocketReader(s), "framed-binary")
        assert (rep.mtype, rep.seqid, rep.success) == (REPLY, 1, True)
    with bpwire.connect(small.port) as s:
        s.sendall(padded_request(LIMIT + 1, 2)[:100])
        bpwire.wait_closed(s, timeout=5)
    # The same frame is fine on the session's server (default 16 MiB limit).
    with bpwire.connect(server.port) as s:
        s.sendall(padded_request(LIMIT + 1, 3))
        rep = bpwire.read_reply(bpwire.SocketReader(s), "framed-binary")
        assert (rep.mtype, rep.seqid, rep.success) == (REPLY, 3, True)
    assert small.alive()
