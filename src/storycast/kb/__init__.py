"""The knowledge base: a static, multilingual help centre built from the stories and their frames.

Public API::

    from storycast.kb import build_site
    result = build_site(project, out=Path("site"))   # -> KbResult

``storycast kb build`` and ``storycast kb serve`` are the CLI faces (``cli/kb.py``).
"""

from __future__ import annotations

from .site import KbResult, build_site, default_out

__all__ = ["KbResult", "build_site", "default_out"]
