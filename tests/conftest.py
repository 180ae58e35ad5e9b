import sys
from pathlib import Path

# tests/helpers.py holds the builders shared by all test folders
TESTS_DIR = str(Path(__file__).resolve().parent)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
