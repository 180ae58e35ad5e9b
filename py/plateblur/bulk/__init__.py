"""Batches of photos on the command line (CPython only, not part of the page): which files a run
takes (``inputs``), where their results go and how they are written (``outputs``), the threaded
run (``batch``) and what the user sees meanwhile (``progress``)."""
