"""Employers: the companies jobs belong to."""
