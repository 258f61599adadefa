"""What this repository's stack program builds from a stack's checked settings.

``build(settings)`` is the whole program less its exports; the stack program (``__main__.py``)
and the scaling benchmark call it. Other projects can build :class:`~hardened_aml.estate.Estate` directly.
"""

import pulumi

from hardened_aml.errors import InvalidInputError
from hardened_aml.estate import Estate
from hardened_aml.settings import EstateArgs


def build(settings: EstateArgs) -> Estate:
    """The estate of one stack, named from its workload, in the region the provider deploys to."""
    provider_location = pulumi.Config("azure-native").get("location")
    if provider_location is not None and provider_location != settings["location"]:
        raise InvalidInputError(
            "azure-native:location",
            provider_location,
            f"{settings['location']!r}, the same region as hardened-aml:location",
        )
    return Estate(settings["workload"], settings)
