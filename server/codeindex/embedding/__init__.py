"""Embedding models: the protocol, local and remote models, int8, rules, context, registry."""
