"""The two exceptions the package raises beside ValueError/TypeError."""


class SpecError(ValueError):
    """myogen rejected the spec (exit status 2); the message is myogen's one line."""


class KernelError(RuntimeError):
    """A generated function returned nonzero (DESIGN.md 5)."""

    CAUSES = {
        1: "invalid argument (a NULL buffer, a zero size, or sizes whose bytes overflow)",
        2: "numerical failure (a zero or non-finite pivot, or a non-finite output)",
        3: "the GPU runtime failed (CUDA refused a launch)",
    }

    def __init__(self, func, code):
        self.func, self.code = func, code
        cause = self.CAUSES.get(code, "unknown status")
        super().__init__("%s returned %d: %s" % (func, code, cause))
