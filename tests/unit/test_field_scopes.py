"""Every field of the schema a client can call needs a scope, declared beside the domain's fields."""

import pytest
from graphql import build_schema

from local.appsync import AWS_DECLARATIONS
from stacks.config import PROJECT_ROOT, load_cdk_json_config
from stacks.wiring import ApiPart, Domain, build_wiring, compose

# Not resolved by the API function: the publish mutation (IAM only, NONE data source) and the
# subscription (AppSync real-time, no resolver of ours: any key may subscribe; docs/security.md).
NOT_SCOPED = {"Mutation.publishMessageUpdate", "Subscription.onMessageUpdated"}


def field_scopes() -> dict:
    api = build_wiring(load_cdk_json_config()).function("api")
    import json

    return json.loads(api.environment["FIELD_SCOPES"])


def test_every_schema_field_is_mapped_to_a_scope():
    schema = build_schema(AWS_DECLARATIONS + (PROJECT_ROOT / "schema.graphql").read_text())
    fields = {f"{t.name}.{name}" for t in (schema.query_type, schema.mutation_type, schema.subscription_type)
              for name in t.fields}  # fmt: skip
    assert set(field_scopes()) == fields - NOT_SCOPED


def test_the_scopes_follow_the_documented_split():
    scopes = field_scopes()
    assert scopes["Mutation.sendMessage"] == "SEND"
    assert {scopes["Query.getMessages"], scopes["Query.getMessage"]} == {"READ"}
    for field in ("createApiClient", "rotateApiClientKey", "revokeApiClient", "eraseRecipient",
                  "removeSuppression", "createTemplate"):  # fmt: skip
        assert scopes[f"Mutation.{field}"] == "ADMIN"
    assert scopes["Query.getSuppressions"] == scopes["Query.getApiClients"] == "ADMIN"


@pytest.mark.parametrize("scopes, problem", [
    ({}, "no scope for getX"), ({"getX": "READ", "getY": "READ"}, "does not have"), ({"getX": "TEST"}, "needs one of"),
])
def test_a_field_without_a_proper_scope_cannot_be_wired(scopes, problem):
    part = ApiPart(router="r", fields=(("Query", "getX"),), capabilities=frozenset(), scopes=scopes)
    with pytest.raises(ValueError, match=problem):
        compose(load_cdk_json_config(), (Domain(name="d", api=part),))
