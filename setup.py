# Kept for benches and tools that still call setup.py; metadata lives in pyproject.toml.
from setuptools import find_packages, setup

setup(
	name="crm_app",
	packages=find_packages(include=["crm_app", "crm_app.*"]),
	include_package_data=True,
	zip_safe=False,
	install_requires=["phonenumbers~=8.13.55", "rapidfuzz~=3.12.2", "Unidecode~=1.3.6"],
)
