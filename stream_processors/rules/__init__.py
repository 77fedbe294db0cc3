"""Package data: the default detection rule pack (``*.yaml``)."""
