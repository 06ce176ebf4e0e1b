"""The aggregation strategies' names, for nodes/dialogue_parameters.py's choices.

The strategies themselves are in core/aggregation_strategies/ (one class per strategy, the names
mapped in its strategy_for); this module only re-exports STRATEGIES until that import moves.
"""

from insideout_dialogue.core.aggregation_strategies import STRATEGIES

__all__ = ["STRATEGIES"]
