"""The ``dataprep`` command line.

Each subcommand lives in ``dataprep.commands.<name>`` and is imported only when it runs,
so ``dataprep --help`` never imports torch, presidio or faster-whisper. Errors become one
line and an exit code here, in one place; ``--debug`` re-raises them with a traceback.

Exit codes: 0 success, 1 the run finished but the data failed a check (``validate``),
2 the tool could not do its job (bad input, bad options, missing dependency).
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import click

from dataprep.errors import DataprepError

__all__ = ["COMMANDS", "main"]

#: name -> (module, one-line help). Modules are imported lazily.
COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("dataprep.commands.chat", "Turn chat exports into conversation JSONL for SFT."),
    "clean": ("dataprep.commands.clean", "Dedupe, scrub PII and split a conversation JSONL file."),
    "voice": (
        "dataprep.commands.voice",
        "Turn recordings into sliced, transcribed clips and lists.",
    ),
    "validate": ("dataprep.commands.validate", "Check a dataset against what trainers accept."),
    "report": (
        "dataprep.commands.report",
        "Write an offline HTML report (and dataset card) for a dataset.",
    ),
    "convert": ("dataprep.commands.convert", "Map a dataset's columns onto a trainer format."),
    "bootstrap": ("dataprep.commands.bootstrap", "Generate synthetic samples from seed examples."),
    "stages": ("dataprep.commands.stages", "List the pipeline stages and their parameters."),
    "recipes": ("dataprep.commands.recipes", "List or print the built-in recipes."),
    "schemas": ("dataprep.commands.schemas", "Write the JSON Schemas of the record formats."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, short_help = COMMANDS[cmd_name]
        module = importlib.import_module(module_name)
        command: click.Command = module.command
        command.short_help = command.short_help or short_help
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="finetune-dataprep", prog_name="dataprep")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Turn raw chat logs, voice recordings and datasets into training data you can trust."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C so staged outputs and spools are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


def _on_terminate(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


def _install_signal_handlers() -> None:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _on_terminate)


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _describe_os_error(error: OSError) -> str:
    """One line for a file system error; a full disk says the old outputs are intact."""
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or str(error)
    if error.errno in _WRITE_ERRNOS or "os error 28" in str(error):
        return f"{where}cannot write the outputs ({reason}); the previous outputs are unchanged"
    return where + reason


def _printable(text: str) -> str:
    """``text`` safe to print: lone surrogates (from non-UTF-8 names) become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def main(argv: list[str] | None = None) -> Any:
    """Entry point: runs the CLI and turns ``DataprepError`` into one line and an exit code.

    Exit codes: 0 done, 1 the data failed a check, 2 could not do the job (including file
    system errors such as a full disk), 130 Ctrl-C, 143 SIGTERM.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    if argv is None:
        _install_signal_handlers()
    try:
        return cli.main(args=args, prog_name="dataprep", standalone_mode=False)
    except click.exceptions.Abort as error:
        # click turns KeyboardInterrupt (and our SIGTERM's Terminated) into Abort.
        click.echo(
            "Aborted; the outputs are either all from before this run or all from it.", err=True
        )
        sys.exit(getattr(error.__cause__, "exit_code", 130))
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as error:
        sys.exit(error.exit_code)
    except DataprepError as error:
        if debug:
            raise
        click.echo(_printable(f"Error: {error}"), err=True)
        sys.exit(error.exit_code)
    except OSError as error:
        # A file system failure no check caught (disk full, I/O error): one line, exit 2.
        if debug:
            raise
        click.echo(_printable(f"Error: {_describe_os_error(error)}"), err=True)
        sys.exit(2)
    except KeyboardInterrupt as error:
        if debug:
            raise
        click.echo(
            "Interrupted; the outputs are either all from before this run or all from it.", err=True
        )
        sys.exit(getattr(error, "exit_code", 130))
