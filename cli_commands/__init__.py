"""Sub-commands of cli.py, one module per group; each exposes register(subparsers, shared_parser)."""
