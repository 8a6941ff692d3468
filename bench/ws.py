#!/usr/bin/env python3
"""
bench/ws.py: a WebSocket echo server and a client that holds many
connections, for bench/run's websocket-hold workload.  Standard library
only (asyncio); RFC 6455 as far as the benchmark needs it: the opening
handshake with Sec-WebSocket-Accept, masked client frames, unmasked
server frames, text/binary echo, ping/pong and the closing handshake.

  bench/ws.py server --port P
      echo server on 127.0.0.1:P until SIGTERM/SIGINT.

  bench/ws.py client --port P [--path /ws/] [--connections 1000]
                     [--seconds 60] [--interval 1]
      opens the connections (at most 100 handshakes in flight), prints
      "established N failed M" once they are all up or have failed, then
      each connection sends one text message every --interval seconds
      for --seconds and checks its echo; finally closes every connection
      with a close handshake and prints one JSON line: established,
      failed, dropped (connections lost during the hold: EOF, error,
      a close frame, or an echo missing/wrong), sent, echoed, late
      (echoes that took more than 2 s), max_rtt_ms, closed_cleanly.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import signal
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def encode(opcode, payload, mask):
    head = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        payload = xor(payload, key)
        head += key
    return head + payload


def xor(data, key):
    if not data:
        return data
    k = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")) \
        .to_bytes(len(data), "big")


async def read_frame(reader):
    """(fin, opcode, payload), payload unmasked."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    if n > 1 << 24:
        raise ValueError("frame too large")
    key = await reader.readexactly(4) if b1 & 0x80 else None
    payload = await reader.readexactly(n)
    if key:
        payload = xor(payload, key)
    return b0 >> 7, b0 & 0x0f, payload


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    return lines[0], fields


# ---------------------------------------------------------------------------
# Server

async def serve_conn(reader, writer):
    try:
        first, fields = await read_head(reader)
        key = fields.get("sec-websocket-key", "").encode()
        if "websocket" not in fields.get("upgrade", "").lower() or not key:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\n"
                     b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept_key(key) +
                     b"\r\n\r\n")
        while True:
            fin, op, payload = await read_frame(reader)
            if op in (0, 1, 2):
                if not fin or op == 0:      # the benchmark sends whole
                    raise ValueError("fragments not supported")
                writer.write(encode(op, payload, False))
            elif op == 9:
                writer.write(encode(10, payload, False))
            elif op == 8:
                writer.write(encode(8, payload[:2], False))
                await writer.drain()
                return
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError,
            asyncio.LimitOverrunError, asyncio.CancelledError):
        pass                    # cancelled: the server is stopping
    finally:
        writer.close()


async def server_main(port):
    srv = await asyncio.start_server(serve_conn, "127.0.0.1", port,
                                     backlog=4096)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    async with srv:
        await stop.wait()


# ---------------------------------------------------------------------------
# Client

class Stats:
    def __init__(self):
        self.established = self.failed = self.dropped = 0
        self.sent = self.echoed = self.late = self.closed_cleanly = 0
        self.max_rtt = 0.0
        self.errors = {}

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1


async def handshake(port, path, timeout):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), timeout)
    key = base64.b64encode(os.urandom(16))
    writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n"
                 b"Host: localhost\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
                 b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    await writer.drain()
    first, fields = await asyncio.wait_for(read_head(reader), timeout)
    if " 101 " not in first + " " \
            or fields.get("sec-websocket-accept", "").encode() \
            != accept_key(key):
        writer.close()
        raise ValueError("no upgrade: " + first)
    return reader, writer


async def hold(i, n, conn, stats, start, seconds, interval):
    reader, writer = conn
    # spread the connections' messages evenly over the interval
    t = start + interval * i / n
    end = start + seconds
    ok = True
    try:
        while t < end:
            await asyncio.sleep(max(0.0, t - time.monotonic()))
            msg = b"%d %.6f" % (i, time.monotonic())
            sent = time.monotonic()
            writer.write(encode(1, msg, True))
            stats.sent += 1
            await writer.drain()
            fin, op, payload = await asyncio.wait_for(read_frame(reader),
                                                      10)
            if op != 1 or payload != msg:
                raise ValueError("bad echo")
            rtt = time.monotonic() - sent
            stats.echoed += 1
            stats.max_rtt = max(stats.max_rtt, rtt)
            if rtt > 2:
                stats.late += 1
            t += interval
    except asyncio.TimeoutError:
        ok = False
        stats.error("echo timeout")
    except (asyncio.IncompleteReadError, ConnectionError) as e:
        ok = False
        stats.error(type(e).__name__)
    except ValueError as e:
        ok = False
        stats.error(str(e))
    if not ok:
        stats.dropped += 1
        writer.close()
        return
    # closing handshake
    try:
        writer.write(encode(8, struct.pack("!H", 1000), True))
        await writer.drain()
        fin, op, payload = await asyncio.wait_for(read_frame(reader), 10)
        if op == 8:
            stats.closed_cleanly += 1
    except (asyncio.TimeoutError, asyncio.IncompleteReadError,
            ConnectionError, ValueError):
        pass
    writer.close()


async def client_main(args):
    stats = Stats()
    gate = asyncio.Semaphore(100)

    async def open_one():
        async with gate:
            try:
                return await handshake(args.port, args.path, 5)
            except (OSError, asyncio.TimeoutError, ValueError,
                    asyncio.IncompleteReadError) as e:
                stats.error("handshake: %s" % (str(e) or type(e).__name__))
                return None

    conns = await asyncio.gather(*(open_one()
                                   for _ in range(args.connections)))
    live = [c for c in conns if c]
    stats.established = len(live)
    stats.failed = args.connections - len(live)
    print("established %d failed %d" % (stats.established, stats.failed),
          flush=True)
    start = time.monotonic() + 0.1
    await asyncio.gather(*(hold(i, len(live), c, stats, start,
                                args.seconds, args.interval)
                           for i, c in enumerate(live)))
    print(json.dumps({"established": stats.established,
                      "failed": stats.failed, "dropped": stats.dropped,
                      "sent": stats.sent, "echoed": stats.echoed,
                      "late": stats.late,
                      "max_rtt_ms": round(stats.max_rtt * 1000, 1),
                      "closed_cleanly": stats.closed_cleanly,
                      "errors": stats.errors}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("--port", type=int, required=True)
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--path", default="/ws/")
    c.add_argument("--connections", type=int, default=1000)
    c.add_argument("--seconds", type=float, default=60)
    c.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    if args.cmd == "server":
        asyncio.run(server_main(args.port))
    else:
        asyncio.run(client_main(args))


if __name__ == "__main__":
    main()
