"""Rendering: stories -> Jinja templates -> frame specs -> Pillow frames, manifests and videos.

The public API is :mod:`storycast.render.pipeline` (importing this package loads nothing)::

    from storycast.render.pipeline import render_story, render_many, render_frame

    result = render_story(project, "reset-router", "th")          # build/reset-router/th/...
    results = render_many(project, ["reset-router"], None, jobs=2) # every language of the story
    frame = render_frame(project, "poll/poll.j2", "es", {"poll": {...}}, out=Path("poll.png"))

``RenderResult`` lists the frames written (``frames``: manifest records with file, sha256, kind,
alt text and the text as laid out), how many were drawn or taken from the cache, the manifest and
contact-sheet paths and any warnings. Errors are ``TemplateError``/``RenderError`` naming the file,
line and fix. See docs/templates.md.
"""
