"""The ask evaluation (issue 17): a question bank over a CRM, expected answers by SQL, verdicts.

- ``bank/families.yaml``: families of phrasings (one meaning, one SQL truth each), parameterised by
  the CRM's own values; ``bank/heldout.yaml``: the frozen held-out phrasings.
- :mod:`kgcrm.eval.ask.params`: the values a family is instantiated with, read from the CRM by SQL.
- :mod:`kgcrm.eval.ask.truth`: the expected answer of each family, by SQL on the relational CRM.
- :mod:`kgcrm.eval.ask.verdict`: exact / wrong / declined (``/work/wt/SPEC-17.md``).
- :mod:`kgcrm.eval.ask.runner`: asks every question and reports per split and per CRM.
- :mod:`kgcrm.eval.ask.second_crm`: a second CRM in plain SQL whose values the seed never makes.
"""
