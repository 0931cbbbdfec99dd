"""Development tooling, not installed with the package: the sample district generator (``sample``) and
the Office fixture writers (``office_writer``).  Nothing in ``pipeline`` imports it."""
