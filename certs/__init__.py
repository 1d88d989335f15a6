"""Certificate tooling for nginx: a local certificate authority, company certificate import and status.

Generated keys and certificates live in the TLS directory (setting ``tls_dir``, default
``<data_dir>/tls``) and are never committed.
"""
