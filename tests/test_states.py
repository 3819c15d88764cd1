"""The vocabulary: every table keyed by state covers every state, and every layer reads its tables."""
from __future__ import annotations

import pytest

from circle import states
from circle.api.badges import svg
from circle.remote.bitbucket.client import BitbucketRemote
from circle.remote.gitea.client import GiteaRemote
from circle.remote.github.client import GithubRemote
from circle.remote.gitlab.client import GitlabRemote
from circle.schemas.builds import BuildQuery
from circle.schemas.secrets import SecretSchema


@pytest.mark.parametrize("name", sorted(states.TABLES))
def test_every_table_covers_every_state(name: str):
    """A state added to STATES must be added to each table, and a table holds nothing else."""
    assert set(states.TABLES[name]) == set(states.STATES)


def test_every_state_table_is_listed_for_the_coverage_test():
    """A new table keyed by state cannot escape the coverage test above."""
    keyed = {name for name, value in vars(states).items()
             if isinstance(value, dict) and value and set(value) <= set(states.STATES)}
    assert keyed == set(states.TABLES)


def test_final_and_active_split_the_states():
    """Each state is either still going or final, never both."""
    assert states.FINAL | states.ACTIVE == set(states.STATES)
    assert not states.FINAL & states.ACTIVE


@pytest.mark.parametrize("remote, table", [(GithubRemote, states.FOUR_STATES), (GiteaRemote, states.FOUR_STATES),
                                           (GitlabRemote, states.GITLAB_STATES),
                                           (BitbucketRemote, states.BITBUCKET_STATES)])
def test_forges_map_states_through_the_vocabulary(remote, table):
    """Each forge's commit-status map is the vocabulary's table, not a copy."""
    assert remote.states is table


@pytest.mark.parametrize("state", states.STATES)
def test_badge_shows_each_state_with_its_label_and_colour(state: str):
    """The SVG badge reads its label and colour from the vocabulary."""
    badge = svg(state)
    assert f"build: {states.BADGE_LABELS[state]}" in badge and states.BADGE_COLORS[state] in badge


def test_schemas_accept_the_vocabulary_events_including_cron():
    """Filters and secrets validate against circle.states.EVENTS (cron included)."""
    assert BuildQuery().load({"event": states.CRON, "status": states.DECLINED}) == {
        "event": states.CRON, "status": states.DECLINED}
    assert SecretSchema().load({"name": "s", "value": "v", "events": [states.CRON]})["events"] == [states.CRON]


@pytest.mark.parametrize("workflows, expected", [
    ([], states.SUCCESS),
    ([states.SUCCESS, states.SUCCESS], states.SUCCESS),
    ([states.SUCCESS, states.FAILURE], states.FAILURE),
    ([states.FAILURE, states.RUNNING], states.RUNNING),
    ([states.ERROR, states.KILLED], states.KILLED),
    ([states.PENDING, states.PENDING], states.PENDING),
    ([states.PENDING, states.SUCCESS], states.RUNNING),
    ([states.SKIPPED], states.SKIPPED),
    ([states.SKIPPED, states.SUCCESS], states.SUCCESS),
])
def test_combine(workflows: list[str], expected: str):
    """A build's status follows its workflows' states."""
    assert states.combine(workflows) == expected


@pytest.mark.parametrize("report, expected", [
    ({"skipped": True, "exited": True}, states.SKIPPED),
    ({"exited": False}, states.RUNNING),
    ({"exited": True, "killed": True, "exit_code": 137}, states.KILLED),
    ({"exited": True, "error": "no image"}, states.ERROR),
    ({"exited": True, "exit_code": 0}, states.SUCCESS),
    ({"exited": True, "exit_code": 2}, states.FAILURE),
])
def test_step_state(report: dict, expected: str):
    """A step's state follows what its runner reported."""
    values = {"skipped": False, "exited": False, "killed": False, "error": "", "exit_code": 0, **report}
    assert states.step_state(**values) == expected
