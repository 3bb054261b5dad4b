#!/usr/bin/env bash
# Translations (crm_app/locale, gettext): after changing a user-facing string, run
#   scripts/translations.sh ~/frappe-bench
# It regenerates main.pot with Frappe's own generate-pot-file, merges new and changed messages into
# ru.po, uk.po and pl.po (update-po-files: new ones empty, changed ones fuzzy), and compiles them into the
# bench's assets (compile-po-to-mo), where Frappe reads them. Then translate what tests/unit/test_translations.py
# reports (docs/glossary.md has the terms), and run it again to compile.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${1:-${CRM_APP_BENCH:-$HOME/frappe-bench}}
frappe_cmd() { (cd "$bench/sites" && "$bench/env/bin/python" -m frappe.utils.bench_helper frappe "$@"); }
"$repo/scripts/link_app.sh" "$bench" >/dev/null
# generate-pot-file --app crm_app, wherever this checkout is (crm_app/l10n.py: Frappe's navbar extractor
# expects the app's files inside the bench).
(cd "$bench/sites" && "$bench/env/bin/python" -c "from crm_app.l10n import generate_template; generate_template()")
frappe_cmd update-po-files --app crm_app
frappe_cmd compile-po-to-mo --app crm_app --force
