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
# "Parameters" section of its own that names each of them: the class docstring or its own
# ``__init__``'s (one inherited from a base class does not count: it describes the base's
# parameters). So does every public method of a public class, the methods it has from
# minikeras base classes included (``Trainer``'s ``fit`` for ``Sequential``, ``Layer``'s
# ``build`` for ``Dense``), with one exception, numpydoc's convention that an override
# inherits its base's documentation: a method overriding one of the same name in a base
# class needs no section if the nearest base definition with a "Parameters" section names
# all of the override's parameters (so the ``on_*`` hooks are documented once, in
# ``Callback``). Properties, static and class methods count as methods. ``self``, ``cls``,
# ``*args`` and ``**kwargs`` need no entry.
_PARAMETER_MODULES = ["minikeras", "minikeras.layers", "minikeras.activations",
                      "minikeras.losses", "minikeras.metrics", "minikeras.optimizers",
                      "minikeras.optimizers.schedules", "minikeras.callbacks",
                      "minikeras.initializers", "minikeras.regularizers", "minikeras.models",
                      "minikeras.saving", "minikeras.utils", "minikeras.wrappers",
                      "minikeras.testing", "minikeras.variables", "minikeras.config"]
_PARAMETERS_SECTION = re.compile(r"^[ \t]*Parameters[ \t]*\n[ \t]*-{3,}[ \t]*$", re.M)
_SECTION_HEADER = re.compile(r"^[ \t]*[A-Z][A-Za-z ]*\n[ \t]*-{3,}[ \t]*$", re.M)
_UNDOCUMENTED_NAMES = ("self", "cls", "args", "kwargs")


def _parameter_names(obj):
    """The names in ``obj``'s signature that need documenting (all but self, cls, args and
    kwargs); none if there is no signature to read."""
    import inspect

    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):  # no signature to read
        return []
    return [name for name in parameters if name not in _UNDOCUMENTED_NAMES]


def _takes_parameters(obj):
    """True if ``obj``'s signature has a parameter other than self, cls, args and kwargs."""
    return bool(_parameter_names(obj))


def _parameters_section(doc):
    """The text of ``doc``'s "Parameters" section, up to the next section; None if it has
    none."""
    match = _PARAMETERS_SECTION.search(doc or "")
    if not match:
        return None
    rest = doc[match.end():]
    following = _SECTION_HEADER.search(rest)
    return rest[:following.start()] if following else rest


def _unmentioned(names, section):
    """The ``names`` that ``section`` does not mention."""
    return [name for name in names if not re.search(rf"\b{re.escape(name)}\b", section)]


def _own_docstrings(obj):
    """The docstrings written for ``obj`` itself: a function's, or a class's and its own
    ``__init__``'s; never one inherited, as ``inspect.getdoc`` would give."""
    import inspect

    if not inspect.isclass(obj):
        return [obj.__doc__ or ""]
    init = vars(obj).get("__init__")
    return [vars(obj).get("__doc__") or "", getattr(init, "__doc__", None) or ""]


def _parameters_problem(obj):
    """Why the class or function ``obj`` fails the rule above, or None if it passes."""
    names = _parameter_names(obj)
    sections = [s for s in map(_parameters_section, _own_docstrings(obj)) if s is not None]
    if not names:
        return None
    if not sections:
        return "no 'Parameters' section of its own"
    missing = _unmentioned(names, "\n".join(sections))
    return f"its 'Parameters' section omits {missing}" if missing else None


def _lacks_parameters_section(obj):
    return _parameters_problem(obj) is not None


def _function_of(member):
    """The function behind a class attribute (a property's getter, a static or class
    method's function), or None if it is no method."""
    import inspect

    if isinstance(member, property):
        return member.fget
    if isinstance(member, (staticmethod, classmethod)):
        return member.__func__
    return member if inspect.isfunction(member) else None


def _method_problem(cls, name):
    """Why method ``name`` as defined in the body of ``cls`` fails the rule above, or None
    if it passes."""
    function = _function_of(vars(cls)[name])
    names = _parameter_names(function)
    if not names:
        return None
    section = _parameters_section(function.__doc__)
    if section is not None:
        missing = _unmentioned(names, section)
        return f"its 'Parameters' section omits {missing}" if missing else None
    for base in cls.__mro__[1:]:
        base_function = _function_of(vars(base).get(name))
        if base_function is None:
            continue
        base_section = _parameters_section(base_function.__doc__)
        if base_section is None:
            continue
        missing = _unmentioned(names + _parameter_names(base_function), base_section)
        if missing:
            return (f"overrides {base.__qualname__}.{name}, whose 'Parameters' section "
                    f"omits {sorted(set(missing), key=missing.index)}")
        return None
    if any(name in vars(base) for base in cls.__mro__[1:]):
        return "no 'Parameters' section, nor one in the definitions it overrides"
    return "no 'Parameters' section (its first definition)"


def _public_objects():
    """The public classes and functions: ``[(qualified name, object)]`` of the ``__all__``
    of the modules above, each once."""
    import importlib
    import inspect

    seen, objects = set(), []
    for module_name in _PARAMETER_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            seen.add(id(obj))
            objects.append((f"{module_name}.{name}", obj))
    return objects


def _without_parameters_section():
    """The public classes and functions that take parameters but do not name them all in
    a "Parameters" section of their own, with why."""
    return [f"{name}: {problem}" for name, obj in _public_objects()
            for problem in [_parameters_problem(obj)] if problem]


def _methods_without_parameters_section():
    """The public methods of public classes (defined in their bodies or in those of their
    minikeras base classes) that fail the rule above, with why."""
    import inspect

    seen, problems = set(), []
    for _, obj in _public_objects():
        if not inspect.isclass(obj):
            continue
        for cls in obj.__mro__:
            if cls.__module__.partition(".")[0] != "minikeras":
                continue
            for name, member in vars(cls).items():
                if name.startswith("_") or _function_of(member) is None or (cls, name) in seen:
                    continue
                seen.add((cls, name))
                problem = _method_problem(cls, name)
                if problem:
                    problems.append(f"{cls.__module__}.{cls.__qualname__}.{name}: {problem}")
    return problems


def test_every_public_class_and_function_documents_its_parameters():
    assert len(_public_objects()) > 150  # the walk finds the public API (not vacuous)
    missing = _without_parameters_section()
    assert not missing, (
        "public classes and functions whose own docstring (or own __init__'s) does not name "
        "each of their parameters in a numpydoc 'Parameters' section:\n  "
        + "\n  ".join(missing))


def test_every_public_method_documents_its_parameters():
    missing = _methods_without_parameters_section()
    assert not missing, (
        "public methods whose parameters no numpydoc 'Parameters' section names, neither "
        "their own nor that of a base-class definition they override:\n  "
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

        def run(self, x, y=0):
            """Run.

            Parameters
            ----------
            x, y : int
                Two numbers.

            Returns
            -------
            int
                Mentions z, a name of no parameter: outside the section, it counts for none.
            """

        def undocumented(self, a):
            """Its parameter is mentioned, but in no section."""

        def partly(self, a, b):
            """Half of it.

            Parameters
            ----------
            a : int
            """

        @classmethod
        def from_config(cls, config):
            """Build one.

            Parameters
            ----------
            config : dict
            """

        @property
        def value(self):
            """A property takes no parameter."""

    class Inheriting(Documented):
        """Takes ``x`` as its base does, but documents nothing itself."""

        def run(self, x, y=0):
            """Runs as its base does, relying on the base's documentation."""

        def undocumented(self, a):  # its base documents nothing to rely on
            pass

        def partly(self, a, b):  # nor does this one name ``b``
            pass

        @classmethod
        def from_config(cls, config):
            pass

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

        def run(self, x, z=0):  # a parameter the base's section does not name
            pass

    class Omitting(Documented):
        """A subclass naming only one parameter of two.

        Parameters
        ----------
        x : int
        """

        def __init__(self, x, y):
            super().__init__(x)

        def run(self, x, y=0):
            """Its own section, which wins over the base's.

            Parameters
            ----------
            x : int
            """

    class Deeper(Inheriting):
        def run(self, x, y=0):  # relies on Documented.run, past Inheriting's
            pass

    def prose(a):
        """Parameters are mentioned, but in no section."""

    def no_parameters(*args, **kwargs):
        """Nothing to document."""

    flagged = [f.__name__ for f in (Documented, Inheriting, DocumentedInit, Omitting, prose,
                                    no_parameters) if _lacks_parameters_section(f)]
    assert flagged == ["Inheriting", "Omitting", "prose"]
    classes = (Documented, Inheriting, DocumentedInit, Omitting, Deeper)
    flagged = [f"{cls.__name__}.{name}" for cls in classes for name, member in vars(cls).items()
               if not name.startswith("_") and _function_of(member) is not None
               and _method_problem(cls, name)]
    assert flagged == ["Documented.undocumented", "Documented.partly", "Inheriting.undocumented",
                       "Inheriting.partly", "DocumentedInit.run", "Omitting.run"]
