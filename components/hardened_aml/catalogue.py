"""The catalogue of controls, under the library's name (the leaf package ``aml_catalogue`` re-exported)."""

from aml_catalogue import *  # noqa: F403
from aml_catalogue import __all__ as __all__
