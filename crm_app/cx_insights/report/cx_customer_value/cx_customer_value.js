// Copyright (c) 2026, crm_app developers
// For license information, please see license.txt

frappe.query_reports["CX Customer Value"] = {
	filters: [
		{
			fieldname: "segment",
			label: __("Value Segment"),
			fieldtype: "Select",
			options: [
				"",
				"Champions",
				"Loyal",
				"Potential Loyalist",
				"New",
				"Promising",
				"Need Attention",
				"About to Sleep",
				"At Risk",
				"Cannot Lose Them",
				"Hibernating",
				"Lost",
			].map((value) => ({ value, label: value ? __(value) : __("All Segments") })),
		},
		{
			fieldname: "min_churn_risk",
			label: __("Churn Risk (at least %)"),
			fieldtype: "Percent",
		},
		{
			fieldname: "order_by",
			label: __("Order By"),
			fieldtype: "Select",
			options: [
				{ value: "predicted_value", label: __("Expected Value") },
				{ value: "churn_risk", label: __("Churn Risk") },
				{ value: "rfm_monetary", label: __("Purchase Value") },
			],
			default: "predicted_value",
		},
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "churn_risk" && data && data.churn_risk >= 70) {
			value = `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
