"""``mcsim explore``: serve the explorer page (``sim/explorer/app.py``) with Solara, offline.

    mcsim explore [port=8765] [host=127.0.0.1] [allow_remote=false] [population=20000] [seed=1]

The page is unauthenticated, so it binds the loopback address unless a non-loopback ``host``
comes with ``allow_remote=true``; requests naming another host and WebSocket upgrades from
another origin are refused (``sim.explorer.guard``). Every asset is served by this process: the front end from
the ``solara-assets`` package (Solara's asset proxy serves its local copy, so nothing is
fetched from a CDN), and telemetry and version checks are switched off.
"""

from __future__ import annotations

import ipaddress
import os
import sys

from sim.commands.common import fail
from sim.config.schema import allowed_range

# population: the number of agents, as in experiment, validate and calibration settings
DEFAULTS = {"port": "8765", "host": "127.0.0.1", "allow_remote": "false", "population": "20000", "seed": "1"}
# Solara settings for an offline, private server (read when solara is first imported).
OFFLINE_ENV = {
    "SOLARA_ASSETS_PROXY": "True",                # serve front-end assets from this process ...
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # ... and send nothing anywhere
    "SOLARA_THEME_LOADER": "plain",
}


def parse(args: list[str]) -> dict[str, str]:
    """``key=value`` arguments over DEFAULTS; exits with a one-line error on bad input."""
    opts = dict(DEFAULTS)
    for arg in args:
        key, sep, value = arg.partition("=")
        if key == "n_agents":
            fail("explore", f"{arg} is not an option: the number of agents is population (population={value})")
        if not sep or key not in DEFAULTS:
            fail("explore", f"{arg!r} is not an option: expected key=value with key one of {', '.join(DEFAULTS)}")
        opts[key] = value
    if not opts["port"].isdigit() or not 1 <= int(opts["port"]) <= 65535:
        fail("explore", f"port={opts['port']} is not allowed: expected an integer from 1 to 65535")
    if opts["allow_remote"].lower() not in ("true", "false"):
        fail("explore", f"allow_remote={opts['allow_remote']} is not allowed: expected true or false")
    lo, hi = allowed_range("population.n_agents", cap="explorer")  # the explorer's cap, beside the schema's
    if not opts["population"].isdigit() or not lo <= int(opts["population"]) <= hi:
        fail("explore", f"population={opts['population']} is not allowed: expected an integer from {lo} to {hi}")
    if not opts["seed"].isdigit():
        fail("explore", f"seed={opts['seed']} is not allowed: expected an integer >= 0")
    if not is_loopback(opts["host"]) and opts["allow_remote"].lower() != "true":
        fail("explore", f"host={opts['host']} is not a loopback address: the explorer has no login, so it serves "
                        "only this machine unless you add allow_remote=true")
    return opts


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: treated as remote


def main(args: list[str]) -> None:
    opts = parse(args)
    os.environ.update(OFFLINE_ENV)
    os.environ["MCSIM_EXPLORE_N_AGENTS"] = opts["population"]   # read by the page's process
    os.environ["MCSIM_EXPLORE_SEED"] = opts["seed"]
    import logging

    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    app = "sim.explorer.app"   # the page, imported as a module of the package
    os.environ["SOLARA_APP"] = app  # read when Solara's server module is imported, just below
    from solara.__main__ import cli
    from solara.server import starlette as solara_server

    from sim.explorer.guard import HostOriginGuard, allowed_hosts

    # Outermost middleware: requests for other host names and cross-site WebSockets get 403.
    solara_server.app.add_middleware(HostOriginGuard, hosts=allowed_hosts(opts["host"], int(opts["port"])))
    print(f"mcsim explore: serving http://{opts['host']}:{opts['port']}/ (Ctrl-C stops)", flush=True)
    cli(["run", app, "--host", opts["host"], "--port", opts["port"], "--production", "--no-open",
         "--no-check-version", "--log-level", "warning", "--log-level-uvicorn", "warning",
         "--no-access-log"], standalone_mode=False)
    sys.exit(0)
