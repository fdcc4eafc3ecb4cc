#!/usr/bin/python3
"""bench: wait for a ticksink catch-up to land, polling its /metrics.

Polls http://127.0.0.1:PORT/metrics every 20 ms over one plain socket per
poll until ticksink_rows_landed_total reaches WANT, and prints one line:
"FIRST_MS FIRST_CPU END_MS", the wall times (ms since the epoch) at which a
consumed message was first seen and at which WANT rows had landed, and
ticksink's CPU (clock ticks, all threads, from /proc/PID/stat) at the
first.  One long-lived process, because the poll runs beside the process it
measures on a two-core machine: curl | awk per poll cost 34 ms of CPU, and
bash reads a socket a byte per system call (5 ms per poll).

Exits 1 with a message if anything was rejected (bench ticks are all
valid), if PID exits, or after TIMEOUT seconds.

usage: progress.py PORT WANT PID TIMEOUT
"""

import socket
import sys
import time


def metrics(port):
    """The /metrics page as {name: value}, or {} while nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
    except OSError:
        return {}
    body = b"".join(chunks).partition(b"\r\n\r\n")[2].decode()
    out = {}
    for line in body.splitlines():
        name, _, value = line.rpartition(" ")
        if name and not line.startswith("#"):
            out[name] = value
    return out


def cpu_ticks(pid):
    """utime + stime of pid, all threads, in clock ticks; None once it
    exited (gone, or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[11]) + int(fields[12])


def main():
    port, want, pid, timeout = (int(a) for a in sys.argv[1:5])
    deadline = time.time() + timeout
    first = first_cpu = None
    while True:
        m = metrics(port)
        now = int(time.time() * 1000)
        if float(m.get("ticksink_rejects_landed_total", 0)) > 0:
            sys.exit("ticksink rejected generated ticks")
        if first is None and float(m.get("ticksink_messages_consumed_total", 0)) > 0:
            first, first_cpu = now, cpu_ticks(pid)
        if float(m.get("ticksink_rows_landed_total", 0)) >= want:
            print(first, first_cpu, now)
            return
        if time.time() > deadline:
            sys.exit("%s of %d rows after %d s" % (
                m.get("ticksink_rows_landed_total", 0), want, timeout))
        if cpu_ticks(pid) is None:
            sys.exit("ticksink exited")
        time.sleep(0.02)


if __name__ == "__main__":
    main()
