"""The stream-processing workers: thin Faust shells around the pure pipeline.

* :mod:`.pipeline`: the pure batch function (decode both framings, validate, dead-letter,
  verify chains, enrich, detect), unit-tested without an event loop.
* :mod:`.runtime`: per-partition state (chain verifier, enricher, detection engine) and the
  atomic batch record that makes a batch's state change all-or-nothing in the changelog.
* :mod:`.app`: ``create_app(config, analysis=...)``, the Faust app: a batch handler over
  the raw topic (records acknowledged only after outputs and state are in Kafka), one
  changelog-backed table, a heartbeat timer, ``/metrics`` and ``/health``.
* :mod:`.batching`: the Faust transport that delivers the raw topic a fetch at a time
  instead of one record at a time (Faust's per-record path alone costs more than the
  worker's budget per record).
* :mod:`.runner`, :mod:`.process`: run it (``tooltrail worker processors``) in this process
  or as a child process; :mod:`.forwarder`: ``tooltrail alerts forward``;
  :mod:`.demo` and :mod:`.fleet`: ``tooltrail demo run``.

Importing this package does not import Faust; :mod:`.app` and :mod:`.runner` do.
"""
