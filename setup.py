"""Build hook: the wheel carries the base data (the repository keeps it in the top-level data/ folder).

Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    """Copy data/ (sources.toml, boundaries/, rasters/, provenance) into the package as linfen_geo/_data,
    and examples/ (the example project sites) as linfen_geo/_examples."""

    def run(self) -> None:
        super().run()
        for folder, target in (("data", "_data"), ("examples", "_examples")):
            src = HERE / folder
            if src.is_dir():
                dst = Path(self.build_lib) / "linfen_geo" / target
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".cache", "user", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
