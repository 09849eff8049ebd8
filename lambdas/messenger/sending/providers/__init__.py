"""The providers, keyed by `Provider`. Adding one is one module exporting PROVIDER and one line here."""

from __future__ import annotations

from messenger.messages.models import Provider
from messenger.sending.providers import africastalking, ses, sns
from messenger.sending.providers.base import ProviderSpec

PROVIDERS: dict[Provider, ProviderSpec] = {
    spec.provider: spec for spec in (ses.PROVIDER, sns.PROVIDER, africastalking.PROVIDER)
}


def spec_of(provider: Provider) -> ProviderSpec:
    return PROVIDERS[provider]
