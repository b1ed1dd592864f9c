"""Durations as fixed-bucket histograms, so percentiles need no stored samples.

Bucket 0 holds durations up to one minute; bucket k > 0 holds (60·1.25^(k-1), 60·1.25^k]
seconds; the last bucket holds everything above ~60 days. A quantile is reported as the
geometric middle of the bucket that holds the exact (nearest-rank) quantile, so it is off by
at most 12 % of the value (at most 30 s below one minute).
"""

import math
from collections.abc import Mapping

FIRST_BOUND_S = 60.0
RATIO = 1.25
BUCKETS = 53
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    """The bucket a duration falls in (negative durations count as zero)."""
    if seconds <= FIRST_BOUND_S:
        return 0
    k = math.ceil(math.log(seconds / FIRST_BOUND_S) / _LOG_RATIO - 1e-9)
    return min(max(k, 1), BUCKETS - 1)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """Lower and upper bound of a bucket, in seconds."""
    if bucket == 0:
        return 0.0, FIRST_BOUND_S
    return FIRST_BOUND_S * RATIO ** (bucket - 1), FIRST_BOUND_S * RATIO**bucket


def bucket_value(bucket: int) -> float:
    """The value reported for a bucket: its geometric middle (30 s for the first)."""
    if bucket == 0:
        return FIRST_BOUND_S / 2
    low, high = bucket_bounds(bucket)
    return math.sqrt(low * high)


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of a histogram, in seconds; None if empty."""
    total = sum(n for n in histogram.values() if n > 0)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += max(histogram[bucket], 0)
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(histogram))
