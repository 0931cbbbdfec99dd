"""environment.yml (conda) and pyproject.toml must list the same dependencies."""

import re
import tomllib

import yaml

from pipeline.config import PROJECT_ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(d): d for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))  # packages conda-forge lacks
    conda |= {_name(d): d for d in pip if not d.startswith("-e")}
    conda.pop("python"); conda.pop("pip")
    assert conda.keys() == wanted.keys()
    for name, spec in wanted.items():  # same lower bounds
        assert spec.replace(" ", "") == conda[name].replace(" ", ""), name
