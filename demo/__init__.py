"""The demo year: a profile's demo.yaml turned into a whole year of records, through the engine's
public functions only (the engine does not know this package).

demo.yaml is a file of the profile that this package reads: `DEMO_FILE` registers its model and
its checks with the profile loader (also as the entry point ``minsheng.profile_files: demo`` in
pyproject.toml, so `minsheng check` knows the file wherever this package is installed).
"""
from demo.checks import check_demo
from demo.schema import DEMO_FILE_NAME, Demo
from engine.profile.files import ProfileFile, register_file

DEMO_FILE = register_file(ProfileFile(DEMO_FILE_NAME, "demo", Demo, check_demo))
