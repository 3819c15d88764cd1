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
