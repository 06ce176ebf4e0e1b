"""Turn settings equal to dialogue_node's defaults (its parameter declarations), for benchmarks."""

import dataclasses

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.dialogue_turn import TurnSettings
from insideout_dialogue.core.embedded_slots import pin_embedded_slots
from insideout_dialogue.core.emotion_weights import parse_mapping_row
from insideout_dialogue.core.prompts import PromptSet
from insideout_dialogue.nodes.dialogue_parameters import DEFAULT_AGENTS, all_specs

from insideout_common.emotions import LABELS


def default_settings(base_url: str, model: str, style: str = "improved",
                     server_slots: int = 0) -> TurnSettings:
    """`server_slots`: the slots of a llama-server this benchmark started itself (0: a server
    given by URL, left to choose its own slots, as dialogue_node does with one it did not start)."""
    specs = all_specs(DEFAULT_AGENTS)
    value = {name: spec.default for name, spec in specs.items()}

    def endpoint(prefix):
        return EndpointConfig(base_url=base_url, model=model,
                              temperature=value[prefix + "temperature"],
                              max_tokens=value[prefix + "max_tokens"],
                              timeout=max(120.0, value[prefix + "timeout"]))

    agents = [AgentConfig(name=name, endpoint=endpoint(f"agents.{name}."),
                          prompt=value[f"agents.{name}.prompt"],
                          paper_word=value[f"agents.{name}.paper_word"])
              for name in DEFAULT_AGENTS]
    prompts = PromptSet(
        style=style, aggregator_prompt=value["prompts.aggregator"],
        weighted_aggregator_prompt=value["prompts.weighted_aggregator"],
        paper_agent_template=value["prompts.paper.agent_template"],
        paper_aggregator_template=value["prompts.paper.aggregator_template"],
        paper_emotion_clause=value["prompts.paper.emotion_clause"])
    mapping = {label: parse_mapping_row(value[f"emotion_to_agent.{label}"]) for label in LABELS}
    settings = TurnSettings(agents=agents, aggregator=endpoint("aggregator."), prompts=prompts,
                        strategy=value["aggregation.strategy"], emotion_to_agent=mapping,
                        fallback_reply=value["reply.fallback"],
                        agents_deadline=value["agents.deadline"],
                        agents_max_sentences=value["agents.max_sentences"],
                        agents_max_words=value["agents.max_words"],
                        aggregator_prefill=value["aggregator.prefill"],
                        first_clause_min_words=value["reply.first_clause_min_words"],
                        first_clause_phrase_breaks=value["reply.first_clause_phrase_breaks"],
                        reply_min_words=value["reply.min_words"])
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
            settings, prompts=prompts, aggregator=unpin(settings.aggregator),
            agents=[dataclasses.replace(a, endpoint=unpin(a.endpoint)) for a in settings.agents])
    return dataclasses.replace(settings, prompts=prompts)
