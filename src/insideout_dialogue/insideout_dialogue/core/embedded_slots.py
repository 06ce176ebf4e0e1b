"""Give every agent and the aggregator its own slot of the embedded llama-server (and the agents
its ignore_eos, see EndpointConfig).

llama-server otherwise picks the idle slot whose cached prompt matches best, which mostly keeps
each agent on its own slot but not always; pinned, every persona's system prompt stays cached in
its slot, and the aggregator's slot can be filled ahead of time (aggregator_prefill).
"""

import dataclasses

from insideout_dialogue.core.dialogue_turn import TurnSettings


def pin_embedded_slots(settings: TurnSettings, local_base_url: str, slots: int) -> TurnSettings:
    """Settings whose endpoints at `local_base_url` each have a slot: agents 0, 1, ... in order,
    the aggregator the next. Unchanged when the server has too few slots for that."""
    local = local_base_url.rstrip("/")
    on_local = [a for a in settings.agents if a.endpoint.base_url.rstrip("/") == local]
    aggregator_local = settings.aggregator.base_url.rstrip("/") == local
    if len(on_local) + int(aggregator_local) > slots:
        return settings
    numbered = {id(agent): index for index, agent in enumerate(on_local)}
    # Agents the sentence budget stops write on past an early end of text (EndpointConfig).
    budgeted = settings.agents_max_sentences > 0
    agents = [
        dataclasses.replace(
            a,
            endpoint=dataclasses.replace(
                a.endpoint, server_slot=numbered[id(a)], ignore_eos=budgeted
            ),
        )
        if id(a) in numbered
        else a
        for a in settings.agents
    ]
    aggregator = settings.aggregator
    if aggregator_local:
        aggregator = dataclasses.replace(aggregator, server_slot=len(on_local))
    return dataclasses.replace(settings, agents=agents, aggregator=aggregator)
