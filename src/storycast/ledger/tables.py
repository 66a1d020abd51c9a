"""The ledger tables as typed SQLAlchemy ``Table`` objects, for Core statements."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from .models import Attempt, ChannelBucket, Event, Meta, Publication

publication = cast(Table, Publication.__table__)
attempt = cast(Table, Attempt.__table__)
event = cast(Table, Event.__table__)
meta = cast(Table, Meta.__table__)
channel_bucket = cast(Table, ChannelBucket.__table__)
