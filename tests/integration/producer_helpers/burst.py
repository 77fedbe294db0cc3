"""A producer process for the kill -9 test.

``burst.py record <bootstrap> <topic> <spool_dir> <log>``: publishes tool-call events in
``disk`` mode as fast as it can, appending each event id to ``<log>`` once the call that
recorded it has returned (so every line is an event the process recorded).
``burst.py drain <bootstrap> <topic> <spool_dir>``: a later process on the same spool:
delivers what the killed one left, then exits.
"""

from __future__ import annotations

import os
import sys

from tooltrail.producer import Auditor, InMemoryPublisher  # noqa: F401 - import check
from tooltrail.producer.kafka import KafkaPublisher


def main() -> int:
    mode, bootstrap, topic, spool_dir = sys.argv[1:5]
    publisher = KafkaPublisher(
        bootstrap_servers=bootstrap,
        topic=topic,
        durability="disk",
        spool_dir=spool_dir,
        fsync="never",
    )
    if mode == "drain":
        left = publisher.flush(60)
        publisher.close(5)
        print(f"left={left}")
        return 0 if left == 0 else 1
    auditor = Auditor(publisher=publisher)
    fd = os.open(sys.argv[5], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with auditor.session(session_id=f"burst-{os.getpid()}"):
        for i in range(10_000_000):
            call = auditor.start("write_file", arguments={"i": i})
            call.finish(result="ok")
            os.write(fd, (call.event_id + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
