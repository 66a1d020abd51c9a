"""Instagram: publishing stories (``channel.py``), reading their insights (``insights.py``) and
taking Meta's webhook deliveries (``inbound.py``)."""

from .channel import HOSTS, PERMISSIONS, STORY_TTL, InstagramChannel, RefreshResult

__all__ = ["HOSTS", "PERMISSIONS", "STORY_TTL", "InstagramChannel", "RefreshResult"]
