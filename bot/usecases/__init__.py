"""Use cases, one module per feature, mirroring `bot/handlers/`.

Each use case reads and writes in one transaction and returns an outcome for its caller to
render; messages to anyone but the person acting go through the outbox. They hold no SQL
(storage does) and no rules of their own (the domain does).
"""
