"""Parse JUnit XML (Ant/Maven surefire, pytest --junitxml, Jest/mocha reporters, go-junit-report) into cases.

The root is `<testsuites>` or `<testsuite>`; every `<testsuite>` below it (nested ones too) contributes
its direct `<testcase>` children. A case is failed with a `<failure>`, error with an `<error>`, skipped
with `<skipped>` (pytest's xfail too), else passed. Parsing goes through defusedxml with DTDs refused:
no entity is ever expanded and no external file or URL read, so a billion-laughs file or one with
external entities is refused as invalid like any other file that is not JUnit.
"""
from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from circle.models.test import NAME_MAX, SUITE_MAX
from circle.states import TEST_ERROR, TEST_FAILED, TEST_PASSED, TEST_SKIPPED
from circle.store.tests import NewResult as Case  # one case as the report states it, as it is stored

# Characters of a case's message kept (the output excerpt has its own setting, CIRCLE_REPORT_OUTPUT_MAX).
MESSAGE_MAX = 1000
_OUTCOMES = (("failure", TEST_FAILED), ("error", TEST_ERROR), ("skipped", TEST_SKIPPED))


class NotJUnit(ValueError):
    """The file is not JUnit XML (or not XML at all, or XML this parser refuses); the text says why."""


def _seconds(text: str | None) -> float:
    """Return a `time` attribute as seconds (0 when missing or not a number; "1,234.5" reads as 1234.5)."""
    try:
        value = float((text or "0").replace(",", ""))
    except ValueError:
        return 0.0
    return value if value >= 0 and value == value and value != float("inf") else 0.0


def _cut(text: str, limit: int) -> str:
    """Return `text` cut to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    note = f"\n… ({len(text) - limit} more characters)"
    return text[:max(0, limit - len(note))] + note if limit > len(note) else text[:limit]


def _case(element: Element, suite: str, suite_file: str, output_max: int) -> Case:
    """Return the Case of one `<testcase>` element."""
    status, message, texts = TEST_PASSED, "", []
    for tag, outcome in _OUTCOMES:
        found = element.find(tag)
        if found is not None:
            status = outcome
            body = (found.text or "").strip()
            message = (found.get("message") or "").strip() or body.split("\n", 1)[0]
            if body:
                texts.append(body)
            break
    for tag in ("system-out", "system-err"):
        for part in element.findall(tag):
            if part.text and part.text.strip():
                texts.append(part.text.strip())
    return Case(suite=suite[:SUITE_MAX], classname=(element.get("classname") or "")[:NAME_MAX],
                name=(element.get("name") or "")[:NAME_MAX],
                file=(element.get("file") or suite_file)[:NAME_MAX], status=status,
                time=_seconds(element.get("time")), message=_cut(message, MESSAGE_MAX),
                output=_cut("\n".join(texts), output_max))


def parse(data: bytes, *, output_max: int) -> list[Case]:
    """Return the cases of a JUnit XML file; raise NotJUnit when it is not one."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as err:
        raise NotJUnit(f"it declares a DTD or entities, which are refused ({type(err).__name__})") from None
    except ParseError as err:
        raise NotJUnit(f"it is not well-formed XML ({err})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise NotJUnit(f"its root element is <{root.tag}>, not <testsuites> or <testsuite>")
    cases: list[Case] = []
    for suite in root.iter("testsuite"):
        name, suite_file = suite.get("name") or "", suite.get("file") or suite.get("filepath") or ""
        cases.extend(_case(element, name, suite_file, output_max) for element in suite.findall("testcase"))
    if root.tag == "testsuites":  # a few reporters put cases straight under <testsuites>
        cases.extend(_case(element, root.get("name") or "", "", output_max) for element in root.findall("testcase"))
    return cases
