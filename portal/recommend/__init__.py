"""Job recommendations: the incremental CF engine and its offline evaluation (no I/O here)."""

from portal.recommend.engine import (
    MODES,
    Mode,
    Reason,
    Recommendation,
    Recommender,
    RecommenderConfig,
    Source,
)

__all__ = [
    "MODES",
    "Mode",
    "Reason",
    "Recommendation",
    "Recommender",
    "RecommenderConfig",
    "Source",
]
