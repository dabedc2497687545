"""The staff pages, one module each: login, morning board, DSL inbox, accounts."""
