"""`python -m iopctl` runs the command line."""
from iopctl.cli import main

if __name__ == "__main__":
    main()
