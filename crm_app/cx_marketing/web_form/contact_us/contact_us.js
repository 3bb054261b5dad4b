// The capture script (UTM values, honeypot, form stamp) is added to every CX Lead web form by
// crm_app/cx_marketing/capture.py (add_form_script); this file is for this form's own behaviour.
frappe.ready(function () {});
