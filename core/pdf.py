"""PDF rendering with WeasyPrint behind an allow-list URL fetcher.

Report templates interpolate user-entered text (findings, observations). Escaping keeps
that text from becoming markup, but the fetcher is the second wall: whatever ends up in
the HTML, rendering can read only our own static files and inline ``data:`` URIs. No
network (no SSRF from a report), no ``file://`` outside the static directories (no
``/etc/passwd`` or evidence files of another program leaking into a PDF).

Usage::

    from core.pdf import render_pdf
    pdf_bytes = render_pdf("audits/report_pdf.html", {"audit": audit})

In templates, reference assets with ``{% static 'css/pdf.css' %}``: with the default
base URL (``file:///``) that resolves to ``file:///static/css/pdf.css``, which the
fetcher maps through the staticfiles finders.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

__all__ = ["PDFResourceRefused", "StaticOnlyURLFetcher", "render_pdf", "static_roots"]


class PDFResourceRefused(ValueError):
    """A document asked for a resource outside the allow-list (network, foreign file)."""


def static_roots() -> list[Path]:
    """Every directory a static file may legitimately come from (resolved, absolute)."""
    roots: list[Path] = []
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        path = entry[1] if isinstance(entry, (tuple, list)) else entry
        roots.append(Path(path))
    static_root = getattr(settings, "STATIC_ROOT", None)
    if static_root:
        roots.append(Path(static_root))
    for finder in finders.get_finders():
        # AppDirectoriesFinder keeps one storage per app with a "static" directory.
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location))
    seen: list[Path] = []
    for root in roots:
        resolved = root.resolve()
        if resolved not in seen:
            seen.append(resolved)
    return seen


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _weasyprint_fetcher_base():
    from weasyprint.urls import URLFetcher

    return URLFetcher


def _build_fetcher_class():
    base = _weasyprint_fetcher_base()

    class _StaticOnlyURLFetcher(base):
        """WeasyPrint 70 fetcher serving only static files and ``data:`` URIs.

        WeasyPrint 70 takes an ``URLFetcher`` instance (not a bare function as in
        older versions); ``weasyprint.urls.fetch`` also reads ``_fail_on_errors`` on
        it, so we subclass rather than duck-type.
        """

        def __init__(self, *, fail_on_errors: bool = True):
            super().__init__(
                timeout=1,
                allowed_protocols=("data",),
                allow_redirects=False,
                fail_on_errors=fail_on_errors,
            )
            self._roots = static_roots()
            self._static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"

        def fetch(self, url, headers=None):
            from weasyprint.urls import URLFetcherResponse

            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                # urllib's DataHandler decodes it; allowed_protocols keeps it to data.
                return super().fetch(url, headers)
            if scheme != "file":
                raise PDFResourceRefused(
                    f"PDF rendering refuses {scheme or 'relative'} resource {url!r}: "
                    "only static files and data: URIs are allowed"
                )
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise PDFResourceRefused(f"PDF rendering refuses remote file URL {url!r}")
            raw_path = unquote(parts.path)
            path = self._resolve(raw_path)
            if path is None:
                raise PDFResourceRefused(
                    f"PDF rendering refuses {url!r}: not a file in the static directories"
                )
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), path.read_bytes(), {"Content-Type": content_type}
            )

        def _resolve(self, raw_path: str) -> Path | None:
            # "/static/css/pdf.css" (from {% static %} against base file:///): look it up
            # through the finders, which only ever answer with files in static dirs.
            if raw_path.startswith(self._static_prefix):
                relative = raw_path[len(self._static_prefix) :]
                if ".." in Path(relative).parts:
                    return None
                found = finders.find(relative)
                if found:
                    candidate = Path(found).resolve()
                    if _within(candidate, self._roots) and candidate.is_file():
                        return candidate
                # Under the manifest storage (production) {% static %} gives the hashed
                # name (pdf.<hash>.css), which exists only in STATIC_ROOT.
                if getattr(settings, "STATIC_ROOT", None):
                    candidate = (Path(settings.STATIC_ROOT) / relative).resolve()
                    if _within(candidate, self._roots) and candidate.is_file():
                        return candidate
            # An absolute path is accepted only if it really lies inside a static
            # directory after resolving symlinks and "..".
            candidate = Path(os.path.realpath(raw_path))
            if _within(candidate, self._roots) and candidate.is_file():
                return candidate
            return None

    return _StaticOnlyURLFetcher


_fetcher_class = None


def StaticOnlyURLFetcher(*, fail_on_errors: bool = True):  # noqa: N802 (class-like factory)
    """Return an allow-list fetcher instance (class built lazily: WeasyPrint is heavy)."""
    global _fetcher_class
    if _fetcher_class is None:
        _fetcher_class = _build_fetcher_class()
    return _fetcher_class(fail_on_errors=fail_on_errors)


def render_pdf(
    template_name: str,
    context: dict,
    *,
    base_url: str | None = None,
    strict: bool = True,
) -> bytes:
    """Render a Django template to PDF bytes.

    ``strict`` (default) turns a refused or missing resource into ``PDFResourceRefused``,
    so a template that points outside the allow-list fails loudly instead of silently
    dropping an image. WeasyPrint raises a ``BaseException`` for it
    (``FatalURLFetchingError``), which would slip past callers' ``except Exception``
    and leave a report stuck "rendering"; it is re-raised here as the ordinary error.
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    html = render_to_string(template_name, context)
    document = weasyprint.HTML(
        string=html,
        base_url=base_url or "file:///",
        url_fetcher=StaticOnlyURLFetcher(fail_on_errors=strict),
    )
    try:
        return document.write_pdf()
    except FatalURLFetchingError as exc:
        cause = exc.__cause__
        if isinstance(cause, PDFResourceRefused):
            raise PDFResourceRefused(str(cause)) from exc
        raise PDFResourceRefused(f"a resource could not be loaded: {exc}") from exc
