"""The bottom layer: what every other layer may use, and which uses none of them.

- :mod:`kgcrm.core.errors`: the one error tree
- :mod:`kgcrm.core.settings`: settings, validated once (pydantic-settings)
- :mod:`kgcrm.core.names`: name, e-mail, domain and phone normalisation and comparison
- :mod:`kgcrm.core.embedding`: loading the packaged sentence-transformers model
"""
