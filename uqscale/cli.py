"""The ``uqscale`` command: a thin shell over the Python API.

Heavy libraries (numpy, chaospy, SALib, Dask) are imported inside the commands
that need them, so ``uqscale --help`` and ``uqscale validate`` answer at once.
Exit codes are those of :mod:`uqscale.exitcodes`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uqscale.execute.kinds import BATCH_KINDS, CLUSTERS
from uqscale.exitcodes import ExitCode

if TYPE_CHECKING:
    from uqscale.api import RunOptions, RunResult
    from uqscale.study.model import Study

logger = logging.getLogger("uqscale")


class _Version(argparse.Action):
    """``--version``: looked up only when asked (importlib.metadata takes 0.1 s)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from importlib import metadata

        try:
            version = metadata.version("uqscale")
        except metadata.PackageNotFoundError:
            from uqscale import __version__ as version
        print(f"uqscale {version}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="debug messages and tracebacks (repeatable)",
    )
    parser = argparse.ArgumentParser(
        prog="uqscale",
        parents=[verbose],
        description="Uncertainty quantification of multi-scale models on Dask.",
        epilog="exit codes: 0 done, every analysis computed; 1 runtime error; 2 study "
        "error; 3 some analyses not computed; 4 every sample failed; 5 stopped "
        "early on a failing model; 130 interrupted; 141 closed output pipe",
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=partial(argparse.ArgumentParser, parents=[verbose]),  # type: ignore[call-overload]
    )

    validate = commands.add_parser("validate", help="check a study file and its models")
    validate.add_argument("study", type=Path, help="study file (YAML)")
    validate.add_argument(
        "--try",
        action="store_true",
        dest="try_medians",
        help="also call vectorised steps on a tiny batch of medians",
    )
    _set_option(validate)

    run = commands.add_parser(
        "run", help="run a study (or finish its unfinished run) and analyse it"
    )
    run.add_argument("study", type=Path, help="study file (YAML)")
    run.add_argument(
        "--out", type=Path, help="run folder (default: output.directory or runs/STUDY)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="if the folder holds a run of a different study, start afresh in a "
        "new folder beside it",
    )
    _set_option(run)
    _execution_options(run)
    _session_options(run)

    verify = commands.add_parser(
        "verify", help="run a study's verification cases (known answers) in this process"
    )
    verify.add_argument("study", type=Path, help="study file (YAML)")
    verify.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the results to PATH (JSON)"
    )
    verify.add_argument(
        "--case", action="append", metavar="NAME", help="run only this case (repeatable)"
    )
    _set_option(verify)

    resume = commands.add_parser("resume", help="finish an interrupted run")
    resume.add_argument("directory", type=Path, help="run folder")
    resume.add_argument("--workers", type=int, help="local Dask workers")
    resume.add_argument("--batch-size", type=int, help="samples per task")
    _session_options(resume)

    status = commands.add_parser("status", help="done, failed and pending samples of a run")
    status.add_argument("directory", type=Path, help="run folder")

    analyze = commands.add_parser("analyze", help="analyse a run again without running models")
    analyze.add_argument("directory", type=Path, help="run folder")
    analyze.add_argument(
        "--study", type=Path, help="take the analyses from this study file (same inputs and models)"
    )
    analyze.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="change a field of the study (--study, or the run's own) "
        "before analysing, e.g. analysis.0.conf_level=0.9 (repeatable)",
    )
    analyze.add_argument(
        "--no-report",
        action="store_false",
        dest="report",
        default=None,
        help="do not write report.html",
    )
    analyze.add_argument("--quiet", action="store_true", help="print only errors")

    report = commands.add_parser(
        "report", help="rebuild a run's report from its folder (no models run)"
    )
    report.add_argument("directory", type=Path, help="run folder")
    report.add_argument(
        "--format",
        choices=("html", "md"),
        default="html",
        help="html: write DIR/report.html and print its path (default); "
        "md: print a Markdown summary",
    )
    _serve_parser(commands)  # uqscale serve (uqscale.serve, issue 23)
    predict = commands.add_parser(
        "predict", help="evaluate a run's stored PCE surrogate at the points of a file"
    )
    predict.add_argument("directory", type=Path, help="run folder")
    predict.add_argument("--output", required=True, help="the output whose surrogate to use")
    predict.add_argument(
        "--inputs", required=True, type=Path, help="CSV (a column per input) or netCDF file"
    )
    predict.add_argument(
        "--out",
        type=Path,
        help="file to write, .nc for netCDF, else CSV (default: DIR/predictions-OUTPUT.csv)",
    )
    predict.add_argument("--analysis", help="label of the PCE analysis (default: the first)")
    return parser


def _serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="serve a study's model graph as a UM-Bridge model (needs the umbridge extra)"
    )
    serve.add_argument(
        "study", type=Path, help="study file (YAML), or with --surrogate a run folder"
    )
    serve.add_argument(
        "--surrogate",
        metavar="OUTPUT",
        help="serve the PCE surrogate of OUTPUT stored in the run folder (no model runs)",
    )
    serve.add_argument("--step", help="serve this step's outputs (default: the last step)")
    serve.add_argument("--port", type=int, default=4242, help="TCP port (default 4242)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only)",
    )
    serve.add_argument("--name", help="the model's name on the server (default: the study's)")
    serve.add_argument(
        "--workers", type=int, default=1, help="evaluations run at once, in threads (default 1)"
    )
    _set_option(serve)


def _set_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="change a study field before validation, by dotted path with "
        "list entries by number, e.g. analysis.0.order=2 (repeatable)",
    )


def _execution_options(command: argparse.ArgumentParser) -> None:
    group = command.add_argument_group("execution (override the study's execution:)")
    group.add_argument(
        "--cluster",
        choices=CLUSTERS,
        help="where to run (local: the embedded cluster, even for a study small enough "
        "to run in the launcher)",
    )
    group.add_argument("--workers", type=int, help="local Dask workers")
    group.add_argument("--jobs", type=int, help=f"batch jobs ({', '.join(BATCH_KINDS)})")
    group.add_argument(
        "--profile",
        help="cluster profile: a YAML file, or a name: "
        "cluster/profiles/NAME.yaml near the study, else "
        "the packaged one",
    )
    group.add_argument("--address", help="scheduler address, tcp://host:port")
    group.add_argument("--scheduler-file", help="scheduler file written by dask scheduler")
    group.add_argument("--batch-size", type=int, help="samples per task (default: automatic)")


def _session_options(command: argparse.ArgumentParser) -> None:
    retry = command.add_mutually_exclusive_group()
    retry.add_argument(
        "--retry-failed",
        action="store_const",
        const="failed",
        dest="retry",
        default="lost",
        help="run failed samples again (samples of lost workers always are)",
    )
    retry.add_argument(
        "--rerun",
        action="store_const",
        const="all",
        dest="retry",
        help="recompute every sample in place (after a change of the model)",
    )
    command.add_argument(
        "--no-report",
        action="store_false",
        dest="report",
        default=None,
        help="do not write report.html (output.report: false)",
    )
    command.add_argument(
        "--quiet", action="store_true", help="no progress and no summary; errors are always printed"
    )


def _load(path: Path, overrides: Sequence[str] = ()) -> Study:
    return _load_given(path, overrides)[0]


def _load_given(path: Path, overrides: Sequence[str] = ()) -> tuple[Study, str]:
    """The study with ``--set`` overrides applied, and its text as given."""
    from uqscale.study.overrides import load_overridden

    return load_overridden(path, overrides)


def _overridden(study: Study, args: argparse.Namespace) -> Study:
    """The study with the command line's execution options applied (validated)."""
    import dataclasses

    changes = {
        key: getattr(args, key)
        for key in ("cluster", "workers", "jobs", "profile", "address", "scheduler_file")
        if getattr(args, key, None) is not None
    }
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
        raise StudyError(
            "--" + error.path.removeprefix("execution.").replace("_", "-"), error.message
        ) from None


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the study, import its models, check their signatures, and say so."""
    from uqscale.models.signatures import check_models

    study = _load(args.study, args.overrides)
    from uqscale.assimilation.state import checked_study

    ran = check_models(checked_study(study), try_medians=args.try_medians)  # h20c (20.1)
    tried = f" ({ran} vectorised steps ran on medians)" if args.try_medians else ""
    print(
        f"{args.study}: study '{study.name}' is valid: {len(study.inputs)} inputs, "
        f"{len(study.models)} model steps, {len(study.analysis)} analyses{tried}"
    )
    return ExitCode.OK


def _options(args: argparse.Namespace) -> RunOptions:
    """The run options the command line asks for."""
    from uqscale.api import RunOptions

    return RunOptions(
        report=args.report,
        progress=None if not args.quiet else False,
        batch_size=getattr(args, "batch_size", None),
        retry=getattr(args, "retry", "lost"),
        force=getattr(args, "force", False),
        # an explicit --cluster local asks for the cluster even for a small study
        in_process=False if getattr(args, "cluster", None) == "local" else None,
    )


def _finish(result: RunResult, quiet: bool) -> int:
    """Add the inputs to ``results.nc`` (as :func:`uqscale.run` does), print the
    summary (unless quiet) and the closing lines; the exit code."""
    from uqscale.report.table import indices_table
    from uqscale.runs import Run
    from uqscale.status import closing_lines

    result = Run.of(result)

    if not quiet:
        print(
            indices_table(
                result.indices, result.final_outputs, verbose=logger.isEnabledFor(logging.DEBUG)
            )
        )
    sys.stdout.flush()
    for line in closing_lines(
        result.directory,
        result.design.sizes["sample"],
        result.failures,
        result.indices.get("errors", {}),
        result.kept_failed,
    ):
        logger.warning(line)
    if result.warnings:
        logger.warning(
            "models warned %d times (%d kinds, in %s)",
            sum(result.warnings.values()),
            len(result.warnings),
            result.directory / "warnings.json",
        )
    logger.info("run folder: %s", result.directory)
    return result.verdict


def cmd_run(args: argparse.Namespace) -> int:
    """Run the study end to end (or finish its run) and print the indices."""
    from uqscale.api import run

    study, given_text = _load_given(args.study, args.overrides)
    study = _overridden(study, args)
    result = run(study, args.out, given_text=given_text, options=_options(args))
    code = _finish(result, args.quiet)
    _report_verification(result.directory, args.quiet)
    return code


def _report_verification(directory: Path, quiet: bool) -> None:
    """One line on the run's verification cases, if it has any."""
    import json

    path = directory / "verification.json"
    if path.is_file():
        cases = json.loads(path.read_text(encoding="utf-8"))
        failed = [c["name"] for c in cases if not c["passed"]]
        if failed or not quiet:
            print(
                f"verification: {len(cases) - len(failed)} of {len(cases)} cases passed"
                + (f"; FAILED: {', '.join(failed)}" if failed else "")
                + f" ({path})"
            )


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

    result = resume(args.directory, options=_options(args), workers=args.workers)
    logger.info("ran %d samples", result.ran)
    return _finish(result, args.quiet)


def cmd_status(args: argparse.Namespace) -> int:
    """Print done / failed / pending counts and the failure reasons."""
    from uqscale.status import format_status, run_status

    print(format_status(run_status(args.directory)))
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Analyse the stored results again (with the analyses of --study / --set)."""
    from uqscale.api import analyze

    study = given_text = None
    source = args.study
    if source is None and args.overrides:
        source = args.directory / "study.yaml"
    if source is not None:
        study, given_text = _load_given(source, args.overrides)
        if args.study is None:
            from uqscale.store import RunStore

            # The run's own study: models are imported from its original folder.
            study = study.replace(base_dir=RunStore.open(args.directory).study().base_dir)
    result = analyze(
        args.directory, study, study_file=source, given_text=given_text, options=_options(args)
    )
    return _finish(result, args.quiet)


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
    from uqscale.serve import LOOPBACK, StudyModel, SurrogateModel, serve_models

    model: StudyModel | SurrogateModel
    if args.surrogate is not None:
        from uqscale.surrogate import load_surrogate

        model = SurrogateModel(load_surrogate(args.study, args.surrogate), args.name)
        what = f"the surrogate of '{args.surrogate}' in {args.study}"
        inputs, outputs = ", ".join(model.surrogate.inputs), f"{args.surrogate} [{model.size}]"
    else:
        model = StudyModel(_load(args.study, args.overrides), args.step, args.name)
        what = f"step '{model.step.name}' of study '{model.study.name}'"
        inputs = ", ".join(model.study.input_names)
        outputs = ", ".join(
            f"{o.name} [{n}]" for o, n in zip(model.step.outputs, model.sizes, strict=True)
        )
    print(
        f"serving {what} as UM-Bridge model '{model.name}' on "
        f"http://{args.host}:{args.port}: input [{inputs}], outputs {outputs}",
        flush=True,
    )
    if args.host not in LOOPBACK:
        print(
            f"warning: listening on {args.host}: whoever reaches this port can run the model",
            file=sys.stderr,
        )
    serve_models([model], args.host, args.port, args.workers)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Write the stored surrogate's predictions at the points of ``--inputs``."""
    from uqscale.surrogate import load_surrogate, predict_file, write_predictions

    surrogate = load_surrogate(args.directory, args.output, args.analysis)
    out = args.out or args.directory / f"predictions-{args.output}.csv"
    print(write_predictions(predict_file(surrogate, args.inputs), out))
    return ExitCode.OK


COMMANDS = {
    "validate": cmd_validate,
    "run": cmd_run,
    "resume": cmd_resume,
    "status": cmd_status,
    "analyze": cmd_analyze,
    "verify": cmd_verify,
    "report": cmd_report,
    "serve": cmd_serve,
    "predict": cmd_predict,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``uqscale`` console script; returns the exit status
    (:mod:`uqscale.exitcodes`)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.OK
    from uqscale.errors import UqscaleError
    from uqscale.log import configure

    verbosity = getattr(args, "verbose", 0)
    configure(verbosity, quiet=getattr(args, "quiet", False))
    try:
        return COMMANDS[args.command](args)
    except UqscaleError as error:
        for line in error.lines():
            logger.error("%s", line)
        logger.debug("", exc_info=True)
        return error.exit_code
    except KeyboardInterrupt:
        logger.error("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, to nobody.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
