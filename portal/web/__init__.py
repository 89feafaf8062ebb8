"""Web plumbing shared by every blueprint: client address, CSRF, security headers."""
