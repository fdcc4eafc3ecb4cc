#!/usr/bin/python3
"""bench: steady-state latency from produce to queryable in ClickHouse.

Writes RATE ticks per second for SECONDS into `kcat -P` (paced every 2 ms),
each stamped with the wall time at which it is written (timestamp_ms,
timestamp and received_at) and numbered in its volume field (an integer,
exact as a double), and polls ClickHouse every POLL ms for rows at or after
the oldest tick not yet seen (a range on the table's primary key, so a
poll reads a few thousand rows at most).  A tick's latency is the wall
time of the poll that first returned it minus its timestamp_ms, so it
includes kcat, the broker, ticksink's batching and the insert, and is
late by at most one poll interval plus the poll's own time.

Prints one line: "sent N seen N p50 P p90 P p99 P max P" in milliseconds;
exits 1 if a tick was never seen within 10 s after the last was sent.

usage: steady.py BROKERS TOPIC CH_URL TABLE RATE SECONDS [POLL_MS]
"""

import datetime
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SYMBOLS = ["BINANCE:BTCUSDT", "BINANCE:ETHUSDT", "BINANCE:SOLUSDT",
           "COINBASE:BTC-USD"]


def iso(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return d.isoformat(timespec="microseconds")


def query(url, sql):
    q = urllib.parse.urlencode({"query": sql})
    with urllib.request.urlopen(url + "/?" + q) as r:
        return r.read().decode()


def percentile(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    brokers, topic, url, table = sys.argv[1:5]
    rate, seconds = int(sys.argv[5]), float(sys.argv[6])
    poll = (int(sys.argv[7]) if len(sys.argv) > 7 else 10) / 1000
    kcat = subprocess.Popen(["kcat", "-P", "-q", "-b", brokers, "-t", topic],
                            stdin=subprocess.PIPE)
    sent = {}                   # seq -> timestamp_ms
    seen = {}                   # seq -> latency ms
    total = int(rate * seconds)
    t0 = time.time()
    next_poll = t0
    seq = 0
    lo = 0                      # the oldest tick not seen yet

    while True:
        now = time.time()
        due = min(total, int((now - t0) * rate))
        if due > seq:
            lines = []
            for seq in range(seq, due):
                ms = int(time.time() * 1000)
                sent[seq] = ms
                lines.append(json.dumps({
                    "timestamp": iso(ms), "timestamp_ms": ms,
                    "symbol": SYMBOLS[seq % len(SYMBOLS)],
                    "price": 100 + seq % 1000 / 100, "volume": seq,
                    "received_at": iso(ms)}))
            seq = due
            kcat.stdin.write(("\n".join(lines) + "\n").encode())
            kcat.stdin.flush()
            if seq >= total:
                kcat.stdin.close()      # kcat holds its last lines until EOF
        if now >= next_poll:
            next_poll = now + poll
            while lo < seq and lo in seen:
                lo += 1
            if lo < seq:
                rows = query(url, "SELECT toInt64(volume) FROM %s WHERE "
                             "timestamp_ms >= %d FORMAT TSV" % (table,
                                                                 sent[lo]))
                at = int(time.time() * 1000)
                for line in rows.split():
                    s = int(line)
                    if s in sent and s not in seen:
                        seen[s] = at - sent[s]
            elif seq >= total:
                break
        if seq >= total and time.time() - t0 > seconds + 10:
            break
        time.sleep(0.002)
    kcat.wait()
    missing = [s for s in sent if s not in seen]
    if missing:
        print("never seen: %s" % missing[:20], file=sys.stderr)
    lat = sorted(seen.values())
    print("sent %d seen %d p50 %d p90 %d p99 %d max %d" % (
        len(sent), len(seen), percentile(lat, 0.50), percentile(lat, 0.90),
        percentile(lat, 0.99), lat[-1]))
    sys.exit(0 if len(seen) == len(sent) else 1)


main()
