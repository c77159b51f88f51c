"""Tests of the user-facing helper scripts in scripts/ (make usb, make debug)."""
