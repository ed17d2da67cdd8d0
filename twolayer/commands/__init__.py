"""One module per ``twolayer`` subcommand: ``add_parser(subparsers)`` and ``run(args)``."""
