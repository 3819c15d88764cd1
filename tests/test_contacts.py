"""Agents' contact times: an RPC call writes nothing, the reaper's flush writes every noted agent at once."""
from __future__ import annotations

from sqlalchemy import event

from circle.extensions import db
from circle.hub import hub
from circle.store import agents


def test_calls_note_contacts_and_one_flush_writes_them(app):
    """Noting contacts touches no row; a flush writes them (one UPDATE per second noted) and never goes back."""
    hub().contacts.flush()  # what earlier tests of this app noted
    first, second = agents.create(name="a", last_contact=0), agents.create(name="b", last_contact=0)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        hub().contacts.note(first.id)
        hub().contacts.note(second.id)
        assert statements == []
        assert hub().contacts.flush() == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sum(s.lstrip().upper().startswith("UPDATE AGENTS") for s in statements) == 1
    db.session.expire_all()
    assert agents.get(first.id).last_contact > 0 and agents.get(second.id).last_contact > 0
    agents.touch_many([first.id], 5)
    db.session.expire_all()
    assert agents.get(first.id).last_contact > 5
    assert hub().contacts.flush() == 0


def test_a_flush_writes_many_agents_in_bounded_updates(app):
    """5 000 idle agents do not make one UPDATE naming every id: each names at most CHUNK agents."""
    from circle import contacts

    hub().contacts.flush()
    created = [agents.create(name=f"many-{i}", last_contact=0) for i in range(2 * contacts.CHUNK + 50)]
    sizes: list[int] = []

    def record(conn: object, cursor: object, statement: str, parameters: object, *rest: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE AGENTS"):
            sizes.append(len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0)

    for agent in created:
        hub().contacts.note(agent.id)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert hub().contacts.flush() == len(created)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(sizes) >= 3 and max(sizes) <= contacts.CHUNK + 2  # the ids, the moment twice
    db.session.expire_all()
    assert all(agents.get(a.id).last_contact > 0 for a in created)
