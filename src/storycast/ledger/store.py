"""The Ledger: every read and write of publication rows, claims, the attempt log and engagement.

One class made of parts, one per job: :class:`~.planning.Planning` (inserting, correcting and
cancelling planned rows; queries), :class:`~.claims.Claims` (sweep and atomic claims),
:class:`~.sending.Sending` (the compare-and-set send protocol), :class:`~.engagement.Engagement`
(insights, votes, replies), :class:`~.approvals.Approvals` (who approved which frames),
:class:`~.visits.Visits` (knowledge-base visits and helpful votes), over
:class:`~.base.LedgerBase` (connection, retries, transactions). Only ``storycast.ledger``
builds SQL on the ledger's tables; everyone else calls these named methods.
"""

from __future__ import annotations

from .approvals import Approvals
from .base import LedgerBase
from .claims import CLAIM_LEASE, Claims
from .engagement import Engagement
from .planning import Planning
from .rows import WAITING, ChannelLimits, Row, RowFilter, Unit, actor, aware, naive, oversized
from .sending import BACKOFF, SEND_LEASE, Sending
from .visits import Visits


class Ledger(Planning, Claims, Sending, Engagement, Approvals, Visits, LedgerBase):
    """The publication ledger over one database URL."""


__all__ = [
    "BACKOFF",
    "CLAIM_LEASE",
    "SEND_LEASE",
    "WAITING",
    "ChannelLimits",
    "Ledger",
    "Row",
    "RowFilter",
    "Unit",
    "actor",
    "aware",
    "naive",
    "oversized",
]
