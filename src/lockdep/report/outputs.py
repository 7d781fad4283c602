"""The report options every checking command shares (``--style``, ``--sarif``,
``--html``): declared once, checked before any work, written after it."""

from __future__ import annotations

import argparse

from ..engine.findings import Finding
from ..files import check_writable, write_text

STYLE_HELP = ("text layout for Python findings: 'python' (default) or 'kernel' (the kernel's layout; also "
              "LOCKDEP_STYLE); findings from kernel traces always keep the kernel's layout")
SARIF_HELP = "also write the findings as SARIF 2.1.0 to PATH (GitHub code scanning)"
HTML_HELP = "also write the findings as one self-contained HTML page to PATH"


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", choices=("python", "kernel"), default=None, help=STYLE_HELP)
    p.add_argument("--sarif", metavar="PATH", help=SARIF_HELP)
    p.add_argument("--html", metavar="PATH", help=HTML_HELP)


def check(*paths: str | None) -> None:
    """Every output path can be written (InputError naming the first that cannot)."""
    for path in paths:
        check_writable(path)


def write(findings: list[Finding], stats: dict, *, sarif: str | None = None, html: str | None = None,
          style: str | None = None, source: str | None = None, title: str | None = None) -> None:
    """The SARIF and HTML files (InputError naming the path if one cannot be written)."""
    if sarif:
        from .sarif import dumps

        write_text(sarif, dumps(findings, source=source))
    if html:
        from .html import page

        write_text(html, page(findings, stats, style=style, title=title))
