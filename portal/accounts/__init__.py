"""Accounts: registration, sign-in, sessions, API tokens, profiles and roles."""
