"""A Dask worker plugin that prepares every worker of a run, including workers that
join later (batch jobs starting one by one): the study folder on ``sys.path`` for
the whole run (a model may import a helper module inside its function), Ctrl-C left
to the launcher, and distributed's repeats of failures uqscale records silenced."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from distributed import Client, Worker, WorkerPlugin

PLUGIN_NAME = "uqscale-study-folder"


class StudyFolderPlugin(WorkerPlugin):
    """Puts ``folder`` first on each worker's import path while the plugin is
    registered.

    Parameters
    ----------
    folder
        The study file's folder (None: only the other preparations).
    """

    name = PLUGIN_NAME

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = None if folder is None else str(Path(folder).resolve())
        self._sigint: signal.Handlers | Callable[[int, FrameType | None], Any] | int | None = None

    def setup(self, worker: Worker) -> None:
        from uqscale.log import silence_dask_repeats

        if self.folder is not None and self.folder not in sys.path:
            sys.path.insert(0, self.folder)
        silence_dask_repeats()
        with contextlib.suppress(ValueError):  # only possible in the main thread
            self._sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def teardown(self, worker: Worker) -> None:
        if self.folder is not None and self.folder in sys.path:
            sys.path.remove(self.folder)
        if self._sigint is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGINT, self._sigint)


@contextlib.contextmanager
def study_folder_on_workers(client: Client, folder: Path | None) -> Iterator[None]:
    """Register :class:`StudyFolderPlugin` on ``client`` for the ``with`` block.

    Parameters
    ----------
    client
        The Dask client of the run.
    folder
        The study's folder, put on the workers' ``sys.path`` (None: nothing to add).

    Yields
    ------
    None
        While the plugin is registered; it is unregistered on leaving.
    """
    client.register_plugin(StudyFolderPlugin(folder), name=PLUGIN_NAME)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a scheduler already gone
            # distributed leaves Client.unregister_worker_plugin unannotated
            client.unregister_worker_plugin(PLUGIN_NAME)  # type: ignore[no-untyped-call]
