"""A stand-in for `baseplate-serve`, used only to check the integration tests themselves.

Selected with BPIO_INTEGRATION_STANDIN=python (never in the default run). It is Apache's Python
TThreadedServer with THeaderProtocol accepting every client type, answering `is_healthy` with true.
Known differences from the contract of the real server, which the tests mark as expected failures
in stand-in mode: a zlib request gets an uncompressed reply (Python's THeaderTransport does not
echo transforms).

usage: standin_server.py CONFIG_FILE --bind HOST:PORT [--max-frame-size N]

This module is also the app for BPIO_INTEGRATION_STANDIN=baseplate-py, which runs baseplate.py
2.7.0's own `baseplate-serve` (the reference implementation) with standin_baseplate_py.ini.
Expected failures there, from baseplate.py's documented behaviour (no xfail marks: read the
failure list): framed/unframed compact are refused, zlib requests get uncompressed replies, and
a 17 MiB frame length is accepted (its limit is 1 GiB), so the connection is not closed.
"""

import argparse
import configparser
import sys

from baseplate.thrift import BaseplateServiceV2
from thrift.protocol.THeaderProtocol import THeaderProtocol, THeaderProtocolFactory
from thrift.server.TServer import TThreadedServer
from thrift.transport.THeaderTransport import THeaderClientType
from thrift.transport.TSocket import TServerSocket
from thrift.transport.TTransport import TBufferedTransportFactory


class Handler:
    def is_healthy(self, request=None):
        return True


class PlainHeaderProtocol(THeaderProtocol):
    """THeaderProtocol without the C accelerator: thrift-unofficial 0.19's extension raises
    `SystemError: PY_SSIZE_T_CLEAN macro must be defined for '#' formats` on Python >= 3.10 when
    it has to refill mid-message, which unframed compact clients trigger (seen here; unframed
    binary was not affected)."""

    def _set_protocol(self):
        super()._set_protocol()
        self._fast_encode = self._fast_decode = None


class LimitedHeaderProtocolFactory(THeaderProtocolFactory):
    def __init__(self, max_frame_size):
        super().__init__(allowed_client_types=(
            THeaderClientType.HEADERS, THeaderClientType.FRAMED_BINARY,
            THeaderClientType.UNFRAMED_BINARY, THeaderClientType.FRAMED_COMPACT,
            THeaderClientType.UNFRAMED_COMPACT))
        self.max_frame_size = max_frame_size

    def getProtocol(self, trans):
        prot = PlainHeaderProtocol(trans, self.allowed_client_types, self.default_protocol)
        prot.trans.set_max_frame_size(self.max_frame_size)
        return prot


def make_processor(app_config):
    """App factory for baseplate.py's baseplate-serve (see the module docstring)."""
    import logging

    from baseplate import Baseplate
    from baseplate.frameworks.thrift import baseplateify_processor

    class ContextHandler:
        def is_healthy(self, context, request=None):
            return True

    baseplate = Baseplate(app_config)
    baseplate.configure_context({})
    return baseplateify_processor(BaseplateServiceV2.Processor(ContextHandler()),
                                  logging.getLogger(__name__), baseplate)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config_file")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--max-frame-size", type=int, default=16 * 1024 * 1024)
    args = parser.parse_args()
    ini = configparser.RawConfigParser()
    ini.read(args.config_file)
    if ini.has_option("server:main", "max_frame_size"):
        args.max_frame_size = ini.getint("server:main", "max_frame_size")
    host, _, port = args.bind.rpartition(":")
    processor = BaseplateServiceV2.Processor(Handler())
    server = TThreadedServer(processor, TServerSocket(host=host, port=int(port)),
                             TBufferedTransportFactory(),
                             LimitedHeaderProtocolFactory(args.max_frame_size), daemon=True)
    print("stand-in listening on", args.bind, file=sys.stderr, flush=True)
    server.serve()


if __name__ == "__main__":
    main()
