"""The page's adapter: runs in a PyScript worker. Only ``bridge`` imports js or pyodide."""
