"""Browser tests in real Chromium."""
