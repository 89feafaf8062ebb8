"""Applying on the site: applications, résumés and their pipeline."""
