"""The translation workflow: PO and XLIFF files out, translations back into the YAML, stale
translations found (docs/translation.md).

- :mod:`.units`: every translatable text of the project (stories, polls, Q&A events, any content
  kind that follows the ``{lang: text}`` convention, and the interface-string catalogue), each
  with its key (``reset-router:steps.2.title``), source text and current translation.
- :mod:`.lock`: ``translations.lock``, the fingerprint of the source text each translation was
  made from; :func:`.units.collect` marks a translation stale when its source changed since.
- :mod:`.budget`: the character budget of each text, from the frame layout it is drawn in.
- :mod:`.po`, :mod:`.xliff`: the two file formats, written and read.
- :mod:`.yamledit`: writes translations into the YAML files by editing only the values that
  change, so comments, key order, quoting and everything else stay byte for byte.
- :mod:`.workflow`: export, import, status and lock, what ``storycast i18n`` runs.

Pseudo-locales (``en-XA``, ``ar-XB``) live in :mod:`storycast.content.pseudo`: the renderer
needs them, and it sits below this package.
"""
