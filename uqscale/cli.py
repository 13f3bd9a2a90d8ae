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
    _set_option(validate)

    run = commands.add_parser("run", help="run a study (or finish its unfinished run) and "
                                          "analyse it")
    run.add_argument("study", type=Path, help="study file (YAML)")
    run.add_argument("--out", type=Path, help="run folder (default: output.directory or "
                                              "runs/STUDY)")
    run.add_argument("--force", action="store_true",
                     help="if the folder holds a run of a different study, start afresh in a "
                          "new folder beside it")
    _set_option(run)
    _execution_options(run)

    verify = commands.add_parser("verify", help="run a study's verification cases (known "
                                                "answers) in this process")
    verify.add_argument("study", type=Path, help="study file (YAML)")
    verify.add_argument("--json", type=Path, metavar="PATH",
                        help="also write the results to PATH (JSON)")
    verify.add_argument("--case", action="append", metavar="NAME",
                        help="run only this case (repeatable)")
    _set_option(verify)

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

    report = commands.add_parser("report", help="rebuild a run's report from its folder "
                                                "(no models run)")
    report.add_argument("directory", type=Path, help="run folder")
    report.add_argument("--format", choices=("html", "md"), default="html",
                        help="html: write DIR/report.html and print its path (default); "
                             "md: print a Markdown summary")
    _serve_parser(commands)   # uqscale serve (uqscale.serve, issue 23)
    return parser


def _serve_parser(commands) -> None:
    serve = commands.add_parser("serve", help="serve a study's model graph as a UM-Bridge "
                                              "model (needs the umbridge extra)")
    serve.add_argument("study", type=Path, help="study file (YAML)")
    serve.add_argument("--step", help="serve this step's outputs (default: the last step)")
    serve.add_argument("--port", type=int, default=4242, help="TCP port (default 4242)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--name", help="the model's name on the server (default: the study's)")
    serve.add_argument("--workers", type=int, default=1,
                       help="evaluations run at once, in threads (default 1)")
    _set_option(serve)


def _set_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         dest="overrides",
                         help="change a study field before validation, by dotted path with "
                              "list entries by number, e.g. analysis.0.order=2 (repeatable)")


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


def _load(path: Path, overrides: Sequence[str] = ()):
    return _load_given(path, overrides)[0]


def _load_given(path: Path, overrides: Sequence[str] = ()):
    """The study with ``--set`` overrides applied, and its text as given."""
    from uqscale.study.overrides import load_overridden

    return load_overridden(path, overrides)


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
    study = _load(args.study, args.overrides)
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

    study, given_text = _load_given(args.study, args.overrides)
    study = _overridden(study, args)
    result = run(study, args.out, given_text=given_text,
                 batch_size=args.batch_size, force=args.force,
                 retry_failed=args.retry_failed, progress=None if not args.quiet else False)
    _report(result, args.quiet)
    _report_verification(result.directory, args.quiet)
    return 0


def _report_verification(directory: Path, quiet: bool) -> None:
    """One line on the run's verification cases, if it has any."""
    import json

    path = directory / "verification.json"
    if path.is_file():
        cases = json.loads(path.read_text(encoding="utf-8"))
        failed = [c["name"] for c in cases if not c["passed"]]
        if failed or not quiet:
            print(f"verification: {len(cases) - len(failed)} of {len(cases)} cases passed"
                  + (f"; FAILED: {', '.join(failed)}" if failed else "") + f" ({path})")


def cmd_verify(args: argparse.Namespace) -> int:
    """Run the study's verification cases; exit 1 if any fails."""
    from uqscale.verify import format_results, verify_study, write_results

    study = _load(args.study, args.overrides)
    if not study.verification:
        print(f"{args.study}: study '{study.name}' has no verification cases")
        return 0
    results = verify_study(study, args.case)
    print(format_results(results))
    if args.json:
        write_results(results, args.json)
    return 0 if all(r.passed for r in results) else 1


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


def cmd_report(args: argparse.Namespace) -> int:
    """Write report.html (print its path) or print the Markdown summary."""
    if args.format == "md":
        from uqscale.report.markdown import markdown_report

        print(markdown_report(args.directory))
    else:
        from uqscale.report.html import write_report

        print(write_report(args.directory))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the study's model graph (or one step of it) until interrupted."""
    from uqscale.serve import LOOPBACK, StudyModel, serve_models

    model = StudyModel(_load(args.study, args.overrides), args.step, args.name)
    inputs = ", ".join(model.study.input_names)
    outputs = ", ".join(f"{o.name} [{n}]" for o, n in zip(model.step.outputs, model.sizes,
                                                            strict=True))
    print(f"serving step '{model.step.name}' of study '{model.study.name}' as UM-Bridge "
          f"model '{model.name}' on http://{args.host}:{args.port}: input [{inputs}], "
          f"outputs {outputs}", flush=True)
    if args.host not in LOOPBACK:
        print(f"warning: listening on {args.host}: whoever reaches this port can run the "
              f"model", file=sys.stderr)
    serve_models([model], args.host, args.port, args.workers)
    return 0


COMMANDS = {"validate": cmd_validate, "run": cmd_run, "resume": cmd_resume,
            "status": cmd_status, "analyze": cmd_analyze, "verify": cmd_verify,
            "report": cmd_report, "serve": cmd_serve}


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
