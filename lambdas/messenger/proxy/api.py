"""The proxy domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.proxy.dependencies import proxy_service

    return proxy_service()


@router.mutation("addProxyNumber")
def add_proxy_number(arguments: dict) -> dict:
    return _service().add_number(arguments)


@router.mutation("removeProxyNumber")
def remove_proxy_number(arguments: dict) -> bool:
    return _service().remove_number(arguments)


@router.query("getProxyNumbers")
def get_proxy_numbers(arguments: dict) -> list:
    return _service().numbers()


@router.mutation("startProxySession")
def start_proxy_session(arguments: dict) -> dict:
    from messenger.core.caller import refuse_test_caller

    refuse_test_caller("input", "the session's texts would really be sent")
    return _service().start(arguments.get("input"))


@router.mutation("endProxySession")
def end_proxy_session(arguments: dict) -> dict:
    return _service().end(arguments)


@router.query("getProxySessions")
def get_proxy_sessions(arguments: dict) -> dict:
    return _service().page(arguments)
