#!/bin/sh
# Re-run the calibration of every software stack on validation/measurements.csv: the joint
# fit of each stack across its chips, from the spec authors' priors (validation/priors/),
# with the stacks of validation/stacks.yaml. Run from the repository root after a cost-model
# change, then copy the numbers into hardware_specs/:
#     sh validation/calibrate_all.sh > validation/calibrated/calibrate_all.log
#     python validation/apply_calibration.py
# (The per-chip fits this script used to run are in git history; `hwsim calibrate` still
# fits one chip + stack.)
set -e
PYTHON=${PYTHON:-python}
"$PYTHON" validation/fit_all.py
