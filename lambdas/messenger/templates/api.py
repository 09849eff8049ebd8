"""The templates domain's GraphQL fields."""

from __future__ import annotations

from messenger.core.router import Router

router = Router()


def _service():
    from messenger.templates.dependencies import template_service

    return template_service()


@router.mutation("createTemplate")
def create_template(arguments: dict) -> dict:
    return _service().create(arguments).to_graphql()


@router.mutation("updateTemplate")
def update_template(arguments: dict) -> dict:
    return _service().update(arguments).to_graphql()


@router.mutation("archiveTemplate")
def archive_template(arguments: dict) -> dict:
    return _service().archive(arguments).to_graphql()


@router.query("getTemplate")
def get_template(arguments: dict) -> dict | None:
    return _service().get(arguments)


@router.query("getTemplates")
def get_templates(arguments: dict) -> dict:
    return _service().page(arguments)


@router.query("previewTemplate")
def preview_template(arguments: dict) -> dict:
    return _service().preview(arguments).to_graphql()
