"""``storycast serve``: the local feed viewer, the authoring preview and the endpoints.

Importing this package loads nothing (Starlette loads with :mod:`storycast.web.app`)::

    from storycast.web.app import create_app
    app = create_app(project)            # a Starlette app; run it with uvicorn
"""
