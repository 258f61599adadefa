"""The rules of the hardened-aml CrossGuard pack, one module per Azure service.

Each module exposes ``RULES``; :mod:`aml_policies.pack` lists the modules explicitly and turns every
rule into a policy. Nothing here imports ``pulumi_azure_native``: the pack judges the camelCase
properties the engine sends, whoever wrote the program.
"""
