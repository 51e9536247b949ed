"""Domain logic. Services take the acting staff member as an argument and never touch Flask's request."""
