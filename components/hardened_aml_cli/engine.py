"""Plan one stack offline in this process: its stack file read as the CLI reads it, its program run under the
test engine (:mod:`hardened_aml.testing.engine`); print what it registered as JSON.

The runtime is process-global: the plan command starts one such process per stack (:func:`main`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import runpy
import sys
import traceback
from dataclasses import asdict
from pathlib import Path

import yaml

from hardened_aml.errors import InvalidInputError
from hardened_aml.testing.engine import install, run


def stack_config(project_dir: Path, project: str, stack: str, config_dir: str) -> dict[str, str]:
    """A stack file's config as the CLI passes it to a program: ``namespace:key`` to string values."""
    path = project_dir / config_dir / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise InvalidInputError(str(path), type(document).__name__, "a YAML mapping with a 'config' key")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: config", raw, "a mapping of keys to values")
    config: dict[str, str] = {}
    for key, value in raw.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = "[secret]"  # no key to decrypt with offline
        elif isinstance(value, str):
            config[full_key] = value
        elif isinstance(value, bool):
            config[full_key] = "true" if value else "false"
        elif isinstance(value, dt.date):
            config[full_key] = value.isoformat()
        else:
            config[full_key] = json.dumps(value, default=_yaml_scalar)
    return config


def _yaml_scalar(value: object) -> str:
    """The CLI reads an unquoted YAML date as the string it is written as; so does the offline plan."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a config value")


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
    try:
        config = stack_config(project_dir, args.project, args.stack, args.config_dir)
        monitor = install(args.project, args.stack, config)
        program = project_dir / args.main
        sys.path.insert(0, str(program if program.is_dir() else program.parent))
        os.chdir(project_dir)
        planned = run(monitor, lambda: _run_path(program))
    except InvalidInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        detail = traceback.format_exc() if os.environ.get("HARDENED_AML_DEBUG") else ""
        print(f"error: the program failed: {type(exc).__name__}: {exc}\n{detail}".rstrip(), file=sys.stderr)
        return 3
    json.dump({"resources": [asdict(p) for p in planned]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
