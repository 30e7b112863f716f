"""``python -m geo_nb.testing``: run the NCBI emulator in the foreground for an offline demo."""

from __future__ import annotations

import argparse
import shlex
import threading

from .emulator import ACC_MODES, NCBIEmulator
from .synth import clone_series


def main(argv: list[str] | None = None) -> None:
    """Start the emulator, print the variables to export, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m geo_nb.testing", description="Serve an offline NCBI for geo_nb."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (8765; 0 = any)")
    parser.add_argument("--data", default=None, help="data directory (default: bundled data)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each response")
    parser.add_argument("--bandwidth", type=float, default=None, help="body bytes/s per connection")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="do not answer 429 above 3 (10) requests/s"
    )
    parser.add_argument(
        "--clone",
        action="append",
        default=[],
        metavar="GSE:N",
        help="add N clones of a recorded series (and its samples) as GSE9000001...; repeatable",
    )
    parser.add_argument(
        "--acc",
        choices=ACC_MODES,
        default="ok",
        help="how acc.cgi answers every request: ok, challenge (a bot-challenge page) or "
        "unavailable (HTTP 503); the FTP tree and E-utilities still answer",
    )
    args = parser.parse_args(argv)
    emulator = NCBIEmulator(
        args.data,
        latency=args.latency,
        bandwidth=args.bandwidth,
        enforce_rate_limit=not args.no_rate_limit,
        host=args.host,
        port=args.port,
    )
    emulator.acc_mode = args.acc
    with emulator:
        first = 9_000_001
        for spec in args.clone:
            template, _, count = spec.partition(":")
            made = clone_series(
                emulator.store,
                template,
                int(count or 1),
                first_series=first,
                first_sample=first * 10,
            )
            first += len(made)
            print(f"cloned {template} as {made[0]}..{made[-1]}", flush=True)
        print(f"NCBI emulator serving {emulator.base_url} (Ctrl-C to stop). Export:", flush=True)
        for name, value in emulator.env().items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopped", flush=True)


if __name__ == "__main__":
    main()
