"""SQLAlchemy declarations only: typed columns and constraints; no queries (those live in circle.store)."""
from circle.models.build import Build, Proc
from circle.models.config import Config
from circle.models.cron import Cron
from circle.models.file import File
from circle.models.hook_delivery import HookDelivery
from circle.models.log import LogEntry
from circle.models.repo import Perm, Repo
from circle.models.scm import Scm
from circle.models.secret import Registry, Secret
from circle.models.server import Server
from circle.models.task import Agent, Task, TaskPayload
from circle.models.test import CaseResult, RepoTest
from circle.models.user import Token, User, WebSession

__all__ = ["Agent", "Build", "Config", "Cron", "File", "HookDelivery", "LogEntry", "Perm", "Proc", "Registry", "Repo",
           "Scm", "Secret", "Server", "Task", "TaskPayload", "RepoTest", "CaseResult", "Token", "User", "WebSession"]
