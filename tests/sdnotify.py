#!/usr/bin/env python3
"""tests/sdnotify.py - play systemd's side of the notify protocol in tests.

    sdnotify.py record SOCKET LOG
        Bind a unix datagram socket at SOCKET (what NOTIFY_SOCKET names) and
        append every line of every datagram received to LOG as
        "<epoch ms> <line>", flushed at once, until SIGTERM or SIGINT.  The
        socket exists (and "listening" is printed) before any datagram can
        be lost.

    sdnotify.py count LOG PREFIX [FROM_MS [TO_MS]]
        Number of lines starting with PREFIX, at FROM_MS < t <= TO_MS.

    sdnotify.py first LOG PREFIX [FROM_MS]
    sdnotify.py last LOG PREFIX [TO_MS]
        Time of the first line after FROM_MS (last at or before TO_MS)
        starting with PREFIX; exit status 1 when there is none.

    sdnotify.py gaps LOG PREFIX FROM_MS TO_MS
        "<count> <min> <max> <hole>" for the PREFIX lines in the window: the
        shortest and longest interval between consecutive ones (0 with fewer
        than two), and the longest stretch without one counting the edges of
        the window, which shows pings missing at either end.

    sdnotify.py sequence LOG
        The messages in order with their time since the first, runs of
        WATCHDOG=1 collapsed into one line with their count and intervals,
        and a STATUS= line only when the state it names changes.

The epoch-ms clock is the one tests/lib/common.sh's now_ms uses, so the
shell can mark moments of the scenario and ask about the windows between.
"""

import os
import signal
import socket
import sys
import time


def now_ms():
    return int(time.time() * 1000)


def record(path, log):
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    running = [True]

    def stop(signo, frame):
        running[0] = False
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening", flush=True)
    with open(log, "a", buffering=1) as out:
        try:
            while running[0]:
                data = sock.recv(65536)
                t = now_ms()
                for line in data.decode("utf-8", "replace").split("\n"):
                    if line:
                        out.write(f"{t} {line}\n")
        except KeyboardInterrupt:
            pass
    sock.close()
    os.unlink(path)


def load(log):
    rows = []
    with open(log) as f:
        for raw in f:
            t, _, line = raw.rstrip("\n").partition(" ")
            rows.append((int(t), line))
    return rows


def times(log, prefix, lo=None, hi=None):
    return [t for t, line in load(log) if line.startswith(prefix)
            and (lo is None or t > lo) and (hi is None or t <= hi)]


def sequence(log):
    out, run = [], []

    def close_run():
        if not run:
            return
        gaps = [b - a for a, b in zip(run, run[1:])]
        if gaps:
            out.append(f"WATCHDOG=1 x{len(run)} (every {min(gaps)}-"
                       f"{max(gaps)} ms)")
        else:
            out.append("WATCHDOG=1 x1")
        run.clear()

    t0, state = None, None
    for t, line in load(log):
        if t0 is None:
            t0 = t
        if line == "WATCHDOG=1":
            run.append(t)
            continue
        if line.startswith("STATUS="):
            if line.split(":")[0] == state:
                continue
            state = line.split(":")[0]
        close_run()
        out.append(f"+{(t - t0) / 1000:7.3f}s {line}")
    close_run()
    return out


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "record" and len(argv) == 4:
        record(argv[2], argv[3])
        return 0
    if cmd == "count" and len(argv) in (4, 5, 6):
        lo = int(argv[4]) if len(argv) > 4 else None
        hi = int(argv[5]) if len(argv) > 5 else None
        print(len(times(argv[2], argv[3], lo, hi)))
        return 0
    if cmd == "first" and len(argv) in (4, 5):
        ts = times(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else None)
        if not ts:
            return 1
        print(ts[0])
        return 0
    if cmd == "last" and len(argv) in (4, 5):
        ts = times(argv[2], argv[3], None,
                   int(argv[4]) if len(argv) > 4 else None)
        if not ts:
            return 1
        print(ts[-1])
        return 0
    if cmd == "gaps" and len(argv) == 6:
        lo, hi = int(argv[4]), int(argv[5])
        ts = times(argv[2], argv[3], lo, hi)
        gaps = [b - a for a, b in zip(ts, ts[1:])] or [0]
        edges = [lo] + ts + [hi]
        hole = max(b - a for a, b in zip(edges, edges[1:]))
        print(len(ts), min(gaps), max(gaps), hole)
        return 0
    if cmd == "sequence" and len(argv) == 3:
        for line in sequence(argv[2]):
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
