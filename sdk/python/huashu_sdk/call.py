"""``Call``: the ``call-started`` event with conveniences for reading campaign variables."""


class Call:
    """Wraps the contract's ``CallStarted``: every field (``call_id``, ``caller``,
    ``variables``, ``started_at_ms``, ``random_seed``…) reads as before, plus ``var`` and
    ``var_or``."""

    def __init__(self, started):
        self._started = started

    def __getattr__(self, name):
        return getattr(self._started, name)

    def var(self, name: str):
        """The campaign or contact variable ``name``, or ``None``."""
        for key, value in self._started.variables:
            if key == name:
                return value
        return None

    def var_or(self, name: str, default: str) -> str:
        """The variable ``name``, or ``default`` when it is missing or blank."""
        value = self.var(name)
        return value if value is not None and value.strip() else default
