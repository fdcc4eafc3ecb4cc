#!/usr/bin/env bash
# Fault (c): the Kafka broker goes down and comes back mid-stream, then
# Fetch and OffsetCommit requests fail for a while (rdkafka_mock's injected
# errors).  librdkafka recovers by itself; nothing may be lost or doubled,
# and the commits must catch up to the end offsets.
set -euo pipefail
. "$SRCDIR/tests/lib/common.sh"
. "$SRCDIR/tests/lib/stream.sh"

FETCH=1 OFFSET_COMMIT=8
it_setup
stream_init 8 100000 100

TICKSINK_KAFKA_AUTO_COMMIT_INTERVAL_MS=200 ticksink_start
wait_until 30 "ticksink assigned all partitions" ticksink_assigned
stream_chunk
stream_wait

stream_chunk
broker_cmd broker_down 1
echo "broker down"
# The outage is the scenario: five seconds without a broker.
sleep 5
broker_cmd broker_up 1
echo "broker up"
stream_wait 120

broker_cmd push_errors "$FETCH" NOT_LEADER_FOR_PARTITION 5
broker_cmd push_errors "$OFFSET_COMMIT" COORDINATOR_LOAD_IN_PROGRESS 5
stream_chunk
stream_wait 120
broker_cmd push_errors "$FETCH" UNKNOWN_TOPIC_OR_PART 3
broker_cmd push_errors "$OFFSET_COMMIT" REQUEST_TIMED_OUT 3
stream_all 120

[ "$(log_count 'kafka: ')" -gt 3 ] ||
	fail "ticksink logged nothing about the broker faults"
verify_drained
