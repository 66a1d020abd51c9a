"""``sitemap.xml`` with ``xhtml:link`` alternates, so search engines pair a page's translations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape, quoteattr

Entry = tuple[str, date | None, list[tuple[str, str]]]  # url, last modified, [(lang, url)]


def sitemap_xml(entries: Iterable[Entry], base_url: str) -> str:
    """The sitemap document; URLs are ``base_url`` + the site-relative path."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for url, modified, alternates in entries:
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(base_url + url)}</loc>")
        if modified is not None:
            lines.append(f"    <lastmod>{modified.isoformat()}</lastmod>")
        for lang, alt in alternates:
            href = quoteattr(base_url + alt)
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={href}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"
