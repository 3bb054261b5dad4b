"""The shipped lead form (/contact-us). Its capture script, rate limit and spam check apply to every web
form on CX Lead and live in crm_app/cx_marketing/capture.py, so a marketer's own copy gets them too."""


def get_context(context):
	context.no_cache = 1  # each page carries its own signed form stamp
