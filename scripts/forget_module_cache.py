"""Drop Frappe's cached module list that a new site would be installed from.

`bench new-site` initialises the site before its config names a database, so Frappe caches the apps'
module lists under the key `None|app_modules` in Redis, shared by every site created on the bench and
kept until someone clears it. An app that gained a module since (crm_app's "CX Marketing") would then be
installed without that module's doctypes. A dropped site's own keys (named by its database, which
new-site derives from the site's path) outlive it too.

Usage: BENCH/env/bin/python scripts/forget_module_cache.py BENCH SITE
"""

import hashlib
import json
import os
import sys

import redis


def main() -> None:
	bench, site = sys.argv[1], sys.argv[2]
	config = json.load(open(os.path.join(bench, "sites", "common_site_config.json")))
	client = redis.Redis.from_url(config.get("redis_cache", "redis://127.0.0.1:13000"))
	site_path = os.path.realpath(os.path.join(bench, "sites", site))
	database = "_" + hashlib.sha1(site_path.encode(), usedforsecurity=False).hexdigest()[:16]
	stale = [b"None|app_modules", b"None|installed_app_modules"]
	stale += list(client.scan_iter(match=f"{database}|*", count=1000))
	if stale:
		client.delete(*stale)


if __name__ == "__main__":
	main()
