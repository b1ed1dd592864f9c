"""Support measures: the catalogue with eligibility rules and the eligibility engine."""

from .catalogue import Catalogue, CatalogueError, load_catalogue, parse_catalogue
from .eligibility import eligible_measures
from .models import EligibleMeasure, Measure, Rule

__all__ = [
    "Catalogue",
    "CatalogueError",
    "EligibleMeasure",
    "Measure",
    "Rule",
    "eligible_measures",
    "load_catalogue",
    "parse_catalogue",
]
