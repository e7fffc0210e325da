"""cablerdf: a linked-data edition of the US diplomatic cables published by WikiLeaks."""

__version__ = "0.1.0"
