"""Test results of builds: a build's summary and cases, one test's history, a repo's flaky tests."""
from __future__ import annotations

from marshmallow import fields, validate

from circle.limits import INT_MAX
from circle.schemas import Query, Strict, unix_time
from circle.service.testresults import FLAKY_BUILDS, HISTORY, MAX_FLAKY_BUILDS, MAX_HISTORY, MAX_PAGE, PAGE
from circle.states import TEST_STATUSES


class BuildTestsQuery(Query):
    """`?status=` filters the cases (`failed` takes errored ones too); `?offset=&limit=` pages them."""

    status = fields.String(load_default=None, validate=validate.OneOf(TEST_STATUSES),
                           metadata={"description": "passed, failed (failed or errored), error or skipped"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=INT_MAX),
                            metadata={"description": "cases to pass over (failed and errored come first)"})
    limit = fields.Integer(load_default=PAGE, validate=validate.Range(min=1, max=INT_MAX),
                           metadata={"description": f"cases at most (default {PAGE}; more than {MAX_PAGE} counts as "
                                                    f"{MAX_PAGE}); `matching` tells how many there are in all"})


class CaseSchema(Strict):
    """One test case of a build: `test_id` names the test across builds (its history)."""

    id = fields.Integer(dump_only=True)
    test_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    classname = fields.String(dump_only=True)
    file = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "passed, failed, error or skipped"})
    time = fields.Float(dump_only=True, metadata={"description": "seconds"})
    message = fields.String(dump_only=True)
    output = fields.String(dump_only=True, metadata={"description": "failure text and output, cut to "
                                                                    "CIRCLE_REPORT_OUTPUT_MAX characters"})
    pid = fields.Integer(dump_only=True, metadata={"description": "the step whose report held the case"})


class SuiteSchema(Strict):
    """The cases of one suite on this page."""

    name = fields.String(dump_only=True)
    cases = fields.List(fields.Nested(CaseSchema), dump_only=True)


class BuildTestsSchema(Strict):
    """A build's test counts (of all its cases) and one page of its cases."""

    total = fields.Integer(dump_only=True)
    passed = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True)
    skipped = fields.Integer(dump_only=True)
    errors = fields.Integer(dump_only=True)
    duration = fields.Float(dump_only=True, metadata={"description": "seconds, summed over the cases"})
    matching = fields.Integer(dump_only=True, metadata={"description": "cases matching `status`, over all pages"})
    offset = fields.Integer(dump_only=True)
    suites = fields.List(fields.Nested(SuiteSchema), dump_only=True)


class FlakyQuery(Query):
    """`?builds=N`: how many of the repo's newest builds to look through."""

    builds = fields.Integer(load_default=FLAKY_BUILDS, validate=validate.Range(min=1, max=INT_MAX),
                            metadata={"description": f"newest builds searched (default {FLAKY_BUILDS}; more than "
                                                     f"{MAX_FLAKY_BUILDS} counts as {MAX_FLAKY_BUILDS})"})


class FlakySchema(Strict):
    """A flaky test: its counts over the searched builds, the builds it failed in, and why it is flaky."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    classname = fields.String(dump_only=True)
    file = fields.String(dump_only=True)
    passed = fields.Integer(dump_only=True)
    failed = fields.Integer(dump_only=True, metadata={"description": "failed or errored results"})
    failed_builds = fields.List(fields.Integer(), dump_only=True, metadata={"description": "build numbers"})
    commits = fields.List(fields.String(), dump_only=True,
                          metadata={"description": "commits it both failed and passed on"})
    branches = fields.List(fields.String(), dump_only=True,
                           metadata={"description": "branches whose builds it flipped on at least twice"})
    flips = fields.Integer(dump_only=True, metadata={"description": "most state changes on one branch"})


class HistoryQuery(Query):
    """`?limit=N`: how many of the newest results."""

    limit = fields.Integer(load_default=HISTORY, validate=validate.Range(min=1, max=INT_MAX),
                           metadata={"description": f"results at most (default {HISTORY}; more than {MAX_HISTORY} "
                                                    f"counts as {MAX_HISTORY})"})


class ResultSchema(Strict):
    """One result of a test in one build."""

    number = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    time = fields.Float(dump_only=True)
    message = fields.String(dump_only=True)
    commit = fields.String(dump_only=True)
    branch = fields.String(dump_only=True)
    created = unix_time()
    pid = fields.Integer(dump_only=True)


class HistorySchema(Strict):
    """A test and its newest results, newest build first."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    classname = fields.String(dump_only=True)
    file = fields.String(dump_only=True)
    results = fields.List(fields.Nested(ResultSchema), dump_only=True)
