"""Evaluation, training and the model card. Scripts (``python -m tools.eval.<name>``): evaluate,
sweep, make_negatives, train (in .venv-train), model_card. Their library: data (labelled photos),
inference (the app's own detection path, cached), metrics, report, export (.pt -> ONNX)."""
