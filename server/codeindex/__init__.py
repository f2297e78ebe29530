"""codeindex: a live index of a code workspace for editors and coding agents."""

__version__ = "0.1.0"
