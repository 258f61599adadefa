"""Plan one stack offline in this process: its stack file read as the CLI reads it, its program run under the
test engine (:mod:`hardened_aml.testing.engine`); print what it registered as JSON.

The runtime is process-global: the plan command starts one such process per stack (:func:`main`).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
from dataclasses import asdict
from pathlib import Path

from hardened_aml.errors import InvalidInputError
from hardened_aml.testing.engine import install, run
from hardened_aml_cli.yamlfile import YamlFileError, load


def stack_file(config_dir: str, stack: str) -> str:
    """The stack file as errors name it: relative to the project folder."""
    return f"{config_dir}/Pulumi.{stack}.yaml".removeprefix("./")


def stack_config(project_dir: Path, project: str, stack: str, config_dir: str) -> dict[str, str]:
    """A stack file's config as the CLI passes it to a program: ``namespace:key`` to string values.

    The file is read as the CLI reads it (:mod:`hardened_aml_cli.yamlfile`); what the CLI would refuse, and a
    file that is not a stack file, raise :class:`YamlFileError` naming the file."""
    path = project_dir / config_dir / f"Pulumi.{stack}.yaml"
    shown = stack_file(config_dir, stack)
    document = load(path, shown) or {}
    if not isinstance(document, dict):
        raise YamlFileError(f"{shown}: got a YAML {_kind(document)}; allowed: a mapping with a 'config' key")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise YamlFileError(f"{shown}: config: got a YAML {_kind(raw)}; allowed: a mapping of keys to values")
    config: dict[str, str] = {}
    for key, value in raw.items():
        key = str(key)
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = "[secret]"  # no key to decrypt with offline
        elif isinstance(value, str):
            config[full_key] = value
        elif isinstance(value, bool):
            config[full_key] = "true" if value else "false"
        else:
            config[full_key] = json.dumps(value)
    return config


def _kind(value: object) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "scalar"


def _run_path(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")


def main(argv: list[str] | None = None) -> int:
    """Plan one stack in this process; print ``{"resources": [...]}`` as JSON on stdout.

    Exit 0 on success, 2 on bad input (one line on stderr), 3 when the program itself failed.
    """
    parser = argparse.ArgumentParser(prog="python -m hardened_aml_cli.engine")
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--main", default=".")
    parser.add_argument("--config-dir", default=".")
    args = parser.parse_args(argv)
    project_dir: Path = args.project_dir.resolve()
    shown = stack_file(args.config_dir, args.stack)
    config: dict[str, str] = {}
    try:
        config = stack_config(project_dir, args.project, args.stack, args.config_dir)
        monitor = install(args.project, args.stack, config)
        program = project_dir / args.main
        sys.path.insert(0, str(program if program.is_dir() else program.parent))
        os.chdir(project_dir)
        planned = run(monitor, lambda: _run_path(program))
    except YamlFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InvalidInputError as exc:
        # A stack-config key is named with the stack file it is written in.
        namespace, colon, _ = str(exc.key).partition(":")
        written = colon and any(k.startswith(f"{namespace}:") for k in (*config, f"{args.project}:"))
        where = f"{shown}: " if written else ""
        print(f"error: {where}{exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        detail = traceback.format_exc() if os.environ.get("HARDENED_AML_DEBUG") else ""
        print(f"error: the program failed: {type(exc).__name__}: {exc}\n{detail}".rstrip(), file=sys.stderr)
        return 3
    json.dump({"resources": [asdict(p) for p in planned]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
