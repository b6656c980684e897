"""Example integration: the Jourvex document's "demo booked → fetch journey → update CRM" backend flow."""
