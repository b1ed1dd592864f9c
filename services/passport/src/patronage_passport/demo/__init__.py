"""Demo data: realistic families of a region for the passport service.

``generate_families`` builds valid passports; ``load.load_families`` (needs ``httpx``) posts them.
"""

from .generator import generate_families
from .region import LIPETSK_OBLAST, Curator, District, Locality, Region, curators

__all__ = [
    "LIPETSK_OBLAST",
    "Curator",
    "District",
    "Locality",
    "Region",
    "curators",
    "generate_families",
]
