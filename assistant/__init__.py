"""Training Stability Assistant: why a fine-tuning run is unstable or failing, and what to change."""

__all__ = ["__version__"]

__version__ = "0.1.0"
