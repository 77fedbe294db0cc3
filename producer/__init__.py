"""What agents import: capture API, redaction, hash chain, publisher and disk spool."""
