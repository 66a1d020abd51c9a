"""Which claimed rows go out together as one album.

A channel that sends albums (``Channel.album_size() > 1``, Telegram with ``album = true``)
takes consecutive frames of one story group (entry, occurrence, channel, language) as one
post. The ledger claims an album's frames together (``ChannelLimits.album``); this module cuts
the claimed rows, in claim order, into the groups :class:`~storycast.engine.publisher.Publisher`
sends: albums of at most the channel's size, in frame order, and every other row alone. A
story of 12 frames goes as 10 + 2; a single frame left over goes as a single post.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..ledger.rows import Row


def _same_album(a: Row, b: Row) -> bool:
    group = (a.entry_key, a.occurrence_key, a.channel, a.lang)
    return group == (b.entry_key, b.occurrence_key, b.channel, b.lang) and b.frame == a.frame + 1


def group_albums(rows: Sequence[Row], album_size: Callable[[str], int]) -> list[list[Row]]:
    """``rows`` (in claim order) cut into albums and single rows; ``album_size(channel)`` says
    how many frames a channel sends as one post (1: none). Order is kept."""
    groups: list[list[Row]] = []
    sizes: dict[str, int] = {}
    for row in rows:
        size = sizes.setdefault(row.channel, album_size(row.channel))
        last = groups[-1] if groups else None
        if last is not None and size > 1 and len(last) < size and _same_album(last[-1], row):
            last.append(row)
        else:
            groups.append([row])
    return groups
