"""pytest options for the iotest harness."""


def pytest_addoption(parser):
    parser.addoption("--chaincheck", action="store", default=None,
                     help="path of the chaincheck binary (default: build/default/oracle/cli/chaincheck)")
    parser.addoption("--update", action="store_true", default=False,
                     help="rewrite golden .out files from the current output (deliberately)")
