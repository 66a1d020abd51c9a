"""Content: stories (tutorials), and the registry other content kinds plug into."""

from .models import ContentSet, Localized, Step, Story

__all__ = ["ContentSet", "Localized", "Step", "Story"]
