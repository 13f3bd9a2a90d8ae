"""The ``uqscale`` command: a thin shell over the Python API.

Heavy libraries (numpy, chaospy, SALib, Dask) are imported inside the commands
that need them, so ``uqscale --help`` and ``uqscale validate`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

CLUSTER_KINDS = ("local", "address", "scheduler_file", "slurm", "pbs", "sge", "lsf")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uqscale",
        description="Uncertainty quantification of multi-scale models on Dask.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a study file and its models")
    validate.add_argument("study", type=Path, help="study file (YAML)")

    run = commands.add_parser("run", help="run a study (or finish its unfinished run) and "
                                          "analyse it")
    run.add_argument("study", type=Path, help="study file (YAML)")
    run.add_argument("--out", type=Path, help="run folder (default: output.directory or "
                                              "runs/STUDY)")
    run.add_argument("--force", action="store_true",
                     help="if the folder holds a run of a different study, start afresh in a "
                          "new folder beside it")
    _execution_options(run)

    resume = commands.add_parser("resume", help="finish an interrupted run")
    resume.add_argument("directory", type=Path, help="run folder")
    resume.add_argument("--workers", type=int, help="local Dask workers")
    resume.add_argument("--batch-size", type=int, help="samples per task")
    resume.add_argument("--retry-failed", action="store_true",
                        help="run failed samples again (timeouts and lost workers always are)")
    resume.add_argument("--quiet", action="store_true", help="print only errors")

    status = commands.add_parser("status", help="done, failed and pending samples of a run")
    status.add_argument("directory", type=Path, help="run folder")

    analyze = commands.add_parser("analyze", help="analyse a run again without running models")
    analyze.add_argument("directory", type=Path, help="run folder")
    analyze.add_argument("--study", type=Path,
                         help="take the analyses from this study file (same inputs and models)")
    analyze.add_argument("--quiet", action="store_true", help="print only errors")
    return parser


def _execution_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("execution (override the study's execution:)")
    group.add_argument("--cluster", choices=CLUSTER_KINDS, help="where to run")
    group.add_argument("--workers", type=int, help="local Dask workers")
    group.add_argument("--jobs", type=int, help="batch jobs (slurm, pbs, sge, lsf)")
    group.add_argument("--profile", help="cluster profile: a name in cluster/profiles/ or a "
                                         "YAML file")
    group.add_argument("--address", help="scheduler address, tcp://host:port")
    group.add_argument("--scheduler-file", help="scheduler file written by dask scheduler")
    group.add_argument("--batch-size", type=int, help="samples per task (default: automatic)")
    group.add_argument("--retry-failed", action="store_true",
                       help="when finishing a run, run failed samples again")
    group.add_argument("--quiet", action="store_true", help="print only errors")


def _load(path: Path):
    from uqscale.study.files import load_study

    return load_study(path)


def _check_models(study) -> None:
    from uqscale.models.evaluate import Pipeline

    Pipeline.from_study(study).check()


def _overridden(study, args: argparse.Namespace):
    """The study with the command line's execution options applied (validated)."""
    import dataclasses

    changes = {key: getattr(args, key) for key in
               ("cluster", "workers", "jobs", "profile", "address", "scheduler_file")
               if getattr(args, key, None) is not None}
    if args.address and not args.cluster:
        changes["cluster"] = "address"
    if args.scheduler_file and not args.cluster:
        changes["cluster"] = "scheduler_file"
    if not changes:
        return study
    from uqscale.errors import StudyError

    try:
        return study.replace(execution=dataclasses.replace(study.execution, **changes))
    except StudyError as error:
        raise StudyError("--" + error.path.removeprefix("execution.").replace("_", "-"),
                         error.message) from None


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the study, import its models, and say so."""
    study = _load(args.study)
    _check_models(study)
    print(f"{args.study}: study '{study.name}' is valid: {len(study.inputs)} inputs, "
          f"{len(study.models)} model steps, {len(study.analysis)} analyses")
    return 0


def _report(result, quiet: bool) -> None:
    from uqscale.report.table import indices_table

    if not quiet:
        print(indices_table(result.indices))
        print(f"run folder: {result.directory}")


def cmd_run(args: argparse.Namespace) -> int:
    """Run the study end to end (or finish its run) and print the indices."""
    from uqscale.api import run
    from uqscale.study.files import read_study_text

    study = _overridden(_load(args.study), args)
    _check_models(study)
    result = run(study, args.out, given_text=read_study_text(args.study),
                 batch_size=args.batch_size, force=args.force,
                 retry_failed=args.retry_failed, progress=None if not args.quiet else False)
    _report(result, args.quiet)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    """Compute what a run is missing, then analyse."""
    from uqscale.api import resume

    result = resume(args.directory, batch_size=args.batch_size, retry_failed=args.retry_failed,
                    progress=None if not args.quiet else False, workers=args.workers)
    if not args.quiet:
        print(f"ran {result.ran} samples")
    _report(result, args.quiet)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print done / failed / pending counts and the failure reasons."""
    from uqscale.status import format_status, run_status

    print(format_status(run_status(args.directory)))
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse the stored results again."""
    from uqscale.api import analyze

    result = analyze(args.directory, _load(args.study) if args.study else None)
    _report(result, args.quiet)
    return 0


COMMANDS = {"validate": cmd_validate, "run": cmd_run, "resume": cmd_resume,
            "status": cmd_status, "analyze": cmd_analyze}


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
        print("interrupted: finished batches are stored; `uqscale resume` goes on",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
