# Replaced by the README's component example when the test copies this project (tests/test_consumers.py).
raise SystemExit("tests/test_consumers.py writes this program from README.md")
