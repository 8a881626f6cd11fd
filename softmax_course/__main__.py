"""``python -m softmax_course``: the same as the ``softmax-course`` command."""

import sys

from softmax_course.cli import main

if __name__ == "__main__":
    sys.exit(main())
