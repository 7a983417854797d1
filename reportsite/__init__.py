"""reportsite: a static site generator for long institutional reports in several languages."""

__version__ = "1.0.0"
