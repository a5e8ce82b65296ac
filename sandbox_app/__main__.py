import sys

from sandbox_app.cli import main

sys.exit(main())
