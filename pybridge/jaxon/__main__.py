"""python -m jaxon: the jaxon command line (jaxon._cli)."""

from ._cli import main

raise SystemExit(main())
