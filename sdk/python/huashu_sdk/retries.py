"""Counters for the two ways a question goes unanswered: ``Retries`` for "may I ask
again?" and ``NoMatchCounter`` for answers the script did not understand."""


class Retries:
    """How many more times a question may be asked again (default: once)."""

    def __init__(self, max_retries: int = 1):
        self.max = max_retries
        self.used = 0

    def try_again(self) -> bool:
        """Use up one retry: True if one was left (ask again), False once used up."""
        if self.used < self.max:
            self.used += 1
            return True
        return False

    @property
    def remaining(self) -> int:
        return self.max - self.used

    @property
    def is_exhausted(self) -> bool:
        return self.used >= self.max

    def reset(self):
        """Make every retry available again (e.g. for the next question)."""
        self.used = 0


class NoMatchCounter:
    """Counts answers the script could not make sense of: in a row (to decide whether to
    re-prompt) and in total (worth recording in the outcome)."""

    def __init__(self, max_reprompts: int = 1):
        self.max_reprompts = max_reprompts
        self.in_a_row = 0
        self.total = 0

    def miss(self) -> bool:
        """Count an answer that matched nothing: True if the script may re-prompt."""
        self.in_a_row += 1
        self.total += 1
        return self.in_a_row <= self.max_reprompts

    def matched(self):
        """An answer was understood: the next miss starts a new run."""
        self.in_a_row = 0
