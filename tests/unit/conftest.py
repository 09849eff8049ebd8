"""Unit tests run with sockets blocked: nothing here may reach a network, loopback included."""

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets():
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture(scope="module")
def moto_table():
    """One moto with the stack's resources per test module (its start costs seconds): the table's name."""
    from tests.support import moto_service

    with moto_service() as resources:
        yield resources.table_name


@pytest.fixture
def empty_moto_table(moto_table):
    """The module's table, emptied for this test."""
    from tests.support import empty_table

    empty_table(moto_table)
    return moto_table
