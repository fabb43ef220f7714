"""Practice Review analysis suite: audit ratings to tables, statistics, charts and findings."""

__version__ = "0.1.0"
