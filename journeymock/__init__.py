"""journeymock's contract runner (`journeymock.contracts`) and pytest plugin and fixtures (`journeymock.fixtures`).

The repository keeps them in its top-level `contracts/` and `fixtures/` folders; this package names them under
journeymock's own import name, so that installing journeymock never shadows or overwrites another
distribution's top-level `contracts` or `fixtures` package. The two entries here are links to those folders
(ARCHITECTURE.md, "Import names").
"""
