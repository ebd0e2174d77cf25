"""Local stand-ins for the services perf/bench.ini reports to, so the observers do their real
work during a perf run: a statsd sink (UDP) and a Zipkin collector (HTTP).

    python3 perf/sinks.py STATSD_PORT ZIPKIN_PORT REPORT_FILE

The statsd socket is bound and never read: datagrams cost the sender what they cost in
production and the sink no CPU (the kernel drops what its buffer cannot hold). On SIGTERM the
sink counts what arrived (datagrams still queued plus the kernel's drop counter for the
socket) and writes one line to REPORT_FILE. The Zipkin collector answers every POST with 202
and counts requests and bytes. Prints "ready" once both are bound.
"""

import http.server
import signal
import socket
import sys
import threading

statsd_port, zipkin_port, report_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
statsd.bind(("127.0.0.1", statsd_port))

posts = 0
post_bytes = 0
lock = threading.Lock()


class Collector(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global posts, post_bytes
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with lock:
            posts += 1
            post_bytes += length
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


zipkin = http.server.ThreadingHTTPServer(("127.0.0.1", zipkin_port), Collector)
threading.Thread(target=zipkin.serve_forever, daemon=True).start()


def udp_drops(port):
    """The kernel's drop counter of our statsd socket (last column of /proc/net/udp)."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                return int(fields[-1])
    return 0


def report(*_):
    dropped = udp_drops(statsd_port)
    statsd.setblocking(False)
    queued = 0
    try:
        while True:
            statsd.recv(65536)
            queued += 1
    except BlockingIOError:
        pass
    with open(report_file, "w") as f:
        f.write(f"statsd datagrams {queued + dropped}; zipkin POSTs {posts} ({post_bytes} bytes)\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
while True:
    signal.pause()
