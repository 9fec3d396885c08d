"""iopctl: records of an Intensive Outpatient Program, kept as YAML in git."""

__version__ = "0.1.0"
