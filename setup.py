"""setuptools build step for ``pip install --no-build-isolation .``.

The package metadata lives in pyproject.toml. This file only does what
setuptools cannot: build the C parts with CMake and put them into the
wheel, inside the package, where ``hermetic._runtime`` (Python side) and
cli/launch.c (launcher side) look for them:

    hermetic/_native.<soabi>.so    the CPython extension
    hermetic/_lib/libhermetic.so   the LD_PRELOAD shim
    hermetic/_bin/hermetic         the launcher (ELF; the ``hermetic``
                                   console script execs it)
    hermetic/_site/                the bootstrap for Python targets

The CMake tree is configured for the interpreter running this build
(``sys.executable``), without tests, in the setuptools build directory
(``build-py/``, not ``build/``, which belongs to the CMake build of the
README). Environment: HERMETIC_CMAKE (the cmake program),
HERMETIC_CMAKE_ARGS (extra configure arguments, split on blanks).
"""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def cmake_version():
    """project(hermetic VERSION x.y.z) from CMakeLists.txt: the one copy."""
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*hermetic\s+VERSION\s+([0-9][0-9.]*)",
                      f.read())
    if not m:
        raise RuntimeError("no project(hermetic VERSION ...) in CMakeLists.txt")
    return m.group(1)


class Build(build):
    def initialize_options(self):
        super().initialize_options()
        self.build_base = "build-py"


class CMakeBuild(build_ext):
    """Build every C artefact with CMake and copy it into the package."""

    def run(self):
        cmake = os.environ.get("HERMETIC_CMAKE", "cmake")
        tree = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(tree, exist_ok=True)
        args = [
            cmake, "-S", HERE, "-B", tree,
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DBUILD_TESTING=OFF",
            "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
        ] + os.environ.get("HERMETIC_CMAKE_ARGS", "").split()
        subprocess.check_call(args)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.check_call([cmake, "--build", tree, "-j", jobs,
                               "--target", "hermetic_cli", "hermetic_shim",
                               "hermetic_native"])
        native = None
        pydir = os.path.join(tree, "python", "hermetic")
        for name in os.listdir(pydir):
            if name.startswith("_native.") and name.endswith(".so"):
                native = os.path.join(pydir, name)
        if native is None:
            raise RuntimeError(f"CMake built no _native module in {pydir}")
        ext = self.extensions[0]
        dest = self.get_ext_fullpath(ext.name)
        pkg = os.path.dirname(dest)
        os.makedirs(os.path.join(pkg, "_lib"), exist_ok=True)
        os.makedirs(os.path.join(pkg, "_bin"), exist_ok=True)
        # The extension is renamed to the suffix setuptools expects (the
        # same SOABI: both come from this interpreter).
        shutil.copy2(native, dest)
        shutil.copy2(os.path.join(tree, "lib", "libhermetic.so"),
                     os.path.join(pkg, "_lib", "libhermetic.so"))
        shutil.copy2(os.path.join(tree, "bin", "hermetic"),
                     os.path.join(pkg, "_bin", "hermetic"))


setup(
    version=cmake_version(),
    package_dir={"": "pybind"},
    packages=["hermetic"],
    package_data={"hermetic": ["_site/*.py"]},
    # One placeholder extension: it makes the wheel platform-specific and
    # gives CMakeBuild the destination path; CMake builds the real thing.
    ext_modules=[Extension("hermetic._native", sources=[])],
    cmdclass={"build": Build, "build_ext": CMakeBuild},
    zip_safe=False,
)
