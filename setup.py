"""Ships ``lockdep.pth`` at the top of site-packages (as coverage.py suggests
for measuring subprocesses: it does nothing unless LOCKDEP is set), and builds
the optional C fast path of the runtime."""

import os

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithPth(build_py):
    def run(self) -> None:
        super().run()
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lockdep.pth")
        self.copy_file(src, os.path.join(self.build_lib, "lockdep.pth"), preserve_mode=0)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, "lockdep.pth")]


setup(
    cmdclass={"build_py": BuildWithPth},
    # The optional C fast path of the runtime; without a compiler the pure-Python one is used.
    ext_modules=[Extension("lockdep.runtime._speedups", ["src/lockdep/runtime/_speedups.c"], optional=True)],
)
