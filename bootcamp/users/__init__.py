"""User accounts, roles and the rules for who may do what."""
