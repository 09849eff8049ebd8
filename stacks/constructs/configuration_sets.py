"""SES configuration sets the stack creates (`wiring.ConfigurationSetSpec`), publishing to their topic.

A configuration set of the user's own (`sesConfigurationSet`) is not created here: the user adds an
event destination pointing at the topic (README, "Receipts"); the topic policy already lets SES
publish for that set.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ses as ses
from constructs import Construct

from stacks.constructs.topics import EventTopic
from stacks.wiring import ConfigurationSetSpec, Wiring


def cloudformation_event_type(name: str) -> str:
    """SES v2's "RENDERING_FAILURE" as AWS::SES::ConfigurationSetEventDestination spells it: "renderingFailure"."""
    first, *rest = name.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


class ConfigurationSet(Construct):
    def __init__(self, scope: Construct, id: str, *, spec: ConfigurationSetSpec, topic: EventTopic) -> None:
        super().__init__(scope, id)
        self.configuration_set = ses.ConfigurationSet(self, "Set", configuration_set_name=spec.name)
        # The L1 resource: the L2 destination would add a second, identical SES statement to the topic
        # policy, which EventTopic already holds for every configuration set it serves.
        destination = ses.CfnConfigurationSetEventDestination(
            self,
            "Destination",
            configuration_set_name=self.configuration_set.configuration_set_name,
            event_destination=ses.CfnConfigurationSetEventDestination.EventDestinationProperty(
                name="receipts",
                enabled=True,
                matching_event_types=[cloudformation_event_type(event) for event in spec.event_types],
                sns_destination=ses.CfnConfigurationSetEventDestination.SnsDestinationProperty(
                    topic_arn=topic.topic.topic_arn
                ),
            ),
        )
        # The permission to publish is in place before the first event can be published.
        destination.node.add_dependency(topic.publish_policy)
        CfnOutput(Stack.of(self), "SesConfigurationSetName", value=spec.name)


class ConfigurationSets(Construct):
    def __init__(self, scope: Construct, id: str, *, wiring: Wiring, topics: Mapping[str, EventTopic]) -> None:
        super().__init__(scope, id)
        for spec in wiring.configuration_sets:
            ConfigurationSet(self, spec.name, spec=spec, topic=topics[spec.topic])
