"""The premium ledger's tests use enforcement's worlds (a buyer, agreements, a premium
provision): the same fixtures."""

from tests.enforcement.conftest import a, b  # noqa: F401
