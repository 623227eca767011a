"""Run the Python unit tests and write one line per test for tests/run-all.sh:
"pass NAME", "fail NAME" or "skip NAME reason" (tests/lib.sh's format), NAME = python/Class.test.

    python3 python/tests/report.py RESULTS-FILE
"""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))


class Result(unittest.TextTestResult):
    lines = []

    def _name(self, test):
        return "python/" + test.id().split(".", 1)[1]

    def addSuccess(self, test):
        super().addSuccess(test)
        self.lines.append("pass %s" % self._name(test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.lines.append("fail %s" % self._name(test))

    def addError(self, test, err):
        super().addError(test, err)
        self.lines.append("fail %s" % self._name(test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.lines.append("skip %s %s" % (self._name(test), reason))


def main():
    suite = unittest.defaultTestLoader.discover(here, top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=2, resultclass=Result).run(suite)
    # A module that fails to import is an error of a test named after it.
    with open(sys.argv[1], "a") as f:
        for line in Result.lines:
            f.write(line + "\n")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
