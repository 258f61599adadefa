"""The scaling benchmark's program: ``bench:estates`` complete estates in one stack.

Each estate is the production estate of ``stacks/Pulumi.prod.yaml`` (workspace, dependencies, network,
compute, AKS, endpoints, governance, budget) under its own workload name, so names never collide.
"""

import pulumi

from hardened_aml.program import build
from hardened_aml.settings import from_pulumi_config

settings = from_pulumi_config("hardened-aml")
for i in range(pulumi.Config("bench").require_int("estates")):
    build({**settings, "workload": f"{settings['workload'][:5]}{i}"})
