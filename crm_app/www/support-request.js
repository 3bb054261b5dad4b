frappe.ready(() => {
	const form = document.getElementById("cx-support-request");
	if (!form) return;
	form.addEventListener("submit", (event) => {
		event.preventDefault();
		frappe.call({
			method: "crm_app.cx_support.portal.submit_request",
			args: {
				subject: form.subject.value,
				email: form.email.value,
				description: form.description.value,
				homepage: form.homepage.value,
				form_stamp: form.form_stamp.value,
			},
			btn: $(form.querySelector("button[type=submit]")),
			callback: (r) => {
				if (!r.message) return;
				form.style.display = "none";
				const sent = document.getElementById("cx-support-request-sent");
				sent.textContent = __("Thank you. Your request {0} has been received; we will answer by email.", [
					r.message.issue,
				]);
				sent.style.display = "block";
			},
		});
	});
});
