frappe.ready(() => {
	const form = document.getElementById("cx-new-issue");
	if (!form) return;
	form.addEventListener("submit", (event) => {
		event.preventDefault();
		const button = form.querySelector("button[type=submit]");
		frappe.call({
			method: "crm_app.cx_support.portal.create_issue",
			args: { subject: form.subject.value, description: form.description.value },
			btn: $(button),
			callback: (r) => {
				if (r.message) window.location.href = r.message.route;
			},
		});
	});
});
