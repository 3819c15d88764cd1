"""The only code that builds queries or commits: one module per entity, with fixed verbs.

Verbs: `get`, `get_by_<key>`, `list_<scope>`, `count`, `create`, `update`, `delete`; a missing row
raises NotFound and a unique-key clash raises Conflict (circle.errors).
"""
