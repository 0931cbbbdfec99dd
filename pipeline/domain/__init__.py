"""The domain: indicator catalogue, periods, the commune registry, and reading and writing numbers and text."""
