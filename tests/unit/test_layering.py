"""Dependencies point down only: adapters/ -> bot/ -> storage/.

Every module's imports are read with `ast` (not by importing it): `bot/` never reaches a platform
SDK, the web server or an adapter; `storage/` never reaches `bot/` or `adapters/`; the Teams SDK
(the Microsoft 365 Agents SDK, and the Teams API models it brings) stays inside `adapters/teams/`,
and botbuilder, archived, is imported nowhere. Imports inside functions, under `TYPE_CHECKING`, relative imports and
`importlib.import_module("...")` calls all count. Adapters translate: no module under `adapters/`
opens a unit of work or runs SQL, but the few `SQL_ALLOWED` names, each with its reason. And
`bot/` names no platform in its code: what it must know of one, the adapter declares (a `Surface`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("bot", "storage", "adapters")

TEAMS_SDKS = ("microsoft_agents", "microsoft_teams")
ARCHIVED = ("botbuilder", "botframework")  # the Bot Framework SDK: no longer serviced, never again
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", *TEAMS_SDKS, *ARCHIVED, "aiohttp")


@dataclass(frozen=True)
class Rule:
    """Modules under `inside` may not import anything under `forbidden` (dotted prefixes)."""

    inside: str
    forbidden: tuple[str, ...]
    why: str
    except_under: str | None = None


RULES = (
    Rule("bot", (*PLATFORM_SDKS, "adapters"), "the core is platform-neutral"),
    Rule("storage", ("bot", "adapters"), "storage sits below the core"),
    Rule("", TEAMS_SDKS, "the Teams SDK stays in adapters/teams", except_under="adapters.teams"),
    Rule("", ARCHIVED, "botbuilder is archived: Teams runs on the Microsoft 365 Agents SDK"),
)


def _under(module: str, prefix: str) -> bool:
    return prefix == "" or module == prefix or module.startswith(prefix + ".")


def imports_of(source: str, *, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` imports, as absolute dotted names (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base_parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(base_parts)
            else:
                base = ""
            target = ".".join(p for p in (base, node.module or "") if p)
            found.add(target)
            # `from pkg import sub` may import a submodule: count `pkg.sub` too
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in {"import_module", "__import__"})
            )
        ):
            found.add(node.args[0].value)
    return {name for name in found if name}


def violations(module: str, imported: set[str]) -> list[str]:
    problems = []
    for rule in RULES:
        if not _under(module, rule.inside):
            continue
        if rule.except_under and _under(module, rule.except_under):
            continue
        for name in sorted(imported):
            if any(_under(name, forbidden) for forbidden in rule.forbidden):
                problems.append(f"{module} imports {name}: {rule.why}")
    return problems


def project_modules() -> list[tuple[str, Path]]:
    modules = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.append((".".join(parts), path))
    return modules


def test_the_project_has_modules_in_every_layer() -> None:
    # Guards the walk itself: a wrong root would make every other check pass vacuously
    found = {name.split(".")[0] for name, _ in project_modules()}
    assert found == set(LAYERS)
    assert len(project_modules()) > 10


def test_every_layer_imports_only_downwards() -> None:
    problems = []
    for module, path in project_modules():
        is_package = path.name == "__init__.py"
        name = module.removesuffix(".__init__")
        imported = imports_of(path.read_text(encoding="utf-8"), module=name, is_package=is_package)
        problems.extend(violations(name, imported))
    assert problems == []


# --- the checker catches what it should ------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bot.service", "import slack_bolt\n"),
        ("bot.service", "from slack_sdk.web import WebClient\n"),
        ("bot.service", "import aiohttp.web as web\n"),
        ("bot.service", "from botbuilder.core import TurnContext\n"),
        ("bot.service", "import botframework.connector\n"),
        ("bot.service", "from adapters.slack import app\n"),
        ("bot.service", "from adapters import cli\n"),
        ("bot.service", "from ..adapters import cli\n"),
        ("bot.service", "def later():\n    import slack_bolt\n"),
        ("bot.service", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from adapters.cli import app\n"),
        ("bot.service", "import importlib\nimportlib.import_module('slack_sdk')\n"),
        ("bot.service", "__import__('aiohttp')\n"),
        ("storage.audit", "from bot.service import Service\n"),
        ("storage.audit", "import adapters.cli\n"),
        ("storage.migrations.env", "from ...bot import copy\n"),
        ("adapters.slack.app", "from botbuilder.schema import Activity\n"),
        ("adapters.server", "import botbuilder.integration.aiohttp\n"),
        ("adapters.cli", "from botframework.connector.auth import SimpleCredentialProvider\n"),
        ("bot.service", "from microsoft_agents.hosting.core import TurnContext\n"),
        ("adapters.server", "from microsoft_agents.hosting.aiohttp import CloudAdapter\n"),
        ("adapters.slack.app", "from microsoft_teams.api.models import Attachment\n"),
        ("adapters.teams.app", "from botbuilder.core import ActivityHandler\n"),
    ],
)
def test_the_checker_refuses_an_import_upwards(module: str, source: str) -> None:
    imported = imports_of(source, module=module)
    assert violations(module, imported), f"{module}: {source!r} should be refused"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bot.service", "from storage.models import Report\nfrom bot import copy\nfrom . import messages\n"),
        ("bot.service", "import slack_bolt_helpers\n"),  # a prefix of the name, not the package
        ("storage.crypto", "from storage.models import DataKey\nimport cryptography\n"),
        ("adapters.slack.app", "from slack_bolt.async_app import AsyncApp\nfrom bot.service import Service\n"),
        ("adapters.server", "from aiohttp import web\n"),
        ("adapters.teams.app", "from microsoft_agents.hosting.core import AgentApplication\n"),
        ("adapters.teams", "from microsoft_agents.authentication.msal import MsalConnectionManager\n"),
    ],
)
def test_the_checker_allows_an_import_downwards(module: str, source: str) -> None:
    is_package = module == "adapters.teams"
    assert violations(module, imports_of(source, module=module, is_package=is_package)) == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert imports_of("from . import copy\n", module="bot.service") == {"bot", "bot.copy"}
    assert imports_of("from .. import bot\n", module="storage.migrations.env") >= {"storage.bot"}
    assert imports_of("from .x import y\n", module="adapters.teams", is_package=True) >= {"adapters.teams.x"}


# --- adapters translate: they open no unit of work and run no SQL ------------------------------
#
# Only the use cases (bot/) open a unit of work (`db.write()`, `db.read()`), and SQL is written in
# bot/ and storage/. An adapter reads its input, calls a use case and renders what comes back:
# the `candor` command calls bot/admin.py and bot/keys.py. The modules below still do one or
# the other, each for the reason given; an entry that no longer needs its place fails the test,
# so the list only shrinks.
UNIT_OF_WORK = {"write", "read"}  # Database's two ways in
DATABASE_NAMES = {"db", "_db", "database"}  # what a Database is called wherever one is held
SQL_CALLS = {"exec", "execute", "exec_driver_sql", "scalar", "scalars"}
SQL_PACKAGES = ("sqlmodel", "sqlalchemy")

SQL_ALLOWED = {
    "adapters.bootstrap": "the composition root: before Candor is built it checks that the key "
                          "opens the data already stored, and refuses a new key over it",
    "adapters.sweep_timer": "the sweep's lead is a PostgreSQL advisory lock held on a "
                          "connection of its own, whose closing is what hands the lead over",
}


def _named(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def database_work(source: str) -> list[str]:
    """Where `source` opens a unit of work or runs SQL: a Database's `write`/`read` (called or
    handed on), a statement executed, or an import of the ORM or SQLAlchemy."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in UNIT_OF_WORK and _named(node.value) in DATABASE_NAMES:
            found.append(f"line {node.lineno}: opens a unit of work ({_named(node.value)}.{node.attr})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"line {node.lineno}: runs SQL (.{node.func.attr})")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {node.lineno}: imports {name}" for name in names
                      if any(_under(name, package) for package in SQL_PACKAGES)]
    return found


def test_adapters_open_no_unit_of_work_and_run_no_sql() -> None:
    problems = []
    for module, path in project_modules():
        name = module.removesuffix(".__init__")
        if _under(name, "adapters") and name not in SQL_ALLOWED:
            problems += [f"{name}, {where}" for where in database_work(path.read_text(encoding="utf-8"))]
    assert problems == [], "an adapter calls bot/ for this (a use case opens the unit of work)"


def test_every_allowance_for_database_work_in_adapters_is_still_needed() -> None:
    modules = {module.removesuffix(".__init__"): path for module, path in project_modules()}
    unused = [name for name in SQL_ALLOWED
              if name not in modules or not database_work(modules[name].read_text(encoding="utf-8"))]
    assert unused == [], "remove these from SQL_ALLOWED: they no longer do database work"


def test_the_command_line_is_checked_module_by_module() -> None:
    # Guards the walk: the `candor` command's modules are among those checked, none allowed.
    cli = [m.removesuffix(".__init__") for m, _ in project_modules() if _under(m, "adapters.cli")]
    assert {"adapters.cli", "adapters.cli.export", "adapters.cli.keys", "adapters.cli.keys.escrow"} <= set(cli)
    assert not [m for m in cli if m in SQL_ALLOWED]


@pytest.mark.parametrize(
    "source",
    [
        "with candor.db.write() as session:\n    pass\n",
        "with self.db.read() as session:\n    pass\n",
        "with self._db.read() as session:\n    pass\n",
        "def f(candor):\n    with candor.db.read() as s:\n        return s.get(Report, 1)\n",
        "vault.rewrap_batches(self.db.write, batch=10)\n",
        "rows = session.exec(select(Person)).all()\n",
        "connection.execute(text('SELECT 1'))\n",
        "from sqlmodel import select\n",
        "import sqlalchemy\n",
        "from sqlalchemy.orm import Session\n",
        "def later():\n    from sqlmodel import col\n",
    ],
)
def test_the_checker_finds_database_work(source: str) -> None:
    assert database_work(source), f"{source!r} should be found"


@pytest.mark.parametrize(
    "source",
    [
        "with administration() as admin:\n    case = admin.case_file(code, member=m, operator=o)\n",
        "handle.write(share_file(mnemonic, threshold=2, day=day))\n",
        "text = path.read_text(encoding='utf-8')\nsys.stdin.read()\n",
        "out.print(table)\nkeys.reseal(db, keyring)\n",
        "from bot.admin import Admin\nfrom storage.db import Database\n",
        "os.execv('/bin/true', ['true'])\n",
    ],
)
def test_the_checker_lets_an_adapter_call_the_use_cases(source: str) -> None:
    assert database_work(source) == []


# --- bot/ names no platform: the adapter declares what the core must know ---------------------
#
# What a chat keeps, how commands are typed, where a window opens: each adapter declares it as
# its `Surface` (bot.messages), and the core decides on that, never on a platform's name. Code in
# bot/ (identifiers, attributes such as `Platform.SLACK`, and string literals; not comments or
# docstrings, which explain) names Slack or Teams only in the top-level names below, each with
# its reason. `Platform` as a routing key (which sender takes an outbox row, whose id it is) is
# data and names no platform. An entry no longer needed fails the test, so the list only shrinks.
PLATFORM_WORDS = {"slack", "teams"}
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")  # snake_case, CamelCase and prose alike
_ROSTER = "the roster file's columns: each person's id on each platform, checked as data"
NAMES_ALLOWED = {
    ("bot.wording.notices", "_FIXES"): "what an operator does about a platform's own error code (its "
                           "settings by name), for `candor status` and the outage e-mail",
    **{("bot.retention", name): "slack as in leeway, not the platform"
       for name in ("CLOCK_SLACK", "ahead_of_the_clock")},
    **{("bot.roster_file", name): _ROSTER for name in ("_KEYS", "_SLACK_ID", "_TEAMS_ID",
                                                       "RosterEntry", "_entry", "check_unique")},
    ("bot.roster", "_PLATFORMS"): _ROSTER,
}


def _docstrings(tree: ast.Module) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    firsts = [node.body[0] for node in ast.walk(tree) if isinstance(node, kinds) and node.body]
    return {id(first.value) for first in firsts if isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)}


def _top_name(statement: ast.stmt) -> str:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement.name
    targets = statement.targets if isinstance(statement, ast.Assign) else (
        [statement.target] if isinstance(statement, ast.AnnAssign | ast.AugAssign) else [])
    return ",".join(ast.unparse(t) for t in targets) or type(statement).__name__


def _words_of(node: ast.AST, docstrings: set[int]) -> list[str]:
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.keyword):
        return [node.arg] if node.arg else []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [] if id(node) in docstrings else [node.value]
    return []


def platform_names(source: str) -> dict[str, list[str]]:
    """Where `source`'s code names a platform, by its top-level name: each line and word."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: dict[str, list[str]] = {}
    for statement in tree.body:
        for node in ast.walk(statement):
            for text in _words_of(node, docstrings):
                if PLATFORM_WORDS & {w.lower() for w in _WORD.findall(text)}:
                    found.setdefault(_top_name(statement), []).append(
                        f"line {getattr(node, 'lineno', '?')}: {text[:60]!r}")
    return found


def _bot_modules() -> dict[str, Path]:
    return {m.removesuffix(".__init__"): p for m, p in project_modules() if _under(m, "bot")}


def test_bot_names_no_platform() -> None:
    problems = [f"{module}.{name}, {where}"
                for module, path in _bot_modules().items()
                for name, places in platform_names(path.read_text(encoding="utf-8")).items()
                if (module, name) not in NAMES_ALLOWED for where in places]
    assert problems == [], "the adapter declares this as its Surface (bot.messages)"


def test_every_allowance_for_a_platform_name_in_bot_is_still_needed() -> None:
    modules = _bot_modules()
    unused = [key for key in NAMES_ALLOWED if key[0] not in modules
              or key[1] not in platform_names(modules[key[0]].read_text(encoding="utf-8"))]
    assert unused == [], "remove these from NAMES_ALLOWED: they no longer name a platform"


# What names a platform in bot/ (found), and what only decides on the actor's surface or speaks of
# a platform in prose (let through).
NAMING_A_PLATFORM = {
    "def reply(actor):\n    if actor.platform is Platform.SLACK:\n        return 1\n": True,
    "def reply(actor):\n    return actor.platform in {Platform.TEAMS}\n": True,
    "HISTORY = frozenset({Platform.SLACK, Platform.TEAMS})\n": True,
    "def reply(actor):\n    return actor.platform.value == 'slack'\n": True,
    "def help_text():\n    return 'In Teams, type `status`.'\n": True,
    "def reply(on_teams: bool):\n    return on_teams\n": True,
    "class SlackWords:\n    pass\n": True,
    '"""Shown in a window (a Slack modal, a Teams dialog)."""\n': False,
    "def f(actor):\n    \"\"\"Teams' dialog.\"\"\"\n    return actor.surface.keeps_history\n": False,
    "# Slack keeps the history\nKEPT = True\n": False,
    "def route(row):\n    return row.platform is Platform.CONSOLE\n": False,
    "TEAMWORK = 'steams ahead'\n": False,
}


@pytest.mark.parametrize(("source", "names_one"), NAMING_A_PLATFORM.items())
def test_the_checker_finds_a_platform_named_in_bot_and_nothing_else(source: str,
                                                                    names_one: bool) -> None:
    assert bool(platform_names(source)) is names_one, source


# Two folders of the core each hold one layer of its import graph: what they may import from bot/.
FOLDER_LAYERS = {
    "bot.schedule": ("bot.schedule", "bot.wording", "bot.messages"),
    "bot.delivery": ("bot.delivery", "bot.schedule", "bot.wording", "bot.messages", "bot.sanitize",
                     "bot.core"),
}


@pytest.mark.parametrize("folder", sorted(FOLDER_LAYERS))
def test_the_schedule_and_delivery_folders_import_nothing_above_them(folder: str) -> None:
    allowed = FOLDER_LAYERS[folder]
    upward = []
    for module, path in project_modules():
        if not _under(module, folder):
            continue
        imported = imports_of(path.read_text(), module=module, is_package=path.name == "__init__.py")
        upward += [f"{module} imports {name}" for name in sorted(imported)
                   if _under(name, "bot") and name != "bot"
                   and not any(_under(name, ok) for ok in allowed)]
    assert upward == [], "\n".join(upward)
