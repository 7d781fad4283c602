"""Ships ``lockdep.pth`` at the top of site-packages (as coverage.py suggests
for measuring subprocesses: it does nothing unless LOCKDEP is set), in normal
and editable (``pip install -e .``) installs, and builds the optional C fast
path of the runtime."""

import os

from setuptools import Extension, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lockdep.pth")


class BuildWithPth(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, "lockdep.pth"), preserve_mode=0)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, "lockdep.pth")]


class EditableWithPth(editable_wheel):
    """An editable wheel holds only a path hook; put lockdep.pth at its root too (the directory
    setuptools turns into the wheel is the one it installs its own namespace .pth files in)."""

    def _install_namespaces(self, installation_dir, pth_prefix):  # noqa: ANN001 - setuptools' signature
        super()._install_namespaces(installation_dir, pth_prefix)
        self.copy_file(PTH, os.path.join(installation_dir, "lockdep.pth"), preserve_mode=0)


setup(
    cmdclass={"build_py": BuildWithPth, "editable_wheel": EditableWithPth},
    # The optional C fast path of the runtime; without a compiler the pure-Python one is used.
    ext_modules=[Extension("lockdep.runtime._speedups", ["src/lockdep/runtime/_speedups.c"], optional=True)],
)
