"""`python -m teacherpool` is the `teacherpool` command."""

from teacherpool.cli import main

raise SystemExit(main())
