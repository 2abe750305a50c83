"""Evaluations over the seeded CRM and public data sets (run by `kgcrm eval`)."""
