"""The AWS emulator as a child process: moto's server on 127.0.0.1, on a free port.

Run as ``python -m backend.ops.emulator``. It prints one JSON line ``{"endpoint": URL}`` once
it listens, and runs until its standard input closes (the parent ended, however it ended) or
it gets SIGTERM/SIGINT. A separate process, so moto's CPU does not share the app's GIL.

moto runs with the fixes of ``moto_patches`` (thread safety and speed of its DynamoDB, in this
process only; each patch says why it exists). They were written for one range of moto
versions: on another, the emulator does not start, and says so (one JSON line
``{"error": ...}`` naming the version, which the local stack raises).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from . import moto_patches


def main() -> int:
    # moto must never see real credentials, whatever the operator's shell holds
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_SESSION_TOKEN="testing")
    os.environ.pop("AWS_PROFILE", None)
    import logging

    from moto.server import ThreadedMotoServer

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s moto %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    try:
        moto_patches.apply()
    except moto_patches.MotoVersionError as exc:
        sys.stdout.write(json.dumps({"error": str(exc)}) + "\n")
        sys.stdout.flush()
        return 2

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    sys.stdout.write(json.dumps({"endpoint": f"http://{host}:{port}"}) + "\n")
    sys.stdout.flush()

    def watch_stdin() -> None:
        try:
            while sys.stdin.read(65536):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
