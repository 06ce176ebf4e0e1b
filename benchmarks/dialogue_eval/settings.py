"""Turn settings equal to dialogue_node's defaults (its parameter declarations), for benchmarks."""

import dataclasses

from insideout_dialogue.core.dialogue_turn import TurnSettings
from insideout_dialogue.core.embedded_slots import pin_embedded_slots
from insideout_dialogue.nodes.dialogue_parameters import DEFAULT_AGENTS, all_specs
from insideout_dialogue.nodes.dialogue_setup import turn_settings


def default_settings(
    base_url: str, model: str, style: str = "improved", server_slots: int = 0, strategy: str = ""
) -> TurnSettings:
    """`server_slots`: the slots of a llama-server this benchmark started itself (0: a server
    given by URL, left to choose its own slots, as dialogue_node does with one it did not
    start); `strategy`: an aggregation strategy instead of the default.
    Built by dialogue_node's own turn_settings() from its parameter defaults, so a new setting
    reaches the benchmarks without being written twice."""
    value = {name: spec.default for name, spec in all_specs(DEFAULT_AGENTS).items()}
    for prefix in [f"agents.{name}." for name in DEFAULT_AGENTS] + ["aggregator."]:
        value[prefix + "base_url"], value[prefix + "model"] = base_url, model
        value[prefix + "timeout"] = max(120.0, value[prefix + "timeout"])
    value["prompts.style"] = style
    if strategy:  # empty: dialogue_node's default
        value["aggregation.strategy"] = strategy
    settings = turn_settings(value, list(DEFAULT_AGENTS))
    if server_slots:  # as dialogue_node pins the slots of the server it starts
        settings = pin_embedded_slots(settings, base_url, server_slots)
    return with_style(settings, style)


def with_style(settings: TurnSettings, style: str) -> TurnSettings:
    """The settings with another prompt style; the paper's single growing chat is left to the
    server's own slot choice (the slot holding the chat so far), as the seed's demo would be."""
    prompts = dataclasses.replace(settings.prompts, style=style)
    if style == "paper":
        unpin = lambda e: dataclasses.replace(e, server_slot=-1)  # noqa: E731
        return dataclasses.replace(
            settings,
            prompts=prompts,
            aggregator=unpin(settings.aggregator),
            agents=[dataclasses.replace(a, endpoint=unpin(a.endpoint)) for a in settings.agents],
        )
    return dataclasses.replace(settings, prompts=prompts)
