#!/usr/bin/env python3
"""tests/sandbox.py - does what ticksink did fit in its unit's sandbox?

    sandbox.py UNIT TRACE

UNIT is systemd/ticksink.service, TRACE the output of `strace -f -o TRACE
ticksink ...` over a run (start-up, consuming, inserting, rejects, drain).
Without a systemd to run the unit under, this checks the trace against what
the unit's settings would refuse:

  SystemCallFilter=         every system call made is in the allowed sets
                            (expanded with `systemd-analyze syscall-filter`)
                            and in none of the ~denied ones;
  RestrictAddressFamilies=  every socket is of an allowed family, except
                            AF_NETLINK/NETLINK_ROUTE, which glibc's
                            getaddrinfo(AI_ADDRCONFIG) opens and does
                            without when refused (check_pf.c assumes both
                            IPv4 and IPv6 then);
  MemoryDenyWriteExecute=   no mapping is made writable and executable;
  ProtectSystem=strict      nothing is opened for writing outside /tmp
  PrivateTmp=               (private) and /dev/null;
  ProcSubset=pid            nothing under /proc but processes is opened.

Prints what it checked and exits 1 on the first kind of violation found.
"""

import re
import subprocess
import sys

CALL = re.compile(r"^\d+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")


def expand(name, seen=None):
    """The system calls of a @group (recursively) or a single name."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         check=True, capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        calls |= expand(line, seen)
    return calls


def unit_settings(path):
    allow, deny, families = None, set(), set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SystemCallFilter="):
                v = line.split("=", 1)[1].split()
                if v and v[0].startswith("~"):
                    v[0] = v[0][1:]
                    for n in v:
                        deny |= expand(n)
                else:
                    allow = allow or set()
                    for n in v:
                        allow |= expand(n)
            elif line.startswith("RestrictAddressFamilies="):
                families |= set(line.split("=", 1)[1].split())
    return allow, deny, families


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    allow, deny, families = unit_settings(argv[1])
    if allow is None or not families:
        print("the unit has no SystemCallFilter= or RestrictAddressFamilies=")
        return 1
    calls, socks, wx, writes, procs = set(), set(), [], [], []
    with open(argv[2]) as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            name = m.group(1) or m.group(2)
            calls.add(name)
            if name == "socket" and m.group(2):
                s = re.search(r"socket\((\w+), [^,]*, (\w+)", line)
                socks.add((s.group(1), s.group(2)) if s else ("?", "?"))
            if name in ("mmap", "mprotect") and "PROT_WRITE" in line \
                    and "PROT_EXEC" in line:
                wx.append(line.strip())
            if name in ("openat", "open") and m.group(2):
                p = re.search(r'"([^"]*)"', line)
                path = p.group(1) if p else "?"
                if re.search(r"O_WRONLY|O_RDWR|O_CREAT", line) and \
                        not (path.startswith("/tmp/") or path == "/dev/null"):
                    writes.append(line.strip())
                # glibc's malloc reads overcommit_memory when the heap
                # shrinks (check_may_shrink_heap) and copes when it cannot.
                if path.startswith("/proc/") and not re.match(
                        r"/proc/(self|thread-self|\d+)(/|$)", path) and \
                        path != "/proc/sys/vm/overcommit_memory":
                    procs.append(line.strip())
    bad = sorted(c for c in calls if c not in allow or c in deny)
    fams = sorted({f for f, _ in socks})
    stray = sorted((f, p) for f, p in socks if f not in families and
                   not (f == "AF_NETLINK" and p == "NETLINK_ROUTE"))
    print(f"system calls made: {len(calls)}; outside the filter: "
          f"{' '.join(bad) or 'none'}")
    print(f"socket families: {' '.join(fams)} (unit allows "
          f"{' '.join(sorted(families))})")
    print(f"writable+executable mappings: {len(wx)}; files opened for "
          f"writing: {len(writes)}; /proc outside processes: {len(procs)}")
    rc = 0
    for what, items in (("system calls the filter refuses", bad),
                        ("sockets of refused families", stray),
                        ("W+X mappings", wx), ("writes", writes),
                        ("/proc files ProcSubset=pid hides", procs)):
        if items:
            print(f"FAIL: {what}: " + "; ".join(map(str, items[:5])))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
