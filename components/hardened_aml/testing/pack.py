"""Drive a CrossGuard policy pack over its real plugin protocol, as the Pulumi CLI does.

The pack is started as ``python -m pulumi.policy ENGINE_ADDRESS PACK_DIR``; it prints the port of its
Analyzer gRPC service on stdout. The CLI then calls ``GetAnalyzerInfo``, ``Configure``, ``ConfigureStack``,
``Analyze`` for each resource and ``AnalyzeStack`` once for the whole stack; so does :class:`PackClient`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ENFORCEMENT_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_ENFORCEMENT_VALUES = {name: value for value, name in ENFORCEMENT_NAMES.items()}


class PackError(RuntimeError):
    """The pack did not start or answered with an error."""


@dataclass(frozen=True)
class Resource:
    """A resource as the analyzer sees it: type token, camelCase properties and its relations."""

    urn: str
    type: str
    name: str
    properties: Mapping[str, Any]
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    message: str
    enforcement: str
    urn: str
    severity: int = 0


@dataclass(frozen=True)
class Analysis:
    """What the pack answered for one resource (``Analyze``) or the stack (``AnalyzeStack``)."""

    diagnostics: list[Diagnostic]
    not_applicable: set[str]


def config_schema(policy: Any) -> dict[str, Any]:
    """A policy's config schema properties as ``GetAnalyzerInfo`` declares them (``{}`` when it takes none)."""
    return json_format.MessageToDict(policy.configSchema.properties) if policy.configSchema.properties else {}


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(value))
    return message


def _options(resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


def _analysis(response: Any) -> Analysis:
    return Analysis(
        diagnostics=[
            Diagnostic(
                policy=d.policyName,
                # The SDK sends "<policy description>\n<violation>"; the report keeps the violation.
                message=d.message.removeprefix(d.description).lstrip("\n") or d.message,
                enforcement=ENFORCEMENT_NAMES.get(d.enforcementLevel, "advisory"),
                urn=d.urn,
                severity=d.severity,
            )
            for d in response.diagnostics
        ],
        not_applicable={n.policy_name for n in response.not_applicable},
    )


class PackClient:
    """A running policy pack process and a gRPC channel to it (use as a context manager)."""

    def __init__(self, pack_dir: Path, *, python: str = sys.executable, env: Mapping[str, str] | None = None) -> None:
        self.pack_dir = pack_dir
        self.python = python
        self.env = dict(env) if env is not None else dict(os.environ)
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self.stub: Any = None
        self.port = 0

    def __enter__(self) -> PackClient:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> int:
        """Start the pack as the CLI does and wait for the port it prints."""
        # The engine address is required by the launcher's command line; the pack never dials it.
        self._process = subprocess.Popen(
            [self.python, "-m", "pulumi.policy", "127.0.0.1:0", str(self.pack_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            self._process.kill()
            _, err = self._process.communicate(timeout=10)
            raise PackError(f"the policy pack in {self.pack_dir} did not start: {(line + err.decode()).strip()}")
        self.port = int(line)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self.port

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()
            self._process = None

    def info(self) -> Any:
        """``GetAnalyzerInfo``: the pack's policies with description, enforcement and config schema."""
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def plugin_info(self) -> Any:
        return self.stub.GetPluginInfo(empty_pb2.Empty())

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """``Configure`` with ``{policy: {"enforcementLevel": ..., <property>: ...}}`` as the CLI sends it."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, values in config.items():
            properties = {k: v for k, v in values.items() if k != "enforcementLevel"}
            level = _ENFORCEMENT_VALUES[str(values.get("enforcementLevel", "advisory"))]
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct(properties))
            )
        self.stub.Configure(request)

    def configure_stack(
        self, *, project: str, stack: str, dry_run: bool = True, tags: Mapping[str, str] | None = None
    ) -> None:
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                project=project, stack=stack, organization="organization", dry_run=dry_run, tags=dict(tags or {})
            )
        )

    def analyze(self, resource: Resource) -> Analysis:
        """``Analyze`` one resource with its camelCase properties."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.properties),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
        )
        return _analysis(self.stub.Analyze(request))

    def analyze_stack(self, resources: Iterable[Resource]) -> Analysis:
        """``AnalyzeStack`` over every resource, with parents and (property) dependencies."""
        request = analyzer_pb2.AnalyzeStackRequest()
        for r in resources:
            entry = request.resources.add(
                type=r.type,
                properties=_struct(r.properties),
                urn=r.urn,
                name=r.name,
                options=_options(r),
                parent=r.parent,
                dependencies=list(r.dependencies),
            )
            for key, urns in r.property_dependencies.items():
                entry.propertyDependencies[key].urns.extend(urns)
        return _analysis(self.stub.AnalyzeStack(request))

    def remediate(self, resource: Resource) -> list[tuple[str, dict[str, Any]]]:
        """``Remediate`` one resource: ``(policy, new properties)`` for each remediation that applied."""
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=_struct(resource.properties),
            urn=resource.urn,
            name=resource.name,
            options=_options(resource),
        )
        response = self.stub.Remediate(request)
        return [(r.policyName, json_format.MessageToDict(r.properties)) for r in response.remediations]
