"""Moved to :mod:`storycast.ledger.urls`; these names stay until ``storycast db`` imports them from there."""

from __future__ import annotations

from ...ledger.urls import PgUrls, pg_urls, project_pg_urls

__all__ = ["PgUrls", "pg_urls", "project_pg_urls"]
