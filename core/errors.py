"""Errors that services raise; views and the API turn them into clear 4xx responses."""


class DomainError(Exception):
    """A request that the domain refuses (never a 500)."""

    code = "invalid"

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class IllegalTransition(DomainError):
    """A state change the model's transition table does not allow (HTTP 409)."""

    code = "illegal_transition"


def check_transition(table, current, target, what="record"):
    if target not in table.get(current, set()):
        raise IllegalTransition(f"A {what} cannot go from '{current}' to '{target}'.")
