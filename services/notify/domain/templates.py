"""Templates (N2): variables declared and checked, rendering in a sandbox, SMS length.

A template body is Jinja2 text limited to `{{ variable }}` and `{% if variable %} …
{% else %} … {% endif %}` (checked on the parsed tree when saved: no filters, calls,
loops, arithmetic, attribute or item access — `{{ a.__class__ }}`, `{{ 'x' * 10**9 }}`
and `{{ a|center(10**9) }}` are refused), rendered by a sandboxed environment with no
globals or filters that also refuses every attribute, item access and call: variables
are plain strings and numbers, filled by name.  The variables a body uses
must be exactly the ones declared — checked when a template is saved and when a send
is requested (missing or unknown → Invalid naming it).
"""
import re
from functools import lru_cache

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from services.common.errors import Invalid

VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VALUE = 500  # characters of one variable's value
# SMS length (N2): 70 characters in one message with Chinese (UCS-2), 67 per part
# once concatenated; 160 / 153 when every character is plain ASCII (GSM 7-bit, simplified).
UCS2_SINGLE, UCS2_PART = 70, 67
ASCII_SINGLE, ASCII_PART = 160, 153


class _Sealed(SandboxedEnvironment):
    """No attribute or item access at all: variables are values, not objects."""

    def is_safe_attribute(self, obj, attr, value) -> bool:
        return False

    def getattr(self, obj, attribute):
        raise SecurityError("attribute access is not allowed in a template")

    def getitem(self, obj, argument):
        raise SecurityError("item access is not allowed in a template")

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 — Jinja's signature
        raise SecurityError("calls are not allowed in a template")


ENV = _Sealed(autoescape=False, keep_trailing_newline=False)
ENV.globals.clear()
ENV.filters.clear()
ENV.tests.clear()
# The only nodes a template may hold: text, {{ name }}, {% if [not] name %}.
ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.If, nodes.Not)


def _parse(text: str, field: str):
    try:
        return ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise refused(field, f"template syntax error on line {exc.lineno}: {exc.message}") \
            from None
    except RecursionError:
        raise refused(field, "nested too deeply") from None


MAX_DEPTH = 12  # nodes within nodes: a few {% if %} in one another, never hundreds


def _depth(node, depth: int = 0) -> int:
    if depth > MAX_DEPTH:
        return depth
    return max((_depth(child, depth + 1) for child in node.iter_child_nodes()), default=depth)


def used_variables(text: str, field: str = "body") -> set[str]:
    """The variables a template uses; Invalid when it holds anything but text,
    {{ name }} and {% if [not] name %} … {% else %} … {% endif %}."""
    tree = _parse(text, field)
    if _depth(tree) > MAX_DEPTH:
        raise refused(field, "nested too deeply (a few {% if %} in one another at most)")
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED):
            raise refused(field, f"only {{{{ variable }}}} and {{% if variable %}} … "
                                   f"{{% endif %}} are allowed, not {type(node).__name__}")
    return set(meta.find_undeclared_variables(tree))


def check_template(body: str, subject: str, declared: list[str]) -> None:
    """A template as saved: syntax, and the variables used are exactly those declared."""
    bad = [v for v in declared if not VARIABLE.match(v)]
    if bad:
        raise refused("variables", f"{bad[0]!r}: lower-case letters, digits and _ "
                                     f"(at most 40), starting with a letter")
    if len(set(declared)) != len(declared):
        raise refused("variables", "a variable is declared twice")
    used = used_variables(body, "body") | used_variables(subject, "subject")
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise refused("body", f"uses undeclared variable {undeclared[0]!r}")
    unused = sorted(set(declared) - used)
    if unused:
        raise refused("variables", f"{unused[0]!r} is declared but not used")
    # Render once with placeholders: anything the sandbox refuses is refused now.
    render(body, {v: "x" for v in declared}, declared, "body")
    render(subject, {v: "x" for v in declared}, declared, "subject")


def check_params(params: dict, declared: list[str]) -> dict[str, str]:
    """A send's parameters: every declared variable given, nothing else, each a short
    string or number; answered as strings."""
    missing = [v for v in declared if v not in params]
    if missing:
        raise refused(f"params.{missing[0]}", "missing: the template declares it")
    unknown = sorted(k for k in params if k not in declared)
    if unknown:
        raise refused(f"params.{unknown[0]}", "unknown: the template does not declare it")
    out = {}
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise refused(f"params.{name}", "must be a string or a number")
        text = str(value)
        if len(text) > MAX_VALUE:
            raise refused(f"params.{name}", f"longer than {MAX_VALUE} characters")
        out[name] = text
    return out


@lru_cache(maxsize=256)
def _compiled(text: str):
    return ENV.from_string(text)


def render(text: str, params: dict[str, str], declared: list[str], field: str = "body") -> str:
    if not text:
        return ""
    try:
        return _compiled(text).render({k: params[k] for k in declared if k in params})
    except (SecurityError, UndefinedError, TypeError, TemplateSyntaxError, SyntaxError,
            RecursionError) as exc:
        raise refused(field, f"cannot be rendered: {exc}") from None


def sms_length(content: str, sign_name: str = "") -> dict:
    """Characters (the 【签名】 counted, as providers do) and billed parts."""
    text = f"【{sign_name}】{content}" if sign_name else content
    chars = len(text)
    single, part = (ASCII_SINGLE, ASCII_PART) if text.isascii() else (UCS2_SINGLE, UCS2_PART)
    parts = 1 if chars <= single else -(-chars // part)
    return {"characters": chars, "parts": parts, "per_part": single if parts == 1 else part}


# Filled from the customer record when a send goes to customers (a segment, a list of
# customers); a request may not give them.
AUTO = ("name",)


def requested(declared: list[str], to_customers: bool) -> list[str]:
    """The variables a request must give: all declared, less those filled per customer."""
    return [v for v in declared if not (to_customers and v in AUTO)]


def refused(field: str, reason: str) -> Invalid:
    """Bad input naming its field: Invalid with {field: [reason]}."""
    return Invalid(reason, {field: [reason]})
