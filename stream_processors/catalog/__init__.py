"""Package data: the default tool catalog (``default.yaml``)."""
