"""Browser tests: a real server process driven by Playwright and Debian's Chromium."""
