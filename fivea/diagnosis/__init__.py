"""The diagnosis over phase 2's numbers: grades, shape, verdict, comparison, checks."""
