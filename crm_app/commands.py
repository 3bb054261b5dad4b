"""bench commands: `bench --site SITE crm-demo-data [--leads N] [--records N] [--force] [--currencies ...]
[--flavour en|ru|uk|pl]`,
`bench --site SITE crm-recompute-books` (ERPNext: figures from the submitted documents, drift repaired)
and `bench --site SITE crm-reconcile-tallies` (the desk's number cards and charts after SQL writes)."""

import click
from frappe.commands import get_site, pass_context

from crm_app.core.demo import FLAVOUR_CODES


@click.command("crm-demo-data")
@click.option("--leads", default=300, show_default=True, help="Number of demo leads wanted in total.")
@click.option("--records", default=100, show_default=True, help="Customers, opportunities and issues.")
@click.option("--force", is_flag=True, help="Also on a site that is not in developer mode.")
@click.option(
	"--currencies",
	default="",
	help="Comma-separated currencies for a multi-currency demo (default: the reporting currency).",
)
@click.option(
	"--flavour",
	type=click.Choice(FLAVOUR_CODES),
	default="en",
	show_default=True,
	help="Whose data: en (an international mix), ru, uk or pl (people, organisations, cities and phone "
	"numbers of Russia, Ukraine or Poland, records' country set to it).",
)
@pass_context
def crm_demo_data(context, leads: int, records: int, force: bool, currencies: str, flavour: str):
	"""Fill the site with realistic CRM demo data (idempotent: a second run only tops up)."""
	import frappe

	from crm_app.demo import create_demo_data

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		wanted = tuple(code.strip().upper() for code in currencies.split(",") if code.strip())
		result = create_demo_data(
			leads=leads, records=records, force=force, currencies=wanted, flavour=flavour
		)
		click.secho(f"Demo data ready on {site}: {result}", fg="green")
	except frappe.ValidationError as exc:
		click.secho(frappe.utils.strip_html(str(exc)), fg="red")
		raise SystemExit(1) from exc
	finally:
		frappe.destroy()


@click.command("crm-recompute-books")
@pass_context
def crm_recompute_books(context):
	"""Recompute deals', customers' and campaigns' figures from ERPNext's submitted documents."""
	import frappe

	from crm_app.integrations.erpnext.books import repair_books

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		count = repair_books(progress=lambda done, total: click.echo(f"{done:,} of {total:,} deals"))
		frappe.db.commit()
		click.secho(
			f"Recomputed {count:,} deals and every linked customer and campaign on {site}.", fg="green"
		)
	finally:
		frappe.destroy()


@click.command("crm-reconcile-tallies")
@pass_context
def crm_reconcile_tallies(context):
	"""Bring the desk's tallies (number cards, charts) in line with the tables, after writes in SQL."""
	import frappe

	from crm_app.cx_insights.figures import reconcile

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		click.secho(f"{reconcile():,} tally rows corrected on {site}.", fg="green")
	finally:
		frappe.destroy()


commands = [crm_demo_data, crm_recompute_books, crm_reconcile_tallies]
