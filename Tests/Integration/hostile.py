"""Helpers for the hostile-client tests (test_hostile*.py): well-behaved bystander clients that
keep calling during an attack, the server's new log lines, its memory, and hand-made malformed
bytes."""

import random
import re
import socket
import struct
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

import bpwire
from bpwire import DIALECTS, REPLY

MiB = 1024 * 1024


class Bystanders:
    """Well-behaved clients, one per dialect, each calling is_healthy over its own connection in
    a loop while an attack runs. Leaving the block checks every reply arrived and was right (the
    seqid echoed, success true) and that each client kept being served during the attack."""

    def __init__(self, port: int, dialects=DIALECTS, min_calls: int = 3):
        self.port = port
        self.dialects = dialects
        self.min_calls = min_calls
        self.stop = threading.Event()
        self.counts = [0] * len(dialects)
        self.errors: List[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(len(dialects))]

    def _run(self, i: int) -> None:
        dialect = self.dialects[i]
        try:
            with bpwire.connect(self.port, timeout=10) as s:
                reader = bpwire.SocketReader(s)
                seqid = i * 1_000_000
                while not self.stop.is_set():
                    seqid += 1
                    s.sendall(bpwire.request(dialect, seqid))
                    rep = bpwire.read_reply(reader, dialect)
                    if (rep.mtype, rep.seqid, rep.success) != (REPLY, seqid, True):
                        self.errors.append(f"{dialect}: seqid {seqid}: bad reply {rep}")
                        return
                    self.counts[i] += 1
                    time.sleep(0.002)
        except Exception as exc:  # reported when the block ends
            self.errors.append(f"{dialect}: {type(exc).__name__}: {exc}")

    def __enter__(self) -> "Bystanders":
        for t in self.threads:
            t.start()
        deadline = time.monotonic() + 10
        while min(self.counts) == 0 and not self.errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.errors and min(self.counts) > 0, \
            f"bystanders not served before the attack: {self.counts} {self.errors}"
        self.before = list(self.counts)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Served during the attack: each makes a few more calls after it.
        if exc_type is None:
            target = [b + self.min_calls for b in self.counts]
            deadline = time.monotonic() + 10
            while (any(c < t for c, t in zip(self.counts, target)) and not self.errors
                   and time.monotonic() < deadline):
                time.sleep(0.01)
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)
        if exc_type is None:
            assert not self.errors, f"bystanders were hurt: {self.errors}"
            assert all(c >= b + self.min_calls for c, b in zip(self.counts, self.before)), \
                f"bystanders stalled: calls before the attack {self.before}, after {self.counts}"


class LogWatch:
    """The log records a server writes to stderr from now on."""

    def __init__(self, stderr_path: Path):
        self.path = stderr_path
        self.offset = stderr_path.stat().st_size

    def records(self) -> List[dict]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        return bpwire.log_records(text)

    def wait(self, pattern: str, count: int = 1, timeout: float = 5.0, settle: float = 0.3) -> List[dict]:
        """Waits until `count` records match `pattern` (a regex searched in the message), lets
        `settle` seconds pass, and returns every record written since the watch began."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while sum(bool(rx.search(str(r.get("message")))) for r in self.records()) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"no log line matching {pattern!r} within {timeout} s; got: "
                            f"{[r['raw'] for r in self.records()]}", pytrace=False)
            time.sleep(0.02)
        time.sleep(settle)
        return self.records()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def wait_closed_or_reset(sock: socket.socket, timeout: float) -> bytes:
    """What arrived before the server closed the connection; fails if it stays open."""
    try:
        return bpwire.wait_closed(sock, timeout=timeout)
    except socket.timeout:
        pytest.fail(f"the server kept the connection open {timeout} s after the attack", pytrace=False)


def send_ignoring_reset(sock: socket.socket, data: bytes) -> None:
    """Sends what the server will take: it may close the connection before reading it all."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


# --------------------------------------------------------------------------------------------
# Malformed bytes
# --------------------------------------------------------------------------------------------

def theader_raw(header: bytes, payload: bytes = b"", words: Optional[int] = None, seqid: int = 1) -> bytes:
    """A THeader frame with the header section given byte for byte (zero-padded to 4)."""
    header += b"\x00" * ((4 - len(header) % 4) % 4)
    words = len(header) // 4 if words is None else words
    body = struct.pack(">HHiH", bpwire.HEADER_MAGIC, 0, seqid, words) + header + payload
    return struct.pack(">I", len(body)) + body


def binary_call(name: bytes, seqid: int, args: bytes) -> bytes:
    """A strict binary CALL with a hand-written args struct."""
    return struct.pack(">Ii", 0x80010001, len(name)) + name + struct.pack(">i", seqid) + args


def compact_call(name: bytes, seqid: int, args: bytes) -> bytes:
    return bytes([0x82, 0x21]) + bpwire.varint(seqid) + bpwire.varint(len(name)) + name + args


def binary_field(ttype: int, fid: int) -> bytes:
    return struct.pack(">bh", ttype, fid)


def nested_structs_binary(depth: int) -> bytes:
    """An args struct whose field 99 is a struct whose field 99 is a struct ... `depth` deep,
    never closed (the walk must give up on the depth, not on the missing end)."""
    return binary_field(12, 99) * depth + b"\x00" * 4


def nested_lists_compact(depth: int) -> bytes:
    """Compact args: field 1 a list of one list of one list ... `depth` deep."""
    return bytes([0x19]) + bytes([0x19]) * depth + b"\x00" * 4


def random_bytes(seed: int, n: int = 4096) -> bytes:
    return random.Random(seed).randbytes(n)
