"""How a turn makes one reply from the emotion agents: `aggregation.strategy`.

One interface (base.AggregationStrategy) and one class per strategy; `strategy_for` is the only
place a strategy's name is mapped to its class.

- llm: the paper's: an aggregator LLM call given the answers and the user's current emotion.
- weighted_llm: the same, plus each answer's weight from the user's emotion.
- select: no extra call: the answer of the top-weighted agent that answered.
- leading_voice: the top-weighted agent speaks first, the aggregator continues from its words.
"""

from .base import AggregationStrategy, PanelStrategy
from .leading_voice import LeadingVoiceAggregation
from .llm import LlmAggregation
from .select import SelectAggregation
from .weighted_llm import WeightedLlmAggregation

# The strategies are stateless: one of each serves every turn.
_BY_NAME: dict[str, AggregationStrategy] = {
    "llm": LlmAggregation(),
    "weighted_llm": WeightedLlmAggregation(),
    "select": SelectAggregation(),
    "leading_voice": LeadingVoiceAggregation(),
}
STRATEGIES = tuple(_BY_NAME)


def strategy_for(name: str) -> AggregationStrategy:
    """The strategy `aggregation.strategy` names; ValueError for an unknown name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown aggregation strategy {name!r}; one of {STRATEGIES}") from None


__all__ = [
    "STRATEGIES",
    "AggregationStrategy",
    "LeadingVoiceAggregation",
    "LlmAggregation",
    "PanelStrategy",
    "SelectAggregation",
    "WeightedLlmAggregation",
    "strategy_for",
]
