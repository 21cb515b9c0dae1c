"""The diagnosis over phase 2's numbers: grades, shape, verdict, comparison, checks.

``diagnose(table, config, context)`` (fivea.diagnosis.judgement) collects them into one
``Diagnosis`` (docs/architecture.md "The diagnosis").
"""

from fivea.diagnosis.judgement import Diagnosis, DiagnosisContext, PreviousPeriod, diagnose

__all__ = ["Diagnosis", "DiagnosisContext", "PreviousPeriod", "diagnose"]
