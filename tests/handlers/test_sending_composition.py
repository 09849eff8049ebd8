"""The sending domain's composition root: which sender the worker uses for each provider."""

from messenger.messages.models import Provider

from tests.support import moto_service


def test_the_worker_sends_africastalking_in_groups_and_the_direct_channels_one_by_one():
    with moto_service():
        from messenger.adapters.ses import SesEmailChannel
        from messenger.adapters.sns import SnsSmsChannel
        from messenger.sending.dependencies import channels, senders
        from messenger.sending.providers.africastalking import AfricasTalkingSender
        from messenger.sending.providers.base import OneByOne

        built = senders()
        assert isinstance(built[Provider.AFRICASTALKING], AfricasTalkingSender)
        for provider, channel in ((Provider.SNS, SnsSmsChannel), (Provider.SES, SesEmailChannel)):
            assert isinstance(built[provider], OneByOne) and isinstance(channels()[provider], channel)
            assert built[provider]._channel is channels()[provider]
        assert built[Provider.SNS] is senders()[Provider.SNS]  # built once per warm function
