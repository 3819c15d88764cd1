"""The heartbeat rows of the server processes that share the database."""
from __future__ import annotations

from sqlalchemy import delete as sql_delete

from circle.extensions import db
from circle.models import Server
from circle.store.base import Crud, flush

_crud = Crud(Server, "server")

get = _crud.get
create = _crud.create
update = _crud.update
delete = _crud.delete


def list_live(seen_since: int) -> list[Server]:
    """Return the servers whose heartbeat came at or after `seen_since`, oldest first."""
    return _crud.list(Server.last_seen >= seen_since)


def delete_stale(seen_before: int) -> None:
    """Delete the rows of servers whose last heartbeat came before `seen_before`."""
    db.session.execute(sql_delete(Server).where(Server.last_seen < seen_before))
    flush("server")
