"""Stream processors: pure enrichers and detection engine, thin Faust agents around them."""
