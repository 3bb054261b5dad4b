frappe.ready(() => {
	const form = document.getElementById("cx-csat");
	if (!form) return;
	form.querySelectorAll(".cx-rating").forEach((button) => {
		button.addEventListener("click", () => {
			form.rating.value = button.dataset.rating;
			form.querySelectorAll(".cx-rating").forEach((other) => {
				const chosen = other === button;
				other.classList.toggle("btn-primary", chosen);
				other.classList.toggle("btn-outline-primary", !chosen);
				other.setAttribute("aria-pressed", chosen ? "true" : "false");
			});
		});
	});
	form.addEventListener("submit", (event) => {
		event.preventDefault();
		if (!form.rating.value) {
			frappe.msgprint(__("Please choose a rating from 1 to 5."));
			return;
		}
		frappe.call({
			method: "crm_app.cx_support.csat.submit_rating",
			args: {
				issue: form.dataset.issue,
				token: form.dataset.token,
				rating: form.rating.value,
				comment: form.comment.value,
			},
			btn: $(form.querySelector("button[type=submit]")),
			callback: () => {
				form.style.display = "none";
				document.getElementById("cx-csat-thanks").style.display = "block";
			},
		});
	});
});
