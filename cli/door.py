"""The command's outer door: bad arguments as one line (exit 2), crashes as one line (exit 1)."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

# Typer 0.29 carries its own copy of click; its exceptions are the ones raised here.
from typer import _click as click
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

from cli.crash_log import write_crash
from cli.literal import visible
from cli.parsing import BadArgument


def _one_line(message: str) -> None:
    # click's echo, not rich: rich would wrap a long message onto a second line.
    click.echo(visible(" ".join(message.split())), err=True)


class PlainHelpGroup(TyperGroup):
    """A command group whose --help lists each command with its whole summary, wrapped to the
    width, where click would cut it short with "..." (help is plain text: cli/main.py)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, _summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _summary(command: click.Command) -> str:
    """The first paragraph of a command's help (its one-line summary), on one line."""
    text = command.short_help or (command.help or "").split("\n\n", 1)[0]
    return " ".join(text.split())


class DoorGroup(PlainHelpGroup):
    """The root command group: every sub-command runs inside its invoke, so all pass here."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BadArgument as exc:
            _one_line(f"Error: {exc}")
            raise typer.Exit(2) from None
        except click_errors.NoArgsIsHelpError:
            raise
        except click_errors.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else _command_of(ctx)
            _one_line(f"Error: {exc.format_message()} (see {command} --help)")
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            # The reader stopped reading (`| head`): nothing went wrong, and nothing more can
            # be said to it. Point stdout at /dev/null so the exit's flush is quiet too.
            quiet_stdout()
            raise typer.Exit(SIGPIPE_EXIT) from None
        except Exception as exc:  # the last door: nothing a user types ends in a traceback
            path = write_crash(exc, _command_of(ctx))
            _one_line(f"internal error, details in {path}")
            raise typer.Exit(1) from None


# What a shell reports for a program ended by SIGPIPE (128 + 13), as `yes | head` shows.
SIGPIPE_EXIT = 141


def quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test runner's buffer)
        pass


def _command_of(ctx: click.Context) -> str:
    """The command's name (e.g. `attendance task`), never its arguments: they may be notes."""
    return " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
