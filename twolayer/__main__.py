"""``python -m twolayer``: the command through :func:`twolayer_start.main`, which installs its
SIGINT/SIGTERM handlers before ``twolayer.cli`` is imported (here ``import twolayer`` has run
already, and its first statement installed them, :func:`twolayer_start.early`). An editable
install made before ``twolayer_start`` existed maps only the packages it knew; there the
command runs :func:`twolayer.cli.main` directly, as before, until it is installed again
(``make setup``)."""

import sys

try:
    from twolayer_start import main
except ImportError:
    from .cli import main

sys.exit(main())
