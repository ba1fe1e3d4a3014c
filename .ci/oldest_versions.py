"""Print pyproject's dependencies (and the dev extras) pinned to the oldest versions it declares: `name>=v` -> `name==v`.

CI installs these in a second environment and runs the tests there, so the declared minimums stay true.
"""
import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", requirement.replace(" ", ""))
    if match is None:
        sys.exit(f"error: {requirement!r} is not of the form name>=version")
    print(f"{match[1]}=={match[2]}")
