"""Code hosts (SCMs): one package per kind, each implementing the Remote interface."""
