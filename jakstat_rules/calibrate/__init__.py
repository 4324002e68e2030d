"""Calibration of SBML models to data through PEtab problems (in progress)."""
