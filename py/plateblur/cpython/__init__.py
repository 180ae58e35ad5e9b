"""The CPython edge (not part of the page): the command line (``cli``), the detector in onnxruntime
(``onnx_model``, ``assets``) and batch work over files and URIs: which files a run takes (``inputs``),
where results go and how they are written (``outputs``, ``remote``), the threaded run (``batch``,
``video``, ``regions``), Ray (``cluster``) and what the user sees meanwhile (``progress``)."""
