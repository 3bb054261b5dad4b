#!/usr/bin/env bash
# The one test command: unit tests always, then the integration suite on fresh sites of an existing bench.
#
#   scripts/test.sh                 # unit + integration (plain Frappe site, an ERPNext site if the bench
#                                   # has ERPNext, a Frappe CRM site if the bench has Frappe CRM)
# Environment:
#   CRM_APP_BENCH             bench folder (default: $HOME/frappe-bench)
#   CRM_APP_DB_ROOT_PASSWORD  MariaDB root password used to create the test sites (default: root)
#   CRM_APP_TEST_ERPNEXT      auto (default) | 1 | 0: also run on a site with ERPNext
#   CRM_APP_TEST_FCRM         auto (default) | 1 | 0: also run on a site with Frappe CRM (app `crm`), which
#                             gets crm_app first and crm second; tests/integration/test_z_coexistence.py
#                             then reinstalls crm_app after crm, so both install orders are covered
#   CRM_APP_TEST_ARRIVAL      auto (default) | 1 | 0: on a bench with ERPNext, also run
#                             tests/integration/test_erpnext_arrival.py on its own site, which starts with
#                             crm_app alone, then installs ERPNext and removes it again (a few minutes)
#   CRM_APP_KEEP_SITES        1 to reuse existing test sites instead of recreating them (faster reruns)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${CRM_APP_BENCH:-$HOME/frappe-bench}
root_password=${CRM_APP_DB_ROOT_PASSWORD:-root}
status=0

banner() { printf '\n==== %s ====\n' "$*"; }

banner "unit tests (no Frappe)"
python3 -c "import phonenumbers, rapidfuzz, unidecode, snowballstemmer, numpy, scipy, sklearn, statsforecast, hypothesis, babel, \
	pytest" \
	2>/dev/null || python3 -m pip install -q "phonenumbers~=8.13.55" "rapidfuzz~=3.12.2" "Unidecode~=1.3.6" \
	"snowballstemmer~=3.1.1" "numpy~=1.26.4" "scipy~=1.13.1" "scikit-learn~=1.5.2" "statsforecast~=2.1.1" "pyarrow~=21.0.0" \
	"hypothesis~=6.77.0" "Babel~=2.13.1" pytest
(cd "$repo" && python3 -m pytest -q tests/unit) || status=1

if [ ! -x "$bench/env/bin/python" ] || [ ! -d "$bench/apps/frappe" ]; then
	banner "INTEGRATION SUITE SKIPPED"
	echo "!!! No Frappe bench at $bench (set CRM_APP_BENCH). The integration tests did NOT run. !!!"
	exit $status
fi

banner "integration tests on the bench at $bench"
"$repo/scripts/services.sh" "$bench"
"$repo/scripts/link_app.sh" "$bench"

frappe_cmd() { (cd "$bench/sites" && "$bench/env/bin/python" -m frappe.utils.bench_helper frappe "$@"); }

make_site() { # make_site NAME APPS...
	local site=$1; shift
	if [ "${CRM_APP_KEEP_SITES:-0}" = 1 ] && [ -d "$bench/sites/$site" ]; then
		frappe_cmd --site "$site" migrate >/dev/null 2>&1 && return
		echo "migrate failed on the kept site $site: recreating it"
	fi
	frappe_cmd drop-site "$site" --db-root-password "$root_password" --no-backup --force >/dev/null 2>&1 || true
	"$bench/env/bin/python" "$repo/scripts/forget_module_cache.py" "$bench" "$site"
	local install=()
	for app in "$@"; do install+=(--install-app "$app"); done
	echo "creating $site with: $*"
	frappe_cmd new-site "$site" --db-root-password "$root_password" --admin-password admin "${install[@]}" >/dev/null \
		|| { echo "!!! could not create $site with: $*" >&2; return 1; }
	frappe_cmd --site "$site" set-config allow_tests true >/dev/null
}

run_suite() { # run_suite SITE [PYTEST ARGS...]
	local site=$1; shift
	echo "--- integration suite on $site"
	(cd "$repo" && CRM_APP_BENCH="$bench" CRM_APP_SITE="$site" CRM_APP_DB_ROOT_PASSWORD="$root_password" \
		"$bench/env/bin/python" -m pytest -q -rs -p no:cacheprovider "${suite:-tests/integration}" "$@") || status=1
}

make_site crm-test.localhost crm_app
run_suite crm-test.localhost

want_erpnext=${CRM_APP_TEST_ERPNEXT:-auto}
if [ "$want_erpnext" = auto ]; then
	[ -d "$bench/apps/erpnext" ] && grep -qx erpnext "$bench/sites/apps.txt" && want_erpnext=1 || want_erpnext=0
fi
if [ "$want_erpnext" = 1 ]; then
	make_site crm-test-erpnext.localhost erpnext crm_app
	run_suite crm-test-erpnext.localhost
else
	[ "${CRM_APP_TEST_ERPNEXT:-auto}" = 0 ] && why="CRM_APP_TEST_ERPNEXT=0" || why="no ERPNext in this bench"
	echo "($why: the ERPNext site run was skipped)"
fi

want_arrival=${CRM_APP_TEST_ARRIVAL:-auto}
if [ "$want_arrival" = auto ]; then
	[ "$want_erpnext" = 1 ] && want_arrival=1 || want_arrival=0
fi
if [ "$want_arrival" = 1 ]; then
	# Its own site: it installs and removes ERPNext, which the other suites must not see.
	make_site crm-test-arrival.localhost crm_app
	CRM_APP_ARRIVAL=1 suite=tests/integration/test_erpnext_arrival.py run_suite crm-test-arrival.localhost
else
	echo "(no ERPNext in this bench, or CRM_APP_TEST_ARRIVAL=0: the ERPNext arrival run was skipped)"
fi

want_fcrm=${CRM_APP_TEST_FCRM:-auto}
if [ "$want_fcrm" = auto ]; then
	[ -d "$bench/apps/crm" ] && grep -qx crm "$bench/sites/apps.txt" && want_fcrm=1 || want_fcrm=0
fi
if [ "$want_fcrm" = 1 ]; then
	# Some Frappe CRM releases need a newer Frappe than the bench has for their own after_migrate hooks,
	# so `bench migrate` fails on any site with crm, with or without crm_app. The install-cycle test
	# runs migrate, so it is left out there (and says why); everything else runs.
	fcrm_args=()
	if ! blocker=$(cd "$bench/sites" && "$bench/env/bin/python" - <<'PY' 2>&1
import importlib

import crm.hooks

for path in getattr(crm.hooks, "after_migrate", []):
	try:
		importlib.import_module(path.rsplit(".", 1)[0])
	except ImportError as exc:
		raise SystemExit(f"{path}: {exc}") from None
PY
	); then
		echo "!!! bench migrate cannot run with Frappe CRM on this bench (Frappe CRM's own hook fails: $blocker);"
		echo "!!! test_z_install_cycle (which migrates) is skipped on the Frappe CRM site"
		fcrm_args=(--deselect tests/integration/test_z_install_cycle.py)
	fi
	if make_site crm-test-fcrm.localhost crm_app crm; then
		run_suite crm-test-fcrm.localhost ${fcrm_args[@]+"${fcrm_args[@]}"}
	else
		status=1
	fi
else
	[ "${CRM_APP_TEST_FCRM:-auto}" = 0 ] && why="CRM_APP_TEST_FCRM=0" || why="no Frappe CRM in this bench"
	echo "($why: the Frappe CRM site run was skipped)"
fi
exit $status
