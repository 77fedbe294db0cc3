#!/usr/bin/env bash
# The local single-node Apache Kafka broker (KRaft), without Docker.
#   deploy/local/kafka.sh start [--fresh] | stop | status [--quiet]
# Same code as `tooltrail kafka ...` (tooltrail.local): jars from Maven Central via Maven
# into ~/.cache/tooltrail, state in ~/.cache/tooltrail/kafka-data-<port>. Settings: TOOLTRAIL_*.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -x "$here/.venv/bin/tooltrail" ]; then
    exec "$here/.venv/bin/tooltrail" kafka "$@"
elif command -v tooltrail >/dev/null 2>&1; then
    exec tooltrail kafka "$@"
fi
echo "tooltrail is not installed: run \`make install\` (or pip install -e .) first" >&2
exit 2
