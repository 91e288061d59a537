"""Parsers of the REST API: DRF's JSON parser with a limit on nesting."""

import codecs
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

#: Deepest nesting of arrays and objects a JSON body may have. No request of
#: the API needs more than a few levels; CPython's json module recurses once
#: per level and raises RecursionError near 1000, which would be a 500.
MAX_JSON_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def nesting_exceeds(text, limit):
    """Whether the JSON document ``text`` nests arrays and objects deeper than ``limit``.

    Without recursion: the strings are dropped, then the innermost pairs of
    brackets, one level a pass, in at most ``limit`` passes. Unbalanced
    brackets are left for the parser to report.
    """
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    for _level in range(limit):
        if not brackets:
            return False
        brackets, removed = _INNERMOST_PAIR.subn("", brackets)
        if not removed:
            return False
    return bool(brackets)


def parse_error(detail):
    return ParseError({"detail": detail, "code": ParseError.default_code})


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; nesting deeper than :data:`MAX_JSON_DEPTH` is a 400, as is any malformed body.

    The error is ``{"detail": …, "code": "parse_error"}``.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError as exc:
            raise parse_error(_("JSON parse error: %s") % exc) from exc
        if nesting_exceeds(text, MAX_JSON_DEPTH):
            raise parse_error(_("JSON nested deeper than %d levels.") % MAX_JSON_DEPTH)
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            if "integer string conversion" in str(exc):
                # CPython's own words name a function of its own: say what the client sent instead.
                raise parse_error(_("JSON parse error: a number has too many digits.")) from exc
            raise parse_error(_("JSON parse error: %s") % exc) from exc
