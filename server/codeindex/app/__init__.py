"""The façade every front-end calls: tasks, search, status, validate, sessions."""
