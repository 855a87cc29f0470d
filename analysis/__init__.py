"""Privacy Audit engine: plain functions that take data and return typed, JSON-serializable results.

No Streamlit here. Heavy libraries (TensorFlow, Ray, Flower, spaCy) are imported inside the functions
that need them so that `import analysis` and the CLI start fast.
"""

__version__ = "0.1.0"

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probes, oneDNN notes) is noise for our users.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
