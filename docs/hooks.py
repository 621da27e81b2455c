"""MkDocs hook: two touches to the HTML mkdocstrings renders from numpy docstrings.

A few docstrings cross-reference with Sphinx roles (``:class:`~minikeras.variables.Variable```,
``:meth:`call```), which mkdocstrings' numpy parser leaves as literal text
(":class:Variable"). This hook renders each as code, shortened after a ``~`` as Sphinx
does, and links a dotted target to its entry in the API reference when that entry exists
(an optional cross-reference: an undocumented target stays plain code, without a warning).

griffe reads a parameter type as a Python expression, so "array-like" and "path-like"
come out as ``array - like``; the hook joins them again.
"""

import html
import re

_LIKE = re.compile(r"\b(array|path|list|file|number|dict) - like\b")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|obj|exc):<code>(~?)([^<]+)</code>")


def _code(match):
    tilde, target = match.group(1), html.unescape(match.group(2)).strip()
    shown = html.escape(target.rsplit(".", 1)[-1] if tilde else target)
    if "." not in target:
        return f"<code>{shown}</code>"
    return f'<autoref identifier="{html.escape(target)}" optional><code>{shown}</code></autoref>'


def on_page_content(html_text, **kwargs):
    """Rewrite a page's HTML before autorefs resolves its cross-references."""
    return _ROLE.sub(_code, _LIKE.sub(r"\1-like", html_text))
