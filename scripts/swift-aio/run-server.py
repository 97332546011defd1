#!/usr/bin/python3
"""Runs one Swift WSGI server of a swift-aio instance in the foreground.

usage: run-server.py <account-server|container-server|object-server|proxy-server>
                     <instance swift.conf> <server conf>

What it changes compared with /usr/bin/swift-<x>-server <conf> -v:
- swift.conf (hash path prefix/suffix, storage policies) is read from the instance directory
  instead of the hard-wired /etc/swift/swift.conf, before anything loads storage policies;
- syslog is off (there is no /dev/log in containers, and Swift would fall back to UDP :514):
  log records go to stderr only, which swift-aio.sh sends to <dir>/log/<server>.log.
"""
import logging
import sys

from swift.common import utils

server, swift_conf, conf_file = sys.argv[1:4]
utils.SWIFT_CONF_FILE = swift_conf
utils.validate_configuration()


def _no_syslog(*_args, **_kwargs):
    return logging.NullHandler()


utils.ThreadSafeSysLogHandler = _no_syslog

from swift.common import storage_policy  # noqa: E402  (must load after SWIFT_CONF_FILE is set)
from swift.common.wsgi import run_wsgi  # noqa: E402

storage_policy.reload_storage_policies()

kwargs = {"verbose": True}
if server == "object-server":
    from swift.obj import server as object_server  # noqa: E402

    kwargs["global_conf_callback"] = object_server.global_conf_callback

sys.exit(run_wsgi(conf_file, server, **kwargs))
