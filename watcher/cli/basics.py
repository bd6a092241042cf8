"""Commands about the config and the database: check, db upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli.app import EXIT_USAGE, Context, command, group, pass_context
from watcher.cli.output import plural

if TYPE_CHECKING:
    from watcher.config import Config


@command()
@click.option("--strict", is_flag=True, help="Exit with status 2 when there are warnings too.")
@pass_context
def check(ctx: Context, strict: bool) -> None:
    """Validate the config and its templates; print every problem as FILE:LINE: message.

    Warnings (FILE:LINE: warning: …) name what is valid but will most likely never match;
    they change the exit status only with --strict.
    """
    from watcher.errors import ConfigError
    from watcher.redact import redact

    config = ctx.checked_config()
    problems = template_problems(config)
    if problems:
        raise ConfigError(problems)
    click.echo(f"config: {config.path}")
    click.echo(f"database: {redact(config.database_url)}")
    for warning in ctx.warnings:
        click.echo(warning, err=True)
    counts = [
        plural(len(config.entities), "entity", "entities"),
        plural(len(config.stories), "story", "stories"),
        plural(len(config.sources), "source"),
        plural(len(config.digests), "digest"),
    ]
    if ctx.warnings:
        counts.append(plural(len(ctx.warnings), "warning") + " (above)")
    click.echo(f"{config.path}: OK — " + ", ".join(counts))
    if strict and ctx.warnings:
        raise click.exceptions.Exit(EXIT_USAGE)


def template_problems(config: Config) -> list[str]:
    """Compile every template in ``templates_dir`` as the digest would; ``FILE:LINE: message``
    for each that does not (a broken one would otherwise fail only at send time)."""
    directory = config.resolved_templates_dir
    if directory is None:
        return []
    if not directory.is_dir():
        return [f"{config.path}: templates_dir {directory} is not a directory"]
    from jinja2 import TemplateSyntaxError

    from watcher.digest.render import environment

    env = environment("en", config.timezone, directory)
    problems = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and _is_template(p)):
        name = path.relative_to(directory).as_posix()
        try:
            env.get_template(name)
        except TemplateSyntaxError as error:
            problems.append(f"{path}:{error.lineno}: {error.message}")
        except UnicodeDecodeError as error:
            problems.append(f"{path}: not UTF-8 (byte {error.start}): save it as UTF-8")
    return problems


def _is_template(path: Path) -> bool:
    return path.suffix in {".j2", ".jinja", ".html", ".txt"} and not path.name.startswith(".")


@group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply the schema migrations (also done on every start)."""
    ctx.store.close()
    click.echo("database is up to date")
