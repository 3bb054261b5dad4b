"""The desk's scripts call each whitelisted method with an HTTP method it accepts.

`frappe.xcall` always POSTs, and `frappe.call` POSTs unless told `type: "GET"`; a method whitelisted for
GET only then answers 403 "Not permitted" in the browser while its tests (which call it in Python) pass.
Found so: the campaign email's Preview dialog. This walks every script of the app for calls of the app's
own GET-only methods."""

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "crm_app"
CALL = re.compile(r"""frappe\s*\.\s*(xcall|call)\s*\(\s*(\{)?""")
METHOD_IN_ARGS = re.compile(r"""method\s*:\s*["']([\w.]+)["']""")
FIRST_STRING = re.compile(r"""\s*["']([\w.]+)["']""")


def http_methods(decorator: ast.expr) -> list[str] | None:
	"""The `methods=[...]` of a `@frappe.whitelist(...)` decorator, None for any other decorator."""
	if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "frappe.whitelist"):
		return None
	for keyword in decorator.keywords:
		if keyword.arg == "methods" and isinstance(keyword.value, ast.List | ast.Tuple):
			return [ast.literal_eval(element) for element in keyword.value.elts]
	return ["GET", "POST", "PUT", "DELETE"]


def get_only_methods() -> set[str]:
	found = set()
	for path in APP.rglob("*.py"):
		module = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.FunctionDef):
				for decorator in node.decorator_list:
					methods = http_methods(decorator)
					if methods is not None and "POST" not in methods:
						found.add(f"{module}.{node.name}")
	return found


def posting_calls(source: str) -> list[str]:
	"""Methods a script calls by POST: every xcall, and frappe.call without type "GET"."""
	called = []
	for match in CALL.finditer(source):
		rest = source[match.end() : match.end() + 600]
		if match.group(1) == "xcall":
			method = FIRST_STRING.match(rest)
			if method:
				called.append(method.group(1))
		elif match.group(2):
			arguments = rest[: rest.find("})") if "})" in rest else 600]
			method = METHOD_IN_ARGS.search(arguments)
			if method and not re.search(r"""type\s*:\s*["']GET["']""", arguments):
				called.append(method.group(1))
	return called


def test_get_only_methods_are_found():
	assert "crm_app.cx_marketing.sends.preview" in get_only_methods()


def test_no_script_posts_to_a_get_only_method():
	get_only = get_only_methods()
	wrong = [
		f"{path.relative_to(APP.parent)}: {method}"
		for path in APP.rglob("*.js")
		for method in posting_calls(path.read_text())
		if method in get_only
	]
	assert not wrong, "GET-only methods called by POST (use frappe.call with type: 'GET'):\n" + "\n".join(
		wrong
	)


def test_the_check_sees_a_post_to_a_get_only_method():
	script = 'frappe.xcall("crm_app.x.read", {a: 1}); frappe.call({method: "crm_app.x.other", args: {}, type: "GET"});'
	assert posting_calls(script) == ["crm_app.x.read"]
