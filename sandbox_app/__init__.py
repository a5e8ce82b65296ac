"""City Data-Sharing Sandbox: practise what to share between city departments, on a synthetic city."""

__version__ = "0.1.0"
