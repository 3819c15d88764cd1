"""Public badges: the status SVG and the cctray XML of a repo's latest build."""
from __future__ import annotations

from xml.etree import ElementTree

from flask.testing import FlaskClient

from api.helpers import add_build


def test_svg_shows_the_latest_build_of_the_default_branch(client: FlaskClient, repo: dict):
    none = client.get(f"/api/badges/{repo['id']}/status.svg")
    assert none.status_code == 200 and none.mimetype == "image/svg+xml"
    assert ">none<" in none.get_data(as_text=True)
    add_build(repo["id"], 1, status="success")
    add_build(repo["id"], 2, status="failure", branch="dev")
    answer = client.get(f"/api/badges/{repo['id']}/status.svg")
    assert ">passing<" in answer.get_data(as_text=True)
    assert "no-cache" in answer.headers["Cache-Control"]
    ElementTree.fromstring(answer.data)  # well-formed
    assert ">failing<" in client.get(f"/api/badges/{repo['id']}/status.svg?branch=dev").get_data(as_text=True)


def test_cc_xml(client: FlaskClient, repo: dict):
    empty = ElementTree.fromstring(client.get(f"/api/badges/{repo['id']}/cc.xml").data)
    assert empty.find("Project").attrib["lastBuildStatus"] == "Unknown"
    add_build(repo["id"], 7, status="running", created=1_700_000_000)
    answer = client.get(f"/api/badges/{repo['id']}/cc.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    project = ElementTree.fromstring(answer.data).find("Project").attrib
    assert project == {"name": "acme/app", "activity": "Building", "lastBuildStatus": "Unknown",
                       "lastBuildLabel": "7", "lastBuildTime": "2023-11-14T22:13:20Z",
                       "webUrl": f"http://127.0.0.1:8000/repos/{repo['id']}/builds/7"}
    add_build(repo["id"], 8, status="failure", finished=1_700_000_100)
    project = ElementTree.fromstring(client.get(f"/api/badges/{repo['id']}/cc.xml").data).find("Project").attrib
    assert (project["activity"], project["lastBuildStatus"], project["lastBuildLabel"]) == ("Sleeping", "Failure", "8")


def test_badges_of_unknown_repos_are_404(client: FlaskClient):
    assert client.get("/api/badges/999999/status.svg").status_code == 404
    assert client.get("/api/badges/999999/cc.xml").status_code == 404
