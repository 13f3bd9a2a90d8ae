"""External programs as model steps: a fresh work directory and one process per sample.

For each sample the step's templates are rendered into a new work directory, the
program runs there with an argument list (never a shell) as the leader of its own
process group, so that a timeout kills it and everything it started, and its outputs
are read from a JSON or CSV file or by a parser entry point. Whatever goes wrong with
one sample (an exit code, a timeout, a missing output) raises :class:`SampleFailedError`
for that sample only; what no sample can survive (a missing program, a template
naming an unknown variable) raises :class:`StudyError`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uqscale.errors import StudyError
from uqscale.models.loading import load_callable
from uqscale.study import fields
from uqscale.study.model import ModelStep
from uqscale.study.templates import check_template, render

STDOUT_FILE, STDERR_FILE = "stdout.txt", "stderr.txt"
TAIL_LINES = 20
TAIL_BYTES = 8192
MKDIR_ATTEMPTS = 3


class SampleFailedError(Exception):
    """One sample of a command step failed; the run goes on.

    Parameters
    ----------
    kind
        Recorded as the failure's error: ``CommandFailed``, ``CommandTimeout``,
        ``MissingOutput`` or ``MalformedOutput``.
    message
        One line saying what happened (exit code, timeout).
    details
        Recorded instead of a traceback: the work directory and the end of stderr.
    """

    def __init__(self, kind: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details


@dataclass(frozen=True)
class Command:
    """A command step ready to run anywhere: program found, templates read and checked.

    Build it with :meth:`from_step` where the study folder is (the launcher); it is
    sent to the workers with the rest of the pipeline.
    """

    step: ModelStep
    index: int
    program: str
    templates: Mapping[str, str]
    base_dir: Path | None

    @classmethod
    def from_step(cls, step: ModelStep, index: int, base_dir: Path | None) -> Command:
        """Resolve the program and read the templates of ``models[index]``.

        Parameters
        ----------
        step
            The study's command step.
        index
            Its position in the study's ``models`` list (errors name ``models[index]``).
        base_dir
            The study file's folder (None: the current folder), where a program written
            as a path and the templates are looked up.

        Returns
        -------
        Command
            The step with its program's absolute path and its templates' texts.

        Raises
        ------
        StudyError
            At ``models[i].command[0]`` for a program that cannot be found, at
            ``models[i].files.TARGET`` for a template that cannot be read or names
            a variable that is neither an input nor a parameter of the step.
        """
        path = f"models[{index}]"
        assert step.command is not None  # built only for a command step
        program = find_program(step.command[0], base_dir, f"{path}.command[0]")
        known = (*step.inputs, *step.parameters)
        templates = {}
        for target, source in step.files.items():
            where = fields.join(f"{path}.files", target)
            templates[target] = read_template(source, base_dir, where)
            check_template(templates[target], known, where)
        return cls(step, index, program, templates, base_dir)

    def run(self, root: Path, sample: int, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Run the program for one sample and return its outputs by name.

        Parameters
        ----------
        root
            Folder holding the work directories (``root/STEP/SAMPLE``).
        sample
            The sample's index in the design, naming its work directory.
        arguments
            Values of the step's inputs for this sample.

        Returns
        -------
        dict[str, Any]
            ``{output name: value}``, every declared output present.

        Raises
        ------
        SampleFailedError
            For a non-zero exit, a timeout, or a missing or unreadable output.
        """
        workdir = fresh_workdir(root, self.step.name, sample)
        succeeded = False
        try:
            argv = self._render(workdir, {**self.step.parameters, **arguments})
            execute(
                argv,
                workdir,
                self.step.timeout,
                f"models[{self.index}].command[0]",
                kept=self.step.workdirs != "remove",
            )
            outputs = self._read_outputs(workdir)
            succeeded = True
            return outputs
        finally:
            if self.step.workdirs == "remove" or (
                succeeded and self.step.workdirs == "keep_failed"
            ):
                shutil.rmtree(workdir, ignore_errors=True)

    def _render(self, workdir: Path, values: Mapping[str, Any]) -> list[str]:
        """Write the step's files into ``workdir``; return the argument list."""
        for target, text in self.templates.items():
            (workdir / target).parent.mkdir(parents=True, exist_ok=True)
            (workdir / target).write_text(render(text, values), encoding="utf-8")
        assert self.step.command is not None  # built only for a command step
        return [self.program, *(render(a, values) for a in self.step.command[1:])]

    def _read_outputs(self, workdir: Path) -> dict[str, Any]:
        """The outputs from the results file or the parser; all declared ones present."""
        step = self.step
        if step.parser is not None:
            where = f"models[{self.index}].parser"
            returned = load_callable(step.parser, self.base_dir, where)(workdir)
            if not isinstance(returned, Mapping):
                raise StudyError(
                    where,
                    f"'{step.parser}' must return a mapping from output "
                    f"name to value (got {type(returned).__name__})",
                )
            source = f"parser '{step.parser}'"
        else:
            scalars = {o.name for o in step.outputs if not o.dims}
            assert step.results is not None  # a command step without a parser has one
            returned = read_results(workdir / step.results.file, step.results.format, scalars)
            source = step.results.file
        missing = [name for name in step.output_names if name not in returned]
        if missing:
            given = ", ".join(map(str, returned)) or "nothing"
            raise SampleFailedError(
                "MissingOutput",
                f"{source} gave no output {', '.join(map(repr, missing))} (it gave: {given})",
            )
        return dict(returned)


def find_program(program: str, base_dir: Path | None, path: str) -> str:
    """The absolute path of ``program``, found as a shell finds it: a name written as a
    path (holding a ``/``, e.g. ``./heat``) relative to the study folder, a bare name
    (``python3``) on PATH only, never in the study folder.

    Parameters
    ----------
    program
        The first item of the step's ``command:`` list.
    base_dir
        The study file's folder (None: the current folder).
    path
        The field path an error names (``models[i].command[0]``).

    Returns
    -------
    str
        The program's absolute path (a symbolic link is kept, not resolved).

    Raises
    ------
    StudyError
        At ``path`` if it is not there or cannot be executed.
    """
    if "/" not in program:
        found = shutil.which(program)
        if found is None:
            raise StudyError(
                path,
                f"program '{program}' not found on PATH (write a program "
                f"of the study folder as a path: './{program}')",
            )
        return os.path.abspath(found)
    folder = base_dir if base_dir is not None else Path.cwd()
    local = folder / program
    if not local.is_file():
        raise StudyError(path, f"program '{program}' not found (looked in {folder})")
    if not os.access(local, os.X_OK):
        raise StudyError(path, f"'{local}' is not executable (chmod +x it)")
    return os.path.abspath(local)  # not resolve(): a venv's python is a symlink


def read_template(source: str, base_dir: Path | None, path: str) -> str:
    """The text of the template ``source``, a path relative to the study folder.

    Parameters
    ----------
    source
        The template's file name, as the step's ``files:`` mapping gives it.
    base_dir
        The study file's folder (None: the current folder).
    path
        The field path an error names (``models[i].files.TARGET``).

    Returns
    -------
    str
        The template's text (UTF-8).

    Raises
    ------
    StudyError
        If the file cannot be read or is not UTF-8 text.
    """
    folder = base_dir if base_dir is not None else Path.cwd()
    try:
        return (folder / source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise StudyError(path, f"cannot read template '{source}' in {folder} ({reason})") from None


def fresh_workdir(root: Path, step: str, sample: int) -> Path:
    """An empty ``root/STEP/SAMPLE`` (a leftover of an earlier attempt is removed).

    Nothing is followed through a symbolic link (a run folder may come from someone
    else): a link where ``root``, ``STEP`` or ``SAMPLE`` belongs is removed, never its
    target, and only real folders are removed recursively.

    Parameters
    ----------
    root
        The folder holding every step's work directories.
    step
        The step's name (one folder per step).
    sample
        The sample's index in the design (its folder is named with six digits).

    Returns
    -------
    Path
        The new, empty work directory.
    """
    workdir = root / step / f"{sample:06d}"
    for attempt in range(MKDIR_ATTEMPTS):
        try:
            for folder in (root, root / step):
                _real_folder(folder)
            if workdir.is_symlink():
                workdir.unlink()
            elif workdir.exists():
                shutil.rmtree(workdir)
            workdir.mkdir()
            return workdir
        except FileNotFoundError:
            # Another worker pruned the empty parent between our two mkdirs.
            if attempt == MKDIR_ATTEMPTS - 1:
                raise
    return workdir


def _real_folder(folder: Path) -> None:
    """Make ``folder`` exist as a real folder, removing a symbolic link in its place."""
    if folder.is_symlink():
        folder.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)


def prune_workdirs(root: Path, step: str) -> None:
    """Remove the step's folder under ``root``, then ``root``, if they are empty (so a
    run that keeps no work directory leaves no trace).

    Parameters
    ----------
    root
        The folder holding every step's work directories.
    step
        The step whose folder goes first.
    """
    for folder in (root / step, root):
        try:
            folder.rmdir()
        except OSError:  # missing, or holding kept work directories
            break


def execute(
    argv: list[str], workdir: Path, timeout: float | None, path: str, kept: bool = True
) -> None:
    """Run ``argv`` in ``workdir`` without a shell, as a new process group.

    Standard output and error go to ``stdout.txt`` and ``stderr.txt`` there. On
    timeout the whole process group is killed.

    Parameters
    ----------
    argv
        The program's absolute path and its rendered arguments.
    workdir
        The sample's work directory: the program's current folder.
    timeout
        Seconds the program may run (None: no limit).
    path
        The field path a program that cannot start is reported at.
    kept
        Whether the work directory stays after the sample (said in a failure's details).

    Raises
    ------
    SampleFailedError
        ``CommandTimeout`` or ``CommandFailed`` (non-zero exit, or killed by a signal).
    StudyError
        At ``path`` if the program cannot be started at all.
    """
    with open(workdir / STDOUT_FILE, "wb") as out, open(workdir / STDERR_FILE, "wb") as err:
        try:
            process = subprocess.Popen(
                argv,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as error:
            raise StudyError(path, f"cannot run '{argv[0]}' ({error.strerror or error})") from None
    name = Path(argv[0]).name
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        message = f"'{name}' timed out after {timeout:g} s; its process group was killed"
        raise SampleFailedError("CommandTimeout", message, details(workdir, kept)) from None
    except BaseException:
        kill_group(process)
        raise
    if code != 0:
        message = f"'{name}' failed with {exit_status(code)}"
        raise SampleFailedError("CommandFailed", message, details(workdir, kept))


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the process group led by ``process`` and reap its leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def exit_status(code: int) -> str:
    """Describe a return code of :class:`subprocess.Popen`.

    Examples
    --------
    >>> exit_status(3), exit_status(-6)
    ('exit code 3', 'exit code -6 (killed by signal SIGABRT)')
    """
    if code >= 0:
        return f"exit code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    return f"exit code {code} (killed by signal {name})"


def details(workdir: Path, kept: bool) -> str:
    """Where the sample ran and the last lines it wrote to stderr (else stdout).

    Parameters
    ----------
    workdir
        The sample's work directory, holding ``stdout.txt`` and ``stderr.txt``.
    kept
        Whether it stays after the sample (else the text says it was removed).

    Returns
    -------
    str
        The failure's details, recorded instead of a traceback.
    """
    where = f"work directory: {workdir}" + ("" if kept else " (removed)")
    for stream in (STDERR_FILE, STDOUT_FILE):
        lines = tail(workdir / stream)
        if lines:
            return f"{where}\n{stream} (last lines):\n{lines}"
    return f"{where}\nnothing on stdout or stderr"


def tail(file: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``file`` (at most the last 8 KiB), or ``""``.

    Parameters
    ----------
    file
        A text file a program wrote (undecodable bytes are replaced).
    lines
        How many lines, at most.

    Returns
    -------
    str
        Those lines joined by newlines; ``""`` for a file that is empty or cannot be read.
    """
    try:
        with open(file, "rb") as stream:
            stream.seek(max(0, stream.seek(0, os.SEEK_END) - TAIL_BYTES))
            text = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def read_results(file: Path, format: str | None, scalars: set[str]) -> Mapping[str, Any]:
    """Outputs from a JSON object or a CSV table (a column per output; the one value
    of a column in ``scalars`` is returned bare).

    Parameters
    ----------
    file
        The results file in a sample's work directory.
    format
        ``"json"``; anything else reads the file as CSV.
    scalars
        The names of the scalar outputs (one value each).

    Returns
    -------
    Mapping
        ``{output name: value}`` as the file gives them.

    Raises
    ------
    SampleFailedError
        ``MissingOutput`` if the file was not written, ``MalformedOutput`` if it does
        not parse.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"the program wrote no {file.name}"
        raise SampleFailedError("MissingOutput", message) from None
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read {file.name} ({error})"
        raise SampleFailedError("MalformedOutput", message) from None
    try:
        if format == "json":
            return _json_object(text)
        return _csv_columns(text, scalars)
    except ValueError as error:
        message = f"{file.name} is not valid {format}: {error}"
        raise SampleFailedError("MalformedOutput", message) from None


def _json_object(text: str) -> Mapping[str, Any]:
    data = json.loads(text)
    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object of outputs, got {type(data).__name__}")
    return data


def _csv_columns(text: str, scalars: set[str]) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValueError("empty file")
    header = [name.strip() for name in rows[0]]
    columns: dict[str, Any] = {}
    for k, name in enumerate(header):
        cells = [row[k].strip() for row in rows[1:] if k < len(row) and row[k].strip()]
        values = [float(cell) for cell in cells]
        columns[name] = values[0] if name in scalars and len(values) == 1 else values
    return columns
