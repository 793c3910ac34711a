"""Package discovery for the repository layout.

The core package is ``clusterforge/``; ``modules/``, ``policies/`` and ``templates/`` sit at the top
level (the team's IaC repository shape) and ship as ``clusterforge.modules``,
``clusterforge.policies`` and ``clusterforge.templates``. Metadata lives in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup

MAPPED = {
    "modules": "clusterforge.modules",
    "policies": "clusterforge.policies",
    "templates": "clusterforge.templates",
}

packages = ["clusterforge"] + [f"clusterforge.{p}" for p in find_packages("clusterforge")]
for folder, name in MAPPED.items():
    if not Path(folder, "__init__.py").is_file():
        continue  # a layout folder with no Python package yet ships nothing
    packages.append(name)
    packages += [f"{name}.{p}" for p in find_packages(folder)]

package_dir = {"clusterforge": "clusterforge"}
package_dir.update({name: folder for folder, name in MAPPED.items() if name in packages})

setup(packages=packages, package_dir=package_dir)
