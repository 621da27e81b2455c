"""The documentation builds without a warning, and links only within the repository.

``mkdocs build --strict`` turns every warning (a broken link or anchor, an unresolved
cross-reference, a docstring mkdocstrings cannot parse) into a failure; mkdocs.yml's
``validation`` section makes every kind of link problem a warning.
"""

import html.parser
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Markdown link targets: inline [text](target "title"), images ![alt](target), reference
# definitions "[id]: target", autolinks <scheme:...>, and raw HTML href/src attributes.
_INLINE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")
_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>")
_HTML_ATTRIBUTE = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""")
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_WEB_SCHEMES = ("http", "https", "mailto")


def _pages():
    return sorted(DOCS.rglob("*.md"))


def _link_targets(text):
    """Every link target in a Markdown page, code blocks and code spans left out."""
    text = _INLINE_CODE.sub("", _FENCE.sub("", text))
    for pattern in (_INLINE, _DEFINITION, _AUTOLINK, _HTML_ATTRIBUTE):
        yield from pattern.findall(text)


def _outside_problem(target, base, root, site_root=False):
    """Why ``target`` (a link found in a file of folder ``base``) leaves ``root``, or None.

    With ``site_root``, an absolute path is read from ``root`` (a built site's 404 page
    links that way); otherwise it is refused.
    """
    parts = urlsplit(target)
    if parts.scheme:
        if parts.scheme.lower() in _WEB_SCHEMES:
            return None
        return f"uses the scheme {parts.scheme!r}"
    if parts.netloc:
        return "is a network path"
    path = unquote(parts.path)
    if not path:
        return None  # an anchor on the same page
    if re.match(r"^[A-Za-z]:[\\/]", path) or (path.startswith(("/", "\\")) and not site_root):
        return "is an absolute path"
    resolved = (root / path.lstrip("/") if path.startswith("/") else base / path).resolve()
    if resolved != root and root not in resolved.parents:
        return f"points outside the repository ({resolved})"
    return None


def test_docs_pages_link_only_to_files_in_the_repository():
    pages = _pages()
    assert pages, f"no documentation pages under {DOCS}"
    problems = []
    for page in pages:
        for target in _link_targets(page.read_text(encoding="utf-8")):
            problem = _outside_problem(target, page.parent, ROOT)
            if problem:
                problems.append(f"{page.relative_to(ROOT)}: {target!r} {problem}")
    assert not problems, "links to files outside the repository:\n" + "\n".join(problems)


def test_the_link_check_catches_links_out_of_the_repository():
    text = ("[a](../../outside.md) [b](/etc/passwd) [c](file:///tmp/x.md) <file:///tmp/y>\n"
            "[d]: ../../notes.md\n<a href=\"../../../z.html\">e</a>\n"
            "[ok](training.md#fit) [web](https://keras.io/api/) `[code](../../x.md)`\n")
    flagged = [t for t in _link_targets(text) if _outside_problem(t, DOCS, ROOT)]
    assert flagged == ["../../outside.md", "/etc/passwd", "file:///tmp/x.md", "../../notes.md",
                       "file:///tmp/y", "../../../z.html"]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in ("href", "src") and value]


def test_docs_build_strict_without_warnings(tmp_path):
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings_handlers.python  # noqa: F401
    except ImportError as error:
        pytest.skip(f"the docs need MkDocs and mkdocstrings' Python handler "
                    f"(pip install -e '.[docs]'): {error}")
    site = tmp_path / "site"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{output}"
    assert "WARNING" not in output, output
    # The API reference was generated from the docstrings.
    models = (site / "reference" / "models" / "index.html").read_text(encoding="utf-8")
    for anchor in ("minikeras.models.Sequential", "minikeras.models.Sequential.fit",
                   "minikeras.models.load_model"):
        assert f'id="{anchor}"' in models, anchor
    # No built page (docstrings included) links out of the site but to the web.
    problems = []
    for page in site.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for target in parser.targets:
            problem = _outside_problem(target, page.parent, site, site_root=True)
            if problem:
                problems.append(f"{page.relative_to(site)}: {target!r} {problem}")
    assert not problems, "\n".join(problems)


_PUBLIC_MODULES = ["minikeras", "minikeras.layers", "minikeras.activations", "minikeras.losses",
                   "minikeras.metrics", "minikeras.optimizers", "minikeras.optimizers.schedules",
                   "minikeras.callbacks", "minikeras.initializers", "minikeras.regularizers",
                   "minikeras.models", "minikeras.saving", "minikeras.utils", "minikeras.ops",
                   "minikeras.wrappers", "minikeras.testing", "minikeras.variables"]


def _undocumented():
    """Public names (and public methods of public classes) with no docstring, neither
    their own nor the one of the method they override."""
    import importlib
    import inspect

    seen, missing = set(), []
    for module_name in _PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [  # ops re-exports autograd.numpy
            n for n in dir(module) if not n.startswith("_")
            and getattr(getattr(module, n), "__module__", "") == module_name]
        for name in names:
            obj = getattr(module, name)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            if not inspect.getdoc(obj):
                missing.append(f"{module_name}.{name}")
            if not inspect.isclass(obj):
                continue
            for attribute, member in vars(obj).items():
                if attribute.startswith("_") or not (
                        callable(member)
                        or isinstance(member, (property, classmethod, staticmethod))):
                    continue
                if not (inspect.getdoc(getattr(obj, attribute)) or member.__doc__):
                    missing.append(f"{module_name}.{name}.{attribute}")
    return missing


def test_every_public_name_and_method_has_a_docstring():
    assert _undocumented() == []


# Every public class and function that takes parameters documents them in a numpydoc
# "Parameters" section of its own: the class docstring or its own ``__init__``'s (one
# inherited from a base class does not count: it describes the base's parameters).
_PARAMETER_MODULES = ["minikeras", "minikeras.layers", "minikeras.activations",
                      "minikeras.losses", "minikeras.metrics", "minikeras.optimizers",
                      "minikeras.optimizers.schedules", "minikeras.callbacks",
                      "minikeras.initializers", "minikeras.regularizers", "minikeras.models",
                      "minikeras.saving", "minikeras.utils", "minikeras.wrappers",
                      "minikeras.testing", "minikeras.variables", "minikeras.config"]
_PARAMETERS_SECTION = re.compile(r"^[ \t]*Parameters[ \t]*\n[ \t]*-{3,}[ \t]*$", re.M)
_UNDOCUMENTED_NAMES = ("self", "args", "kwargs")


def _takes_parameters(obj):
    """True if ``obj``'s signature has a parameter other than self, args and kwargs."""
    import inspect

    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):  # no signature to read
        return False
    return any(name not in _UNDOCUMENTED_NAMES for name in parameters)


def _own_docstrings(obj):
    """The docstrings written for ``obj`` itself: a function's, or a class's and its own
    ``__init__``'s; never one inherited, as ``inspect.getdoc`` would give."""
    import inspect

    if not inspect.isclass(obj):
        return [obj.__doc__ or ""]
    init = vars(obj).get("__init__")
    return [vars(obj).get("__doc__") or "", getattr(init, "__doc__", None) or ""]


def _lacks_parameters_section(obj):
    return _takes_parameters(obj) and not any(
        _PARAMETERS_SECTION.search(doc) for doc in _own_docstrings(obj))


def _without_parameters_section():
    """The public classes and functions (``__all__`` of the modules above) that take
    parameters but have no "Parameters" section of their own."""
    import importlib
    import inspect

    seen, missing = set(), []
    for module_name in _PARAMETER_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            if _lacks_parameters_section(obj):
                missing.append(f"{module_name}.{name}")
    return missing


def test_every_public_class_and_function_documents_its_parameters():
    missing = _without_parameters_section()
    assert not missing, (
        "public classes and functions that take parameters but have no numpydoc "
        "'Parameters' section in their own docstring (or their own __init__'s):\n  "
        + "\n  ".join(missing))


def test_the_parameters_check_reads_only_each_objects_own_docstrings():
    class Documented:
        """A base.

        Parameters
        ----------
        x : int
            A number.
        """

        def __init__(self, x):
            self.x = x

    class Inheriting(Documented):
        """Takes ``x`` as its base does, but documents nothing itself."""

    class DocumentedInit(Documented):
        """A subclass."""

        def __init__(self, x, y):
            """Build it.

            Parameters
            ----------
            x, y : int
                Two numbers.
            """
            super().__init__(x)
            self.y = y

    def prose(a):
        """Parameters are mentioned, but in no section."""

    def no_parameters(*args, **kwargs):
        """Nothing to document."""

    flagged = [f.__name__ for f in (Documented, Inheriting, DocumentedInit, prose, no_parameters)
               if _lacks_parameters_section(f)]
    assert flagged == ["Inheriting", "prose"]
