"""Helpers for the producer integration tests: consuming a topic back, a producer child process."""
