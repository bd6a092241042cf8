"""Ship the repository's top-level config/ and templates/ inside the wheel as watcher/_bundled/."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "watcher" / "_bundled"
        for name in ("config", "templates"):
            shutil.copytree(ROOT / name, target / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithBundledFiles})
