"""The ``uqscale`` command: a thin shell over the Python API.

Heavy libraries (numpy, chaospy, SALib, Dask) are imported inside the commands
that need them, so ``uqscale --help`` and ``uqscale validate`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uqscale",
        description="Uncertainty quantification of multi-scale models on Dask.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a study file and its models")
    validate.add_argument("study", type=Path, help="study file (YAML)")

    run = commands.add_parser("run", help="run a study and analyse it")
    run.add_argument("study", type=Path, help="study file (YAML)")
    run.add_argument("--out", type=Path, help="run folder (default: output.directory or "
                                              "runs/STUDY)")
    run.add_argument("--workers", type=int, help="local Dask workers (execution.workers)")
    run.add_argument("--batch-size", type=int, help="samples per task (default: automatic)")
    run.add_argument("--quiet", action="store_true", help="print only errors")
    return parser


def _load(path: Path):
    from uqscale.study.files import load_study

    return load_study(path)


def _check_models(study) -> None:
    from uqscale.models.loading import load_callable

    for index, step in enumerate(study.models):
        load_callable(step.python, study.base_dir, f"models[{index}].python")


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the study, import its models, and say so."""
    study = _load(args.study)
    _check_models(study)
    print(f"{args.study}: study '{study.name}' is valid: {len(study.inputs)} inputs, "
          f"{len(study.models)} model steps, {len(study.analysis)} analyses")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the study end to end and print the indices."""
    import dataclasses

    from uqscale.api import run
    from uqscale.report.table import indices_table
    from uqscale.study.files import read_study_text

    study = _load(args.study)
    if args.workers is not None:
        if args.workers < 1:
            from uqscale.errors import StudyError

            raise StudyError("--workers", f"must be at least 1 (got {args.workers})")
        study = study.replace(execution=dataclasses.replace(study.execution,
                                                            workers=args.workers))
    _check_models(study)
    result = run(study, args.out, given_text=read_study_text(args.study),
                 batch_size=args.batch_size)
    if not args.quiet:
        print(indices_table(result.indices))
        print(f"run folder: {result.directory}")
    return 0


COMMANDS = {"validate": cmd_validate, "run": cmd_run}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``uqscale`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    from uqscale.errors import UqscaleError

    try:
        return COMMANDS[args.command](args)
    except UqscaleError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
