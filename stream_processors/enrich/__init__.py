"""Pure enrichment: tool catalog, derived fields and value provenance."""

from tooltrail.stream_processors.enrich.catalog import (
    CATALOG_LABELS,
    CATEGORIES,
    Catalog,
    CatalogEntry,
    default_catalog,
    load_catalog,
    merge_catalogs,
)
from tooltrail.stream_processors.enrich.enricher import DERIVED_LABELS, Enricher

__all__ = [
    "CATALOG_LABELS",
    "CATEGORIES",
    "DERIVED_LABELS",
    "Catalog",
    "CatalogEntry",
    "Enricher",
    "default_catalog",
    "load_catalog",
    "merge_catalogs",
]
