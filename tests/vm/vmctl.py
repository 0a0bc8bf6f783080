#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host side of the VM test harness (tests/vm/lib.sh): the command channel to
the guest agent (tests/vm/guest/vmtest-agent) and a QMP client.

  vmctl.py run SOCKET TIMEOUT SCRIPT
      Runs SCRIPT with bash in the guest, as root. Its stdout and stderr come
      back on ours, its exit status is ours. 255: the channel failed (no
      answer within TIMEOUT seconds, QEMU gone); a message on stderr says so.

  vmctl.py qmp SOCKET TIMEOUT COMMAND [JSON-ARGUMENTS] [--event NAME[:KEY=VALUE]] [--gone ID]
      Runs one QMP command and prints its "return" as JSON. With --event, also
      waits (within TIMEOUT) for that event, whose "data" has KEY=VALUE; with
      --gone, until QEMU has no device ID any more (device_del: QEMU 7.2 with
      an Intel IOMMU does not always send DEVICE_DELETED).
      1: QEMU answered with an error (printed); 255: no answer, no event.

The guest protocol, one request per line, every reply framed by the
request's own id (so a late reply to a request that timed out is skipped):
  host:  VMTEST-RUN ID TIMEOUT LENGTH, then LENGTH bytes of script
  guest: @@VMTEST-BEGIN ID / BASE64(stdout) / @@VMTEST-ERR ID / BASE64(stderr)
         / @@VMTEST-END ID STATUS
Base64 has no '@', so output can never be taken for a marker.
"""
import base64
import json
import os
import socket
import sys
import time


class ChannelError(Exception):
    pass


def connect(path, deadline):
    """The socket QEMU listens on; it may not exist yet while QEMU starts.
    Refused for 2 s in a row: nobody listens, QEMU is gone."""
    last, refused = None, 0
    while time.monotonic() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            last = e
            s.close()
            refused = refused + 1 if isinstance(e, ConnectionRefusedError) else 0
            if refused >= 20:
                break
            time.sleep(0.1)
    raise ChannelError(f"cannot connect to {path}: {last} (QEMU exited?)")


class Lines:
    """Reads whole lines from a socket before a deadline."""

    def __init__(self, sock, deadline, what):
        self.sock, self.deadline, self.what, self.buf = sock, deadline, what, b""

    def next(self):
        while b"\n" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise ChannelError(f"no answer from {self.what} in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                raise ChannelError(f"{self.what}: {e} (QEMU exited?)") from e
            if not chunk:
                raise ChannelError(f"{self.what} closed the connection (QEMU exited?)")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")


def run(path, timeout, script):
    deadline = time.monotonic() + timeout
    sock = connect(path, deadline)
    rid = f"{os.getpid()}.{time.monotonic_ns()}"
    # The guest's own limit ends a hung command before ours ends the wait.
    guest_timeout = max(1, int(timeout) - 5)
    body = script.encode()
    sock.sendall(f"VMTEST-RUN {rid} {guest_timeout} {len(body)}\n".encode() + body)
    lines = Lines(sock, deadline, "the guest agent")
    out, err, part = [], [], None
    while True:
        line = lines.next().decode("ascii", "replace")
        if line.startswith("@@VMTEST-"):
            words = line.split()
            if len(words) < 2 or words[1] != rid:
                part = None  # another request's frame
                continue
            if words[0] == "@@VMTEST-BEGIN":
                part = out
            elif words[0] == "@@VMTEST-ERR":
                part = err
            elif words[0] == "@@VMTEST-END" and len(words) == 3:
                break
            continue
        if part is not None:
            part.append(line)
    sock.close()
    sys.stdout.buffer.write(base64.b64decode("".join(out)))
    sys.stdout.flush()
    sys.stderr.buffer.write(base64.b64decode("".join(err)))
    sys.stderr.flush()
    return int(words[2])


def qmp(path, timeout, command, args, event, gone):
    deadline = time.monotonic() + timeout
    sock = connect(path, deadline)
    lines = Lines(sock, deadline, "QEMU's monitor (QMP)")
    want, key, value = None, None, None
    if event:
        want, _, match = event.partition(":")
        if match:
            key, _, value = match.partition("=")
    seen = False

    def msg():
        nonlocal seen
        while True:
            m = json.loads(lines.next())
            if "event" not in m:
                return m
            if m["event"] == want and (key is None or str(m.get("data", {}).get(key)) == value):
                seen = True

    if "QMP" not in msg():
        raise ChannelError("QMP: no greeting")
    sock.sendall(b'{"execute": "qmp_capabilities"}\n')
    msg()
    req = {"execute": command, "id": "vmctl"}
    if args:
        req["arguments"] = args
    sock.sendall(json.dumps(req).encode() + b"\n")
    while True:
        m = msg()
        if m.get("id") == "vmctl":
            break
    if "error" in m:
        print(f"QMP {command}: {m['error'].get('class')}: {m['error'].get('desc')}", file=sys.stderr)
        return 1
    print(json.dumps(m.get("return")))
    sys.stdout.flush()
    while want and not seen:
        try:
            msg()
        except ChannelError as e:
            raise ChannelError(f"QMP: no {event} event ({e})") from e
    while gone:
        sock.sendall(b'{"execute": "qom-list", "arguments": {"path": "/machine/peripheral"}, "id": "gone"}\n')
        m = msg()
        if not any(c.get("name") == gone for c in m.get("return", [])):
            break
        if time.monotonic() > deadline:
            raise ChannelError(f"QMP: device {gone} still there after {timeout:.0f} s")
        time.sleep(0.2)
    sock.close()
    return 0


def main(argv):
    try:
        if len(argv) == 4 and argv[0] == "run":
            return run(argv[1], float(argv[2]), argv[3])
        if len(argv) >= 4 and argv[0] == "qmp":
            opts = {"--event": None, "--gone": None}
            while len(argv) >= 6 and argv[-2] in opts:
                opts[argv[-2]], argv = argv[-1], argv[:-2]
            args = json.loads(argv[4]) if len(argv) > 4 else None
            return qmp(argv[1], float(argv[2]), argv[3], args, opts["--event"], opts["--gone"])
    except ChannelError as e:
        print(f"vmctl: {e}", file=sys.stderr)
        return 255
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
