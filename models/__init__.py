"""The detector models: served to the page as models/ and shipped as package data, plateblur.models
(pyproject.toml maps this folder there; read them with plateblur.cpython.assets.model_path)."""
