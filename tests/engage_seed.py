"""A ledger seeded with known engagement data, for report tests and the report screenshot.

``python -m tests.engage_seed PROJECT_DIR`` seeds the project's ledger (used to look at the
HTML report by hand); tests call :func:`seed` and compare the report with :data:`EXPECTED`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

import storycast.engage  # noqa: F401 - registers the qa/poll kinds
from storycast.engage.insights import record_view
from storycast.engage.polls import record_vote
from storycast.ledger import open_ledger
from storycast.ledger.models import publication
from storycast.ledger.store import Ledger
from storycast.project import Project

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday

# reset-router (7 frames: cover, 5 steps, end) in es over two weeks on Instagram: reach per frame.
REACH_ES = [[400, 360, 330, 210, 200, 190, 180], [600, 540, 500, 330, 310, 300, 290]]
REACH_EN = [[120, 110, 100, 95, 60, 55, 50]]
EXPECTED: dict[str, Any] = {
    "reset-router/es": {
        "reach": 1000,
        "reach_by_frame": [1000, 900, 830, 540, 510, 490, 470],
        "completion": 47.0,
        "drop_off": {"from_frame": 3, "to_frame": 4},  # 830 -> 540 loses 290
        "replies": 3,
        "first_response_s": 600,  # waits 5, 10 and 20 minutes: median 10
        "published": 14,
        "failed": 0,
    },
    "reset-router/en": {
        "reach": 120,
        "completion": 41.7,
        "drop_off": {"from_frame": 4, "to_frame": 5},
        "published": 7,
        "failed": 7,  # the second week failed on every frame
    },
    "csat": [("2026-W45", 75.0, 4), ("2026-W46", 40.0, 5)],
    "poll_total": 9,
}


def _units(ref: str, lang: str, occ: str, channel: str, frames: int, due: datetime) -> list[dict[str, Any]]:
    return [
        {
            "entry_key": f"seed/{ref}",
            "occurrence_key": occ,
            "channel": channel,
            "lang": lang,
            "frame": f,
            "frame_total": frames,
            "kind": "story",
            "ref": ref,
            "label": ref,
            "source": "seed",
            "due_utc": due,
            "deadline_utc": due + timedelta(minutes=30),
        }
        for f in range(1, frames + 1)
    ]


def _set(ledger: Ledger, lang: str, occ: str, **values: Any) -> None:
    def run(c: Any) -> None:
        c.execute(
            update(publication)
            .where(publication.c.lang == lang, publication.c.occurrence_key == occ)
            .values(**values)
        )

    ledger._write(run)


def _publish(ledger: Ledger, lang: str, occ: str, frame: int, remote: str, at: datetime) -> None:
    def run(c: Any) -> None:
        c.execute(
            update(publication)
            .where(
                publication.c.lang == lang, publication.c.occurrence_key == occ, publication.c.frame == frame
            )
            .values(state="published", remote_id=remote, published_utc=at.replace(tzinfo=None))
        )

    ledger._write(run)


def seed(project: Project, ledger: Ledger | None = None) -> None:
    """Write the known data set into the project's ledger."""
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        for week, reach in enumerate(REACH_ES):
            due = T0 + timedelta(days=7 * week)
            occ = f"{due:%Y-%m-%dT%H:%M}"
            led.insert_units(_units("reset-router", "es", occ, "instagram", 7, due), due)
            for frame, r in enumerate(reach, start=1):
                remote = f"ig-es-{week}-{frame}"
                _publish(led, "es", occ, frame, remote, due)
                # Week 0 got its final numbers from the webhook; week 1 only from the T+23h pull.
                source = "webhook" if week == 0 else "pull"
                post = None

                post = led.find_post("instagram", remote)
                led.upsert_insight(
                    channel="instagram",
                    remote_id=remote,
                    source=source,
                    now=due + timedelta(hours=23),
                    metrics={"reach": r, "replies": 0, "exits": 3},
                    post=post,
                )
                if week == 0:  # a stale pull that the webhook's final numbers override
                    led.upsert_insight(
                        channel="instagram",
                        remote_id=remote,
                        source="pull",
                        now=due + timedelta(hours=20),
                        metrics={"reach": r - 7},
                        post=post,
                    )
        for week in range(2):
            due = T0 + timedelta(days=7 * week, hours=1)
            occ = f"{due:%Y-%m-%dT%H:%M}"
            led.insert_units(_units("reset-router", "en", occ, "local", 7, due), due)
            if week == 0:
                for frame, r in enumerate(REACH_EN[0], start=1):
                    remote = f"local:en-{frame}"
                    _publish(led, "en", occ, frame, remote, due)
                    for v in range(r):
                        record_view(
                            project, "local", remote, f"viewer-{v}", due + timedelta(minutes=5), ledger=led
                        )
            else:
                _set(led, "en", occ, state="failed", reason="seeded failure")
        # Replies to the Spanish cover of week 0 and the agent's answers (5, 10, 20 minutes later).

        cover = led.find_post("instagram", "ig-es-0-1")
        base = T0 + timedelta(hours=2)
        for i, (thread, wait) in enumerate((("cust-a", 5), ("cust-b", 10), ("cust-c", 20))):
            at = base + timedelta(minutes=i)
            led.put_reply(
                channel="instagram",
                message_id=f"m-{i}",
                kind="reply",
                thread=thread,
                at=at,
                text="¿y si la luz parpadea?",
                story_remote_id="ig-es-0-1",
                post=cover,
            )
            led.put_reply(
                channel="instagram",
                message_id=f"a-{i}",
                kind="agent",
                thread=thread,
                at=at + timedelta(minutes=wait),
                text="Te ayudamos por privado",
            )
        # CSAT: week 45 answers 5,4,4,2 (75 %), week 46 answers 5,3,2,1,4 (40 %).
        votes = [(T0 + timedelta(days=3), o) for o in (5, 4, 4, 2)] + [
            (T0 + timedelta(days=10), o) for o in (5, 3, 2, 1, 4)
        ]
        for i, (at, option) in enumerate(votes):
            record_vote(project, "csat-weekly", option, "local", f"voter-{i}", now=at, ledger=led)
    finally:
        if own:
            led.close()


if __name__ == "__main__":
    seed(Project.load(Path(sys.argv[1])))
