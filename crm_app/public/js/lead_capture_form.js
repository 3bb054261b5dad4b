// Added to every web form on CX Lead (crm_app/cx_marketing/capture.py, add_form_script) after
// window.cx_lead_capture = {stamp, honeypot}. Sends with the form: the UTM values of the visitor's first
// landing (kept by utm_capture.js, else this page's URL), the signed time the page was served, and a
// honeypot field that people never see and bots fill.
frappe.ready(function () {
	const settings = window.cx_lead_capture || {};
	const KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_content"];
	const STORE = "crm_app:utm";

	function utm_values() {
		let stored = {};
		try {
			stored = JSON.parse(window.sessionStorage.getItem(STORE) || "{}") || {};
		} catch (e) {
			stored = {};
		}
		const params = new URLSearchParams(window.location.search);
		const values = {};
		KEYS.forEach((key) => {
			const value = stored[key] || params.get(key);
			if (value) values[key] = String(value).slice(0, 200);
		});
		return values;
	}

	function add_honeypot() {
		const form = document.querySelector(".web-form") || document.querySelector("form");
		if (!form || form.querySelector(`[name="${settings.honeypot}"]`)) return;
		const trap = document.createElement("div");
		trap.setAttribute("aria-hidden", "true");
		trap.style.cssText = "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden;";
		const label = document.createElement("label");
		label.textContent = __("Leave this field empty");
		const input = document.createElement("input");
		input.type = "text";
		input.name = settings.honeypot;
		input.tabIndex = -1;
		input.autocomplete = "off";
		label.appendChild(input);
		trap.appendChild(label);
		form.appendChild(trap);
	}

	function attach() {
		const web_form = frappe.web_form;
		if (!web_form || !web_form.doc) return false;
		add_honeypot();
		const validate = web_form.validate;
		web_form.validate = function () {
			const valid = validate ? validate.apply(this, arguments) : true;
			const trap = document.querySelector(`[name="${settings.honeypot}"]`);
			Object.assign(web_form.doc, utm_values(), {
				[settings.honeypot]: trap ? trap.value : "",
				cx_form_stamp: settings.stamp || "",
			});
			return valid;
		};
		return true;
	}

	if (!attach()) {
		const timer = setInterval(() => attach() && clearInterval(timer), 100);
		setTimeout(() => clearInterval(timer), 10000);
	}
});
