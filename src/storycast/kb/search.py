"""A small, offline full-text index for the knowledge base, built at site-build time.

Why our own index rather than Pagefind: it needs no binary download, and Thai (written without
spaces between words) is segmented here with PyThaiNLP's dictionary tokenizer, so a Thai word
typed into the search box matches whole words of the tutorial. The browser side
(``static/search.js``) segments the query with ``Intl.Segmenter`` and also matches word
prefixes, so partial Hindi or Spanish words work too.

Text is folded before it is split into words (``fold.py``: Arabic diacritics and letter forms,
Serbian Cyrillic and Latin, the Devanagari nukta); the index carries the folding table and the
browser folds the query with it, so both sides fold alike.

One index per language: ``search/<lang>.json`` holds the documents (url, title, summary,
category), the folding table (``fold``) and an inverted index from term to
``[[doc, weight], ...]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .fold import fold, fold_table

_THAI = re.compile(r"[\u0E00-\u0E7F]")
INDEX_VERSION = 2

# Title words count more than body words, so the tutorial named after a word ranks first.
WEIGHTS = {"title": 8, "summary": 3, "step_title": 3, "text": 1, "tags": 4, "category": 2}


@dataclass(frozen=True)
class SearchDoc:
    """One searchable tutorial page."""

    url: str
    title: str
    summary: str
    category: str
    fields: dict[str, str]  # field name (see WEIGHTS) -> text


def normalize(text: str) -> str:
    """Text as the search compares it (``fold.fold``): typed and stored forms of a word meet."""
    return fold(text)


def _runs(text: str) -> list[str]:
    """Runs of letters, marks (Devanagari and Thai vowel signs are marks) and digits: the
    browser's ``/[\\p{L}\\p{M}\\p{N}]+/u``."""
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


@lru_cache(maxsize=1)
def _thai_tokenizer() -> Any:
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


def tokenize(text: str, lang: str = "") -> list[str]:
    """Words of ``text``: Thai runs segmented by dictionary, everything else split on non-letters."""
    out: list[str] = []
    for run in _runs(normalize(text)):
        if _THAI.search(run):
            seg = _thai_tokenizer()
            out.extend(w for t in seg(run, engine="newmm") for w in _runs(t))
        else:
            out.append(run)
    return out


def doc_terms(doc: SearchDoc, lang: str) -> dict[str, int]:
    """Every word of ``doc`` with its weight (the sum over the fields it appears in)."""
    out: dict[str, int] = {}
    for name, text in doc.fields.items():
        weight = WEIGHTS.get(name, 1)
        for term in tokenize(text, lang):
            out[term] = out.get(term, 0) + weight
    return out


def index_key(doc: SearchDoc, lang: str) -> str:
    """What ``doc_terms`` depends on, hashed: the words of an unchanged text can be kept."""
    from ..versions import version_of
    from .state import code_stamp, digest

    return digest(
        [
            INDEX_VERSION,
            lang,
            doc.fields,
            WEIGHTS,
            code_stamp("kb/search.py", "kb/fold.py"),
            version_of("pythainlp"),
        ]
    )


def build_index(
    docs: Iterable[SearchDoc], lang: str, words: Sequence[dict[str, int]] | None = None
) -> dict[str, Any]:
    """The JSON-ready index of ``docs`` (all in one language); ``words``: each doc's
    ``doc_terms``, when already known."""
    doc_list: list[dict[str, str]] = []
    terms: dict[str, dict[int, int]] = defaultdict(dict)
    for i, doc in enumerate(docs):
        doc_list.append(
            {"url": doc.url, "title": doc.title, "summary": doc.summary, "category": doc.category}
        )
        for term, weight in (words[i] if words is not None else doc_terms(doc, lang)).items():
            terms[term][i] = weight
    return {
        "version": INDEX_VERSION,
        "lang": lang,
        "fold": fold_table(),
        "docs": doc_list,
        "terms": {t: sorted(hits.items()) for t, hits in sorted(terms.items())},
    }


def search(index: dict[str, Any], query: str, limit: int = 20) -> list[dict[str, str]]:
    """Python twin of the browser search (used by tests and ``kb`` tooling): AND over query words,
    each word matching an indexed term exactly or as a prefix (prefixes score half)."""
    words = tokenize(query, index.get("lang", ""))
    if not words:
        return []
    terms: dict[str, list[list[int]]] = index["terms"]
    scores: dict[int, float] | None = None
    for word in words:
        hits: dict[int, float] = {}
        for term, postings in terms.items():
            if term == word:
                factor = 1.0
            elif term.startswith(word):
                factor = 0.5
            else:
                continue
            for doc, weight in postings:
                hits[doc] = hits.get(doc, 0.0) + weight * factor
        scores = hits if scores is None else {d: s + hits[d] for d, s in scores.items() if d in hits}
    ranked = sorted((scores or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return [index["docs"][d] for d, _ in ranked[:limit]]
