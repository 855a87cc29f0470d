"""Private training: DP-SGD settings and accounting (dp.py), the shared Keras loop (training.py)."""
