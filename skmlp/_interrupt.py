"""Ctrl-C during training: stop after the current epoch and keep the model.

A KeyboardInterrupt raised at an arbitrary bytecode can land between a
kernel's in-place update and the bookkeeping that records it, or while Numba
is loading its cache (which leaves Numba's registries half-initialised). So
while a fit runs in the main thread, the first Ctrl-C only sets a flag that the
epoch driver checks after each recorded epoch (and the L-BFGS callback after
each iteration). A second Ctrl-C raises KeyboardInterrupt as usual, which
aborts the fit and leaves the estimator as it was before it.
"""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def graceful_interrupt():
    """Yield a callable telling whether Ctrl-C was pressed inside the block.

    Outside the main thread, or when the program has its own SIGINT handler,
    nothing is installed and the callable always returns False (a
    KeyboardInterrupt then behaves as it does anywhere else).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return

    pressed = [False]

    def handler(signum, frame):
        if pressed[0]:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        pressed[0] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: pressed[0]
    finally:
        signal.signal(signal.SIGINT, previous)
