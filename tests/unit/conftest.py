import pytest
from connection_pair import connection_pair


@pytest.fixture
def pair():
    """Two connected Connections over a socket pair (no network): ``await pair()``."""
    return connection_pair
