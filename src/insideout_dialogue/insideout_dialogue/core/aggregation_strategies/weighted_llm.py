"""Aggregation strategy `weighted_llm`: as `llm`, with each answer's weight from the user's
emotion (the thoughts ordered by weight, the best last; the aggregator is told the last fit the
person's mood best)."""

from insideout_dialogue.core.aggregation_strategies.llm import LlmAggregation


class WeightedLlmAggregation(LlmAggregation):
    weighted_prompt = True
