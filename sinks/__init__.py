"""Sinks: the ClickHouse sink, DDL migrations and query helpers."""
