frappe.ready(() => {
	const form = document.getElementById("cx-reply");
	if (!form) return;
	const issue = document.querySelector(".cx-support-issue").dataset.issue;
	form.addEventListener("submit", (event) => {
		event.preventDefault();
		frappe.call({
			method: "crm_app.cx_support.portal.reply",
			args: { issue: issue, message: form.message.value },
			btn: $(form.querySelector("button[type=submit]")),
			callback: () => window.location.reload(),
		});
	});
});
