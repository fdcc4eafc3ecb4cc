#!/usr/bin/env python3
"""faultproxy - a fault-injecting HTTP proxy for the ClickHouse HTTP interface.

Usage:
    faultproxy.py --upstream HOST:PORT [--listen 127.0.0.1:0]
                  [--connect-timeout SEC] [--idle-timeout SEC] [-v]

Prints the listening address ("127.0.0.1:PORT") as its first stdout line,
then serves.  Python 3 standard library only (asyncio).

Requests
    Every client connection is keep-alive: requests are read one after the
    other (request line + headers up to CRLF CRLF, then the body by
    Content-Length, or the raw chunked bytes for Transfer-Encoding: chunked;
    "Expect: 100-continue" is answered by the proxy itself).  Each request
    goes to the upstream over a NEW connection with "Connection: close"
    (replacing the client's Connection/Keep-Alive headers, and Expect).
    The response body is relayed raw, as it arrives; in the response head
    only the Connection header is rewritten ("Connection: Keep-Alive" when
    the body is framed by chunked or Content-Length and the client wants
    keep-alive, otherwise "Connection: close" and the client connection is
    closed after the response), so the client can go on using the
    connection although the upstream closed its own.  Upstream down or
    unreachable: 502 with a short text body.  An upstream that dies in the
    middle of a response: what arrived is relayed, then the client
    connection is closed.

Fault commands (stdin, one per line; one reply line on stdout, "ok" or
"error: ...").  A command decides the mode of the requests whose headers
arrive after it was read; requests already in progress keep their mode.
A new fault command replaces the pending one (there is one rule at a
time); when its count is used up the proxy is back to pass.
    pass                       forward normally (default)
    error500 N                 answer the next N requests with 500 and a
                               ClickHouse-style "Code: 999" body, not forwarded
    error503 N                 the same with 503, body "injected 503\\n"
    drop N                     read the request, close the client connection
                               (FIN) without answering or forwarding
    reset N                    like drop, but abort the connection (RST)
    blackhole_after_forward N  forward, read the whole upstream response (the
                               insert happened), never answer: the client
                               connection stays open and silent until the
                               client closes it
    delay MS N                 wait MS ms, then forward and answer normally
                               (the request is forwarded even if the client
                               gave up meanwhile, as on a slow network)
    insert_only <fault ...>    e.g. "insert_only error500 5": only requests
                               whose URL query has query=INSERT... (decoded,
                               case-insensitive, leading blanks ignored) get
                               the fault and use up the count; the others
                               pass through
    stats                      "ok requests=R forwarded=F faulted=X gzip=G"
                               requests: requests read (headers received);
                               forwarded: requests written to the upstream;
                               faulted: requests a fault was applied to;
                               gzip: requests whose body came with
                               Content-Encoding: gzip
    quit                       reply "ok" and exit 0
    Blank lines and lines starting with '#' are ignored (no reply).

    At EOF on stdin the proxy keeps running; SIGTERM/SIGINT exit 0.
    One line per faulted request (and per upstream failure) on stderr.
"""

import argparse
import asyncio
import os
import signal
import socket
import struct
import sys
import threading
import time
from urllib.parse import parse_qsl, urlsplit

MAX_LINE = 1 << 20          # longest request/status/header line (URL with query)
MAX_HEAD = 4 << 20          # all header lines of one message
COPY_PIECE = 1 << 16

ERROR500_BODY = (b"Code: 999, e.displayText() = DB::Exception: injected by "
                 b"faultproxy, e.what() = DB::Exception\n")
ERROR503_BODY = b"injected 503\n"

# Request headers not forwarded as they are (replaced by Connection: close).
HOP_REQUEST = {"connection", "keep-alive", "proxy-connection", "expect"}
# Response headers replaced by the proxy's own Connection header.
HOP_RESPONSE = {"connection", "keep-alive", "proxy-connection"}

FAULTS_WITH_COUNT = {"error500", "error503", "drop", "reset",
                     "blackhole_after_forward"}


def out(line):
    """One line on stdout, flushed; a closed stdout is ignored."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def log(msg):
    t = time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % (int(t * 1000) % 1000)
    try:
        sys.stderr.write("faultproxy %s: %s\n" % (stamp, msg))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def parse_hostport(s, what):
    if s.startswith("["):
        host, sep, port = s[1:].partition("]:")
    else:
        host, sep, port = s.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError("%s: expected HOST:PORT, got %r" % (what, s))
    return host or "127.0.0.1", int(port)


class BadRequest(Exception):
    def __init__(self, status, reason, detail):
        super().__init__(detail)
        self.status = status
        self.reason = reason


class UpstreamFailed(Exception):
    pass


class Head:
    """A request or response head: the first line and the header lines."""

    def __init__(self, first, headers):
        self.first = first          # str, without CRLF
        self.headers = headers      # list of (lower-case name, value, raw line bytes)

    def values(self, name):
        return [v for n, v, _ in self.headers if n == name]

    def tokens(self, name):
        """Comma-separated tokens of all headers `name`, lower-case."""
        toks = []
        for v in self.values(name):
            toks += [t.strip().lower() for t in v.split(",") if t.strip()]
        return toks

    def content_length(self):
        vals = {v.strip() for v in self.values("content-length")}
        if not vals:
            return None
        if len(vals) != 1 or not next(iter(vals)).isdigit():
            raise BadRequest(400, "Bad Request", "bad Content-Length %r" % sorted(vals))
        return int(next(iter(vals)))

    def chunked(self):
        te = self.tokens("transfer-encoding")
        return bool(te) and te[-1] == "chunked"


async def read_head(reader, skip_blank=False):
    """Read a message head (first line + headers up to the empty line).

    Returns None on EOF before the first byte.  Raises
    asyncio.IncompleteReadError on EOF inside the head, BadRequest when
    it is too long or malformed."""
    try:
        line = await reader.readuntil(b"\r\n")
        while skip_blank and line == b"\r\n":      # RFC 7230 3.5
            line = await reader.readuntil(b"\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise
    except asyncio.LimitOverrunError:
        raise BadRequest(414, "URI Too Long", "request line too long")
    first = line[:-2].decode("latin-1")
    headers = []
    total = len(line)
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError:
            raise BadRequest(431, "Request Header Fields Too Large", "header line too long")
        total += len(line)
        if total > MAX_HEAD:
            raise BadRequest(431, "Request Header Fields Too Large", "headers too long")
        if line == b"\r\n":
            return Head(first, headers)
        text = line[:-2].decode("latin-1")
        name, sep, value = text.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "Bad Request", "malformed header line %r" % text[:80])
        headers.append((name.lower(), value.strip(), line))


async def copy_exact(reader, n, sink):
    while n > 0:
        data = await reader.readexactly(min(n, COPY_PIECE))
        n -= len(data)
        await sink(data)


async def copy_chunked(reader, sink):
    """Copy a chunked body, raw (sizes, extensions, trailers), to sink."""
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError:
            raise BadRequest(400, "Bad Request", "chunk size line too long")
        await sink(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequest(400, "Bad Request", "bad chunk size %r" % line[:40])
        if size < 0:
            raise BadRequest(400, "Bad Request", "bad chunk size %r" % line[:40])
        if size == 0:
            while True:                             # trailers, then CRLF
                try:
                    line = await reader.readuntil(b"\r\n")
                except asyncio.LimitOverrunError:
                    raise BadRequest(400, "Bad Request", "trailer line too long")
                await sink(line)
                if line == b"\r\n":
                    return
        await copy_exact(reader, size, sink)
        crlf = await reader.readexactly(2)
        if crlf != b"\r\n":
            raise BadRequest(400, "Bad Request", "chunk not followed by CRLF")
        await sink(crlf)


class Request:
    def __init__(self, head, peer):
        parts = head.first.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, "Bad Request", "bad request line %r" % head.first[:100])
        self.head = head
        self.method, self.target, self.version = parts
        self.peer = peer
        if self.target.lower().startswith(("http://", "https://")):   # absolute-form
            u = urlsplit(self.target)
            self.target = (u.path or "/") + ("?" + u.query if u.query else "")
        conn = head.tokens("connection")
        if self.version == "HTTP/1.0":
            self.keepalive = "keep-alive" in conn
        else:
            self.keepalive = "close" not in conn
        self.chunked = head.chunked()
        self.length = None if self.chunked else (head.content_length() or 0)
        self.expect_continue = "100-continue" in head.tokens("expect")
        self.body = b""

    def is_insert(self):
        query = urlsplit(self.target).query
        for k, v in parse_qsl(query, keep_blank_values=True):
            if k == "query" and v.lstrip()[:6].upper() == "INSERT":
                return True
        return False

    def describe(self):
        t = self.target if len(self.target) <= 160 else self.target[:157] + "..."
        return "%s %s from %s" % (self.method, t, self.peer)

    async def read_body(self, reader, writer):
        if self.expect_continue and (self.chunked or self.length):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        if self.chunked:
            parts = []

            async def keep(data):
                parts.append(data)
            await copy_chunked(reader, keep)
            self.body = b"".join(parts)
        elif self.length:
            self.body = await reader.readexactly(self.length)

    def upstream_bytes(self):
        lines = ["%s %s %s\r\n" % (self.method, self.target, self.version)]
        for name, _, raw in self.head.headers:
            if name in HOP_REQUEST:
                continue
            if self.chunked and name == "content-length":
                continue
            lines.append(raw.decode("latin-1"))
        lines.append("Connection: close\r\n\r\n")
        return "".join(lines).encode("latin-1") + self.body


class ClientSink:
    """Writes to the client; after the first failure it only discards, so
    the upstream exchange can still be completed."""

    def __init__(self, writer):
        self.writer = writer
        self.dead = False

    async def __call__(self, data):
        if self.dead:
            return
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            self.dead = True


async def discard(_data):
    pass


class Rule:
    def __init__(self, kind, count, insert_only, ms=0):
        self.kind = kind
        self.count = count
        self.insert_only = insert_only
        self.ms = ms

    def name(self):
        s = self.kind + (" %d" % self.ms if self.kind == "delay" else "")
        return ("insert_only " if self.insert_only else "") + s


class Proxy:
    def __init__(self, upstream, connect_timeout, idle_timeout, verbose):
        self.up_host, self.up_port = upstream
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        self.rule = None
        self.requests = 0
        self.forwarded = 0
        self.faulted = 0
        self.gzip = 0
        self.stop = asyncio.Event()
        self.exit_code = 0

    # ---- commands -------------------------------------------------------

    def command(self, line):
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            reply = self.run_command(line.split())
        except ValueError as e:
            reply = "error: %s" % e
        out(reply)
        if self.verbose:
            log("command %r: %s" % (line, reply))

    def run_command(self, words):
        insert_only = False
        if words[0] == "insert_only":
            insert_only = True
            words = words[1:]
            if not words:
                raise ValueError("insert_only needs a fault, e.g. 'insert_only error500 3'")
        cmd, args = words[0], words[1:]

        def count(s, what="N"):
            if not s.isdigit() or int(s) < 1:
                raise ValueError("%s must be a positive integer, got %r" % (what, s))
            return int(s)

        if cmd in ("pass", "stats", "quit"):
            if args or insert_only:
                raise ValueError("'%s' takes no arguments" % cmd)
            if cmd == "pass":
                self.rule = None
                return "ok"
            if cmd == "stats":
                return "ok requests=%d forwarded=%d faulted=%d gzip=%d" % (
                    self.requests, self.forwarded, self.faulted, self.gzip)
            self.stop.set()
            return "ok"
        if cmd in FAULTS_WITH_COUNT:
            if len(args) != 1:
                raise ValueError("usage: %s N" % cmd)
            self.rule = Rule(cmd, count(args[0]), insert_only)
            return "ok"
        if cmd == "delay":
            if len(args) != 2:
                raise ValueError("usage: delay MS N")
            if not args[0].isdigit():
                raise ValueError("MS must be a non-negative integer, got %r" % args[0])
            self.rule = Rule(cmd, count(args[1]), insert_only, int(args[0]))
            return "ok"
        raise ValueError("unknown command %r" % cmd)

    def take_fault(self, req):
        """The fault for a request that just arrived (uses up the count)."""
        r = self.rule
        if r is None or (r.insert_only and not req.is_insert()):
            return None, 0
        r.count -= 1
        if r.count <= 0:
            self.rule = None
        return r, r.count

    # ---- connections ----------------------------------------------------

    async def handle_client(self, reader, writer):
        peername = writer.get_extra_info("peername")
        peer = "%s:%s" % peername[:2] if peername else "?"
        close_mode = "fin"
        try:
            while True:
                close_mode = await self.one_request(reader, writer, peer)
                if close_mode != "keep":
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            close_mode = "fin"
        except asyncio.TimeoutError:
            close_mode = "fin"
        except asyncio.CancelledError:
            # Shutting down (asyncio.run cancels the open connections): end
            # the task quietly, closing the connection.
            close_mode = "fin"
        except BadRequest as e:
            log("bad request from %s: %s" % (peer, e))
            body = ("%d %s: %s\n" % (e.status, e.reason, e)).encode()
            try:
                writer.write(self.simple_response(e.status, e.reason, body, False))
                await writer.drain()
            except (ConnectionError, OSError, RuntimeError):
                pass
        except Exception as e:              # never let one connection kill the proxy
            log("internal error on connection from %s: %r" % (peer, e))
        finally:
            if close_mode == "rst":
                try:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
                except (OSError, AttributeError):
                    pass
                writer.transport.abort()
            else:
                try:
                    writer.close()
                except (OSError, RuntimeError):
                    pass

    async def one_request(self, reader, writer, peer):
        """Serve one request; returns 'keep', 'fin' (close) or 'rst'."""
        if self.idle_timeout > 0:
            head = await asyncio.wait_for(read_head(reader, True), self.idle_timeout)
        else:
            head = await read_head(reader, True)
        if head is None:
            return "fin"
        req = Request(head, peer)
        self.requests += 1
        if "gzip" in head.tokens("content-encoding"):
            self.gzip += 1
        rule, left = self.take_fault(req)
        await req.read_body(reader, writer)
        if rule is None:
            if self.verbose:
                log("pass: " + req.describe())
            return await self.forward_and_relay(req, writer)

        self.faulted += 1
        log("%s (%d left): %s" % (rule.name(), left, req.describe()))
        kind = rule.kind
        if kind in ("error500", "error503"):
            if kind == "error500":
                msg = self.simple_response(500, "Internal Server Error", ERROR500_BODY,
                                           req.keepalive)
            else:
                msg = self.simple_response(503, "Service Unavailable", ERROR503_BODY,
                                           req.keepalive)
            writer.write(msg)
            await writer.drain()
            return "keep" if req.keepalive else "fin"
        if kind == "drop":
            return "fin"
        if kind == "reset":
            return "rst"
        if kind == "delay":
            await asyncio.sleep(rule.ms / 1000.0)
            return await self.forward_and_relay(req, writer)
        if kind == "blackhole_after_forward":
            await self.forward_and_relay(req, None)
            while await reader.read(COPY_PIECE):    # silent until the client closes
                pass
            return "fin"
        raise AssertionError(kind)

    @staticmethod
    def simple_response(status, reason, body, keepalive):
        return ("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                "Connection: %s\r\n\r\n" % (status, reason, len(body),
                                            "Keep-Alive" if keepalive else "close")
                ).encode("latin-1") + body

    async def forward_and_relay(self, req, writer):
        """Send req upstream over a new connection and relay the response to
        writer (None: read and discard it).  Returns 'keep' or 'fin'."""
        sink = ClientSink(writer) if writer is not None else discard
        try:
            ur, uw = await asyncio.wait_for(
                asyncio.open_connection(self.up_host, self.up_port, limit=MAX_LINE),
                self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as e:
            return await self.bad_gateway(req, writer, "cannot connect to upstream %s:%d: %s"
                                          % (self.up_host, self.up_port, e or "timeout"))
        try:
            try:
                uw.write(req.upstream_bytes())
                await uw.drain()
                self.forwarded += 1
            except (ConnectionError, OSError) as e:
                # The upstream may have answered early (and closed): read on.
                log("writing to upstream failed (%s): %s" % (e, req.describe()))
            try:
                head = await read_head(ur)
                while head is not None:
                    code = self.status_code(head)
                    if code >= 200 or code == 101:
                        break
                    head = await read_head(ur)          # skip 1xx interim responses
            except (asyncio.IncompleteReadError, ConnectionError, OSError, BadRequest) as e:
                return await self.bad_gateway(req, writer, "upstream response head: %r" % e)
            if head is None:
                return await self.bad_gateway(req, writer, "upstream closed without a response")

            code = self.status_code(head)
            if req.method == "HEAD" or code in (204, 304):
                framing, length = "length", 0
            elif head.chunked():
                framing, length = "chunked", None
            else:
                try:
                    length = head.content_length()
                except BadRequest:
                    length = None
                framing = "close" if length is None else "length"
            keepalive = req.keepalive and framing != "close"

            lines = [head.first + "\r\n"]
            lines += [raw.decode("latin-1") for n, _, raw in head.headers
                      if n not in HOP_RESPONSE]
            lines.append("Connection: %s\r\n\r\n" % ("Keep-Alive" if keepalive else "close"))
            await sink("".join(lines).encode("latin-1"))

            complete = True
            try:
                if framing == "chunked":
                    await copy_chunked(ur, sink)
                elif framing == "length":
                    await copy_exact(ur, length, sink)
                else:
                    while True:
                        data = await ur.read(COPY_PIECE)
                        if not data:
                            break
                        await sink(data)
            except (asyncio.IncompleteReadError, ConnectionError, OSError, BadRequest) as e:
                complete = False
                log("upstream response cut short (%r): %s" % (e, req.describe()))
            if writer is None:
                return "fin"
            if sink.dead or not complete or not keepalive:
                return "fin"
            return "keep"
        finally:
            try:
                uw.close()
            except (OSError, RuntimeError):
                pass

    @staticmethod
    def status_code(head):
        parts = head.first.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise BadRequest(502, "Bad Gateway", "bad upstream status line %r" % head.first[:80])
        return int(parts[1])

    async def bad_gateway(self, req, writer, why):
        log("502 (%s): %s" % (why, req.describe()))
        if writer is None:
            return "fin"
        body = ("faultproxy: 502 Bad Gateway: %s\n" % why).encode("utf-8", "replace")
        writer.write(self.simple_response(502, "Bad Gateway", body, req.keepalive))
        await writer.drain()
        return "keep" if req.keepalive else "fin"


def stdin_thread(loop, proxy):
    """Read command lines from fd 0 (os.read: no buffered-stdin lock that
    could wedge interpreter shutdown) and hand them to the event loop."""
    def call(fn, *args):
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:                # loop closed: we are exiting
            raise SystemExit
    buf = b""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        fd = None
    while fd is not None:
        try:
            data = os.read(fd, 4096)
        except InterruptedError:
            continue
        except OSError:
            data = b""
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            call(proxy.command, line.decode("utf-8", "replace"))
    if buf:
        call(proxy.command, buf.decode("utf-8", "replace"))
    if proxy.verbose:
        call(log, "stdin: EOF, serving until SIGTERM/SIGINT")


async def amain(args):
    proxy = Proxy(args.upstream, args.connect_timeout, args.idle_timeout, args.verbose)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, proxy.stop.set)
    host, port = args.listen
    server = await asyncio.start_server(proxy.handle_client, host, port, limit=MAX_LINE,
                                        backlog=1024, reuse_address=True)
    addr = server.sockets[0].getsockname()
    out(("[%s]:%d" if ":" in addr[0] else "%s:%d") % (addr[0], addr[1]))
    threading.Thread(target=stdin_thread, args=(loop, proxy), daemon=True,
                     name="stdin").start()
    await proxy.stop.wait()
    server.close()
    return proxy.exit_code   # asyncio.run cancels the remaining connections


def main():
    ap = argparse.ArgumentParser(
        description="Fault-injecting HTTP proxy for ClickHouse (see the module docstring "
                    "for the stdin commands).")
    ap.add_argument("--upstream", required=True, metavar="HOST:PORT",
                    type=lambda s: parse_hostport(s, "--upstream"))
    ap.add_argument("--listen", default=("127.0.0.1", 0), metavar="HOST:PORT",
                    type=lambda s: parse_hostport(s, "--listen"),
                    help="default 127.0.0.1:0 (a free port)")
    ap.add_argument("--connect-timeout", type=float, default=10.0, metavar="SEC",
                    help="upstream connect timeout, then 502 (default 10)")
    ap.add_argument("--idle-timeout", type=float, default=0.0, metavar="SEC",
                    help="close client connections idle this long between requests "
                         "(default 0: never)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also log passed requests and commands on stderr")
    args = ap.parse_args()
    try:
        code = asyncio.run(amain(args))
    except KeyboardInterrupt:
        code = 0
    except OSError as e:
        log("fatal: %s" % e)
        code = 1
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    return code


if __name__ == "__main__":
    sys.exit(main())
