"""JUnit XML from real producers' formats parses into the same cases; hostile XML is refused safely."""
from __future__ import annotations

from pathlib import Path

import pytest

from circle.service.junit import NotJUnit, parse

SAMPLES = Path(__file__).resolve().parent / "junit"


def cases(name: str, output_max: int = 4096) -> list:
    """Parse one sample file."""
    return parse((SAMPLES / name).read_bytes(), output_max=output_max)


def summary(found: list) -> list[tuple[str, str, str]]:
    """Return (classname, name, status) of each case."""
    return [(c.classname, c.name, c.status) for c in found]


def test_pytest_junitxml_gives_classnames_statuses_and_the_assertion_message():
    found = cases("pytest.xml")
    assert summary(found) == [
        ("tests.test_math", "test_add", "passed"), ("tests.test_math", "test_divide[2-1]", "passed"),
        ("tests.test_math", "test_divide_by_zero", "failed"), ("tests.test_math", "test_slow", "skipped"),
        ("tests.test_db", "test_connect", "error")]
    failed = found[2]
    assert failed.message == "ZeroDivisionError: division by zero"
    assert "src/math.py:2: ZeroDivisionError" in failed.output and failed.time == 0.004
    assert found[3].message == "needs the network"
    assert "connecting to 127.0.0.1:5432" in found[4].output and found[4].suite == "pytest"


def test_maven_surefire_keeps_the_failure_type_message_and_stdout():
    found = cases("surefire.xml")
    assert [c.status for c in found] == ["passed", "passed", "failed", "skipped"]
    assert {c.suite for c in found} == {"com.example.calc.CalculatorTest"}
    assert found[2].message == "expected: <0> but was: <-1>"
    assert "CalculatorTest.java:27" in found[2].output and "dividing 1 by 0" in found[2].output
    assert found[3].message == "disabled until BigInteger support lands"


def test_jest_junit_without_a_message_attribute_takes_the_first_line_of_the_failure():
    found = cases("jest.xml")
    assert [(c.suite, c.status) for c in found] == [("cart", "passed"), ("cart", "failed"), ("cart", "skipped"),
                                                    ("price formatting", "passed")]
    assert found[1].message == "Error: expect(received).toBe(expected) // Object.is equality"
    assert "Received: 100" in found[1].output


def test_mocha_junit_reporter_takes_the_file_from_the_suite():
    found = cases("mocha.xml")
    assert [(c.name, c.status, c.file) for c in found] == [
        ("GET /users lists users", "passed", "test/api.spec.js"),
        ("GET /users pages with ?page=2", "passed", "test/api.spec.js"),
        ("GET /users rejects a bad token", "failed", "test/api.spec.js")]
    assert found[2].message == "expected 200 to equal 401"


def test_go_junit_report_subtests_and_skips():
    found = cases("go-junit-report.xml")
    assert summary(found) == [
        ("example.com/shop/cart", "TestAdd", "passed"), ("example.com/shop/cart", "TestTotal/with_discount", "failed"),
        ("example.com/shop/cart", "TestShipping", "skipped"), ("example.com/shop/price", "TestFormat", "passed")]
    assert "total = 100, want 90" in found[1].output


def test_output_is_cut_to_the_setting_saying_how_much_was_left_out():
    output = cases("surefire.xml", output_max=80)[2].output
    assert len(output) <= 80 and output.endswith("more characters)")


def test_times_with_thousands_separators_or_nonsense_read_sensibly():
    data = (b'<testsuite name="s"><testcase name="a" time="1,002.5"/><testcase name="b" time="soon"/>'
            b'<testcase name="c" time="-3"/></testsuite>')
    assert [c.time for c in parse(data, output_max=100)] == [1002.5, 0.0, 0.0]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<testsuite name="&lol9;"><testcase name="x"/></testsuite>"""


@pytest.mark.parametrize("data", [
    BILLION_LAUGHS,
    b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<testsuite name="&x;"><testcase name="a"/></testsuite>',
    b'<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "http://127.0.0.1:1/junit.dtd"><testsuite/>',
], ids=["billion-laughs", "external-entity", "external-dtd"])
def test_entities_and_dtds_are_refused_without_expanding_or_reading_anything(data):
    with pytest.raises(NotJUnit, match="DTD or entities"):
        parse(data, output_max=100)


@pytest.mark.parametrize("data, reason", [
    (b"PK\x03\x04 not xml", "not well-formed"),
    (b"<html><body>report</body></html>", "root element is <html>"),
])
def test_files_that_are_not_junit_say_why(data, reason):
    with pytest.raises(NotJUnit, match=reason):
        parse(data, output_max=100)
