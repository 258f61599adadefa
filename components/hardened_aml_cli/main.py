"""``hardened-aml``: the offline plan of a stack, judged by the policy pack.

``hardened-aml plan [--stack NAME] [--format table|json|markdown|html|sarif] [--out FILE]
[--policy-pack DIR [--policy-config FILE]]... [--project-dir DIR] [--quiet]`` runs the very
program ``pulumi up`` runs, with that stack's config from ``stacks/``, under Pulumi's own test engine (no
credentials, no network), then evaluates the policy pack over every planned resource through the pack's
real plugin protocol (``Analyze`` / ``AnalyzeStack`` over gRPC, as the Pulumi CLI calls it).

Exit codes: 0 no mandatory violation; 1 at least one mandatory violation; 2 bad input (unknown stack,
invalid config or stack file, bad flag, bad policy config, missing pack folder, unwritable ``--out``), with one
line naming what is wrong and what is allowed, checked before planning where it can be; 3 the program failed.

Heavy modules (grpc, jinja2, pulumi) are imported only when a command needs them, so ``--help`` is quick.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_PROGRAM_FAILED = 0, 1, 2, 3
#: Where the plan spends its time (seconds), written to $HARDENED_AML_TIMINGS when set (used by bench/).
TIMINGS: dict[str, float] = {}
FORMATS = ("table", "json", "markdown", "html", "sarif")


class BadInput(Exception):
    """Bad input to the command: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise BadInput(f"{message} (see `{self.prog} --help`)")


@dataclass(frozen=True)
class Project:
    """What ``Pulumi.yaml`` says about the program and where its stack files are."""

    directory: Path
    name: str
    main: str
    config_dir: str

    @property
    def stack_files(self) -> dict[str, Path]:
        folder = self.directory / self.config_dir
        return {p.name[len("Pulumi.") : -len(".yaml")]: p for p in sorted(folder.glob("Pulumi.*.yaml"))}


def find_project(start: Path) -> Project:
    from hardened_aml_cli.yamlfile import YamlFileError, load

    if not start.is_dir():
        raise BadInput(f"--project-dir: got {str(start)!r}; allowed: an existing folder")
    for directory in (start, *start.parents):
        path = directory / "Pulumi.yaml"
        if path.is_file():
            try:
                document = load(path) or {}
            except YamlFileError as exc:
                raise BadInput(str(exc)) from None
            if not isinstance(document, dict):
                raise BadInput(f"{path}: got a YAML {type(document).__name__}; allowed: a Pulumi project mapping")
            return Project(
                directory=directory,
                name=str(document.get("name", "")),
                main=str(document.get("main", ".")),
                config_dir=str(document.get("stackConfigDir", ".")),
            )
    raise BadInput(f"--project-dir: no Pulumi.yaml in {start} or its parents; allowed: a Pulumi project folder")


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(f"hardened-aml: {message}", file=sys.stderr, flush=True)


def plan_resources(project: Project, stack: str) -> list[dict[str, Any]]:
    """Run the stack's program under the test engine in its own process (the runtime is process-global)."""
    command = [
        sys.executable,
        "-m",
        "hardened_aml_cli.engine",
        "--project-dir",
        str(project.directory),
        "--project",
        project.name,
        "--stack",
        stack,
        "--main",
        project.main,
        "--config-dir",
        project.config_dir,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == EXIT_BAD_INPUT:
        raise BadInput(done.stderr.strip().removeprefix("error: "))
    if done.returncode != 0:
        raise ProgramFailed(done.stderr.strip().removeprefix("error: ") or f"exit code {done.returncode}")
    resources: list[dict[str, Any]] = json.loads(done.stdout)["resources"]
    return resources


class ProgramFailed(Exception):
    """The program raised something other than bad input."""


def load_policy_config(path: Path | None) -> dict[str, dict[str, Any]]:
    from hardened_aml_cli import policyconfig

    if path is None:
        return {}
    try:
        return policyconfig.load(path)
    except policyconfig.PolicyConfigError as exc:
        raise BadInput(_config_error(path, exc)) from None


def _config_error(path: Path | None, exc: Exception, folder: Path | None = None) -> str:
    """``--policy-config: FILE: what is wrong`` (naming the pack it configures when there are several)."""
    message = str(exc)
    if path is not None and not message.startswith(str(path)):
        message = f"{path}: {message}"
    return f"--policy-config: {message}" + (f" (it configures the pack in {folder})" if folder else "")


def evaluate(
    project: Project,
    stack: str,
    planned: list[dict[str, Any]],
    policy_configs: Sequence[tuple[Path | None, dict[str, dict[str, Any]]]],
    packs: Sequence[Path],
) -> Any:
    """Start each pack as the CLI does, then Configure, Analyze each resource and AnalyzeStack once per pack;
    one report over all of them (as ``pulumi preview --policy-pack A --policy-pack-config a.json --policy-pack B
    --policy-pack-config b.json``). ``policy_configs[i]`` (its file, and its content) configures ``packs[i]``."""
    from contextlib import ExitStack
    from types import SimpleNamespace

    from hardened_aml.testing.pack import Analysis, PackClient, PackError, Resource
    from hardened_aml_cli import policyconfig
    from hardened_aml_cli.report import build_report

    resources = [
        Resource(
            urn=p["urn"],
            type=p["type"],
            name=p["name"],
            properties=p["inputs"],
            parent=p["parent"],
            dependencies=p["dependencies"],
            property_dependencies=p["property_dependencies"],
            protect=p["protect"],
        )
        for p in planned
    ]
    custom = [r for r in resources if r.urn in {p["urn"] for p in planned if p["custom"]}]
    started = time.perf_counter()
    with ExitStack() as running:
        clients = []
        for folder in packs:
            try:
                clients.append(running.enter_context(PackClient(folder)))
            except PackError as exc:
                last = [line.strip() for line in str(exc).splitlines() if line.strip()][-1:]
                raise BadInput(f"--policy-pack: the policy pack in {folder} did not start: {' '.join(last)}") from None
        TIMINGS["pack_start_s"] = time.perf_counter() - started
        infos = [pack.info() for pack in clients]
        policies = [p for info in infos for p in info.policies]
        each: list[dict[str, dict[str, Any]]] = []
        for (path, config), info, folder in zip(policy_configs, infos, packs, strict=True):
            try:
                policyconfig.validate(config, {p.name: _config_schema(p) for p in info.policies})
            except policyconfig.PolicyConfigError as exc:
                raise BadInput(_config_error(path, exc, folder if len(packs) > 1 else None)) from None
            each.append(_expand_all(config, [p.name for p in info.policies]))
        configured = {name: value for config in each for name, value in config.items()}
        analysing = time.perf_counter()
        answers: dict[str, list[Analysis]] = {r.urn: [] for r in custom}
        stack_answers: list[Analysis] = []
        for pack, config in zip(clients, each, strict=True):
            pack.configure(config)
            pack.configure_stack(project=project.name, stack=stack)
            for r in custom:
                answers[r.urn].append(pack.analyze(r))
            stack_answers.append(pack.analyze_stack(resources))
        analyses = [(urn, _merged(found)) for urn, found in answers.items()]
        stack_analysis = _merged(stack_answers)
        TIMINGS["analyze_s"], TIMINGS["analyzed"] = time.perf_counter() - analysing, len(analyses)
        TIMINGS["pack_s"] = time.perf_counter() - started
    return build_report(
        stack=stack,
        project=project.name,
        config_file=f"{project.config_dir}/Pulumi.{stack}.yaml".removeprefix("./"),
        planned=planned,
        info=SimpleNamespace(policies=policies),
        levels={name: value.get("enforcementLevel") for name, value in configured.items()},
        analyses=analyses,
        stack_analysis=stack_analysis,
    )


def _merged(answers: Sequence[Any]) -> Any:
    """One analysis from each pack's answers for the same resource (or the stack)."""
    from hardened_aml.testing.pack import Analysis

    return Analysis([d for a in answers for d in a.diagnostics], set().union(*(a.not_applicable for a in answers)))


def _config_schema(policy: Any) -> dict[str, Any]:
    """A policy's config schema properties, as ``GetAnalyzerInfo`` declares them."""
    from hardened_aml.testing.pack import config_schema

    return config_schema(policy)


def _expand_all(config: dict[str, dict[str, Any]], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{"all": "mandatory"}`` applies to every policy; a policy's own entry overrides it (as the CLI does)."""
    base = config.get("all")
    expanded = {n: dict(base) for n in names} if base else {}
    for name, value in config.items():
        if name != "all":
            expanded[name] = {**expanded.get(name, {}), **value}
    return expanded


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hardened-aml")
    except PackageNotFoundError:
        return "0.0.0"


def _pack_folders(project: Project, given: Sequence[str] | None) -> list[Path]:
    """The pack folders to judge with: each ``--policy-pack``, else the project's ``policies/``."""
    folders = [Path(g).resolve() for g in given] if given else [project.directory / "policies"]
    for folder in folders:
        if not (folder / "PulumiPolicy.yaml").is_file():
            flag = "--policy-pack" if given else "policy pack"
            raise BadInput(
                f"{flag}: got {str(folder)!r}, which is not a policy pack folder; allowed: a folder "
                "with PulumiPolicy.yaml and its program" + ("" if given else ", or --policy-pack DIR")
            )
    return folders


def _config_paths(project: Project, args: argparse.Namespace, packs: Sequence[Path]) -> list[Path | None]:
    """The policy config of each pack, as the Pulumi CLI pairs them: the i-th ``--policy-config`` configures the
    i-th pack, so there is none or one per pack. Without ``--policy-config``, the project's own pack reads
    ``<config dir>/policy-config.<stack>.json`` when it exists, and any other pack runs on its defaults."""
    given: list[Path] = args.policy_config or []
    if given:
        if len(given) != len(packs):
            listed = ", ".join(str(p) for p in packs)
            raise BadInput(
                f"--policy-config: got {len(given)} file(s) for {len(packs)} policy pack(s) ({listed}); allowed: "
                "none, or one --policy-config per pack, in the order of the --policy-pack flags"
            )
        return list(given)
    default = project.directory / project.config_dir / f"policy-config.{args.stack}.json"
    own = project.directory / "policies"
    return [default if default.is_file() and pack == own.resolve() else None for pack in packs]


def _writable(out: Path) -> Path:
    """``--out``, checked before the plan runs: its folder exists and can be written, and it is not a folder."""
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise BadInput(f"--out: got {str(out)!r}, which is a folder; allowed: a file path")
    if not parent.is_dir():
        raise BadInput(f"--out: got {str(out)!r}, whose folder does not exist; allowed: a file in an existing folder")
    existed = out.exists()
    try:
        with out.open("a", encoding="utf-8"):
            pass
        if not existed:
            out.unlink()
    except OSError as exc:
        raise BadInput(f"--out: cannot write {str(out)!r} ({exc.strerror or exc}); allowed: a writable file") from None
    return out


def cmd_plan(args: argparse.Namespace) -> int:
    project = find_project(Path(args.project_dir).resolve() if args.project_dir else Path.cwd())
    stacks = project.stack_files
    if args.stack not in stacks:
        raise BadInput(f"--stack: got {args.stack!r}; allowed: one of {', '.join(stacks) or '(no stack files)'}")
    packs = _pack_folders(project, args.policy_pack)
    policy_configs = [(path, load_policy_config(path)) for path in _config_paths(project, args, packs)]
    out = _writable(Path(args.out)) if args.out else None
    _progress(args.quiet, f"planning stack {args.stack!r} under Pulumi's test engine (no credentials, no network)")
    started = time.perf_counter()
    planned = plan_resources(project, args.stack)
    TIMINGS["engine_s"] = time.perf_counter() - started
    _progress(args.quiet, f"{len(planned)} resources registered; evaluating them with the policy pack over gRPC")
    report = evaluate(project, args.stack, planned, policy_configs, packs)
    from hardened_aml_cli.report import render

    text = render(report, args.format, _version())
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(
                f"--out: cannot write {args.out!r} ({exc.strerror or exc}); allowed: a writable file"
            ) from None
        _progress(args.quiet, f"wrote {args.format} report to {args.out}")
    else:
        sys.stdout.write(text)
    _progress(
        args.quiet,
        f"{report.mandatory_violations} mandatory, {report.advisory_violations} advisory violation(s)",
    )
    if os.environ.get("HARDENED_AML_TIMINGS"):
        Path(os.environ["HARDENED_AML_TIMINGS"]).write_text(json.dumps(TIMINGS), encoding="utf-8")
    return EXIT_VIOLATIONS if report.mandatory_violations else EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    from hardened_aml_cli import docs
    from hardened_aml_cli.peers import PeersError
    from hardened_aml_cli.seed_asks import SeedAsksError

    project = find_project(Path(args.project_dir).resolve() if args.project_dir else Path.cwd())
    try:
        if args.check:
            stale = docs.stale(project.directory)
            for relative in stale:
                print(f"hardened-aml: {relative} is stale; run `hardened-aml docs` and commit it", file=sys.stderr)
            return EXIT_VIOLATIONS if stale else EXIT_OK
        written = docs.write(project.directory)
    except (PeersError, SeedAsksError) as exc:
        raise BadInput(str(exc)) from None
    for relative in written:
        print(f"hardened-aml: wrote {relative}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hardened-aml", description="Hardened Azure Machine Learning estates with Pulumi.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    plan = commands.add_parser(
        "plan",
        help="plan a stack offline and judge it with the policy pack",
        description="Run the stack's program under Pulumi's test engine and evaluate the policy pack over it.",
    )
    plan.add_argument("--stack", default="dev", help="stack name: a stacks/Pulumi.<NAME>.yaml file (default: dev)")
    plan.add_argument("--format", default="table", choices=FORMATS, help="output format (default: table)")
    plan.add_argument("--out", help="write the report to this file instead of stdout")
    plan.add_argument(
        "--policy-config",
        type=Path,
        action="append",
        metavar="FILE",
        help="policy-pack config JSON, as for `pulumi preview --policy-pack-config`; with several --policy-pack, "
        "one per pack in the same order (default: stacks/policy-config.<stack>.json for the project's own pack)",
    )
    plan.add_argument(
        "--policy-pack",
        action="append",
        metavar="DIR",
        help="judge with the policy pack in DIR; repeat to judge with several (default: the project's policies/)",
    )
    plan.add_argument("--project-dir", help="the Pulumi project folder (default: found from the current folder)")
    plan.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    plan.set_defaults(run=cmd_plan)
    docs = commands.add_parser("docs", help="regenerate the documents generated from the catalogue")
    docs.add_argument("--check", action="store_true", help="exit 1 when a committed document is stale")
    docs.add_argument("--project-dir", help="the repository folder (default: found from the current folder)")
    docs.set_defaults(run=cmd_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code: int = args.run(args)
        return code
    except BadInput as exc:
        print(f"hardened-aml: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ProgramFailed as exc:
        print(f"hardened-aml: error: the program failed: {exc}", file=sys.stderr)
        return EXIT_PROGRAM_FAILED


if __name__ == "__main__":
    sys.exit(main())
