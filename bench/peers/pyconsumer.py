#!/usr/bin/python3
"""bench peer: the Python consumer ticksink replaces, as the seed describes it.

A confluent-kafka consumer in the same group setup (auto commit, earliest),
json.loads per message, the same field checks in Python, rows batched until
BATCH rows or FLUSH seconds since the batch started (checked when a message
arrives, as the original did, so a quiet topic leaves the last batch
unsent), each batch inserted with one HTTP POST as JSONEachRow.  It stops
after COUNT rows landed, or 5 s without a message once any landed (the
unsent tail), and prints "ROWS MS": rows landed and milliseconds from its
start to its last insert.  Debian's python3-confluent-kafka (librdkafka
2.0.2).

usage: pyconsumer.py BROKERS TOPIC GROUP CH_URL TABLE COUNT BATCH FLUSH
"""

import json
import sys
import time
import urllib.request

from confluent_kafka import Consumer


def valid(t):
    return (isinstance(t, dict) and isinstance(t.get("symbol"), str)
            and t["symbol"] != "" and isinstance(t.get("price"), (int, float))
            and t["price"] > 0 and isinstance(t.get("volume"), (int, float))
            and t["volume"] >= 0 and isinstance(t.get("timestamp_ms"), int)
            and isinstance(t.get("timestamp"), str)
            and isinstance(t.get("received_at"), str))


def row(t):
    return json.dumps({
        "timestamp": t["timestamp"][:19].replace("T", " "),
        "timestamp_ms": t["timestamp_ms"],
        "symbol": t["symbol"], "price": t["price"], "volume": t["volume"],
        "received_at": t["received_at"][:19].replace("T", " "),
    })


def main():
    brokers, topic, group, url, table = sys.argv[1:6]
    count, batch, flush = int(sys.argv[6]), int(sys.argv[7]), float(sys.argv[8])
    c = Consumer({"bootstrap.servers": brokers, "group.id": group,
                  "auto.offset.reset": "earliest",
                  "enable.auto.commit": True})
    c.subscribe([topic])
    query = urllib.parse.quote("INSERT INTO %s FORMAT JSONEachRow" % table)
    t0 = time.monotonic()
    rows, started, landed, last = [], None, 0, t0
    idle = t0
    while landed < count:
        m = c.poll(0.5)
        if m is None or m.error():
            if landed > 0 and time.monotonic() - idle > 5:
                break
            continue
        idle = time.monotonic()
        try:
            t = json.loads(m.value())
        except ValueError:
            continue
        if not valid(t):
            continue
        if not rows:
            started = time.monotonic()
        rows.append(row(t))
        if len(rows) >= batch or time.monotonic() - started >= flush:
            body = ("\n".join(rows) + "\n").encode()
            urllib.request.urlopen(url + "/?query=" + query, body).read()
            landed += len(rows)
            last = time.monotonic()
            rows = []
    c.close()
    print(landed, int((last - t0) * 1000))


main()
