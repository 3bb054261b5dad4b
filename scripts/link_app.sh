#!/usr/bin/env bash
# Put this checkout into an existing bench as apps/crm_app (a symlink), install it into the bench's env.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${1:?bench path}
if [ "$(readlink -f "$bench/apps/crm_app" 2>/dev/null)" != "$repo" ]; then
	rm -rf "$bench/apps/crm_app"
	ln -s "$repo" "$bench/apps/crm_app"
fi
grep -qx crm_app "$bench/sites/apps.txt" || printf '\ncrm_app\n' >>"$bench/sites/apps.txt"
sed -i '/^$/d' "$bench/sites/apps.txt"
# The app's own dependencies (pyproject.toml), where the bench's env lacks one.
"$bench/env/bin/python" - "$repo/pyproject.toml" <<'EOF_DEPS'
import subprocess, sys, tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement

wanted = [Requirement(spec) for spec in tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]]
missing = []
for requirement in wanted:
	try:
		if not requirement.specifier.contains(version(requirement.name), prereleases=True):
			missing.append(str(requirement))
	except PackageNotFoundError:
		missing.append(str(requirement))
if missing:
	subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
EOF_DEPS
"$bench/env/bin/pip" install -q --no-deps --no-build-isolation -e "$bench/apps/crm_app" 2>/dev/null \
	|| "$bench/env/bin/pip" install -q --no-deps -e "$bench/apps/crm_app"
ln -sfn "$bench/apps/crm_app/crm_app/public" "$bench/sites/assets/crm_app"
# The app's translations where Frappe reads them (what `bench build` does on a server): .po -> .mo.
if ls "$repo"/crm_app/locale/*.po >/dev/null 2>&1; then
	(cd "$bench/sites" && "$bench/env/bin/python" -m frappe.utils.bench_helper frappe compile-po-to-mo \
		--app crm_app --force >/dev/null)
fi
