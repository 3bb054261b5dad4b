"""ERPNext glue. Everything here is a no-op on a site without ERPNext and imports ERPNext lazily."""
