"""The Dash dashboard: layout, component ids, thin callbacks, pure figure builders, exports.

Nothing here mutates provider state; callbacks only read immutable snapshots.
"""
