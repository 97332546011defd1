#!/usr/bin/python3
"""Reference answers from Debian's python3-swiftclient, for swiftboot's compatibility tests.

Batch mode (default): one JSON object per stdin line, one JSON answer per stdout line, in order.
Each request has "op":
  generate   swiftclient.utils.generate_temp_url with time.time() pinned to "now"
  timestamp  swiftclient.utils.parse_timestamp(seconds, absolute)
  ip         whether ipaddress.ip_network(value) (strict, as Swift's tempurl uses it) accepts it
  quote      urllib.parse.quote(value) (safe='/')
  urlparse   urllib.parse.urlparse(value): scheme, netloc, path
  bench      ns per generate_temp_url call for each of "batches" batches of "iterations" calls,
             measured here with perf_counter_ns (absolute=True, so no clock is read)
Answers are {"ok": ...} or {"error": "<ExceptionType>: <message>"}.

CLI mode: python-tempurl.py cli NOW ARG...  runs `swift ARG...` (swiftclient.shell.main) with
time.time() pinned to NOW, so relative expiries are reproducible.

If python3-swiftclient is missing, prints {"fatal": ...} and exits 3.
"""
import ipaddress
import json
import sys
import time
import urllib.parse

try:
    from swiftclient import utils as swift_utils
except ImportError as exc:
    print(json.dumps({"fatal": "python3-swiftclient is not installed (apt-get install "
                               "python3-swiftclient): %s" % exc}), flush=True)
    sys.exit(3)

real_time = time.time


def pinned(now):
    time.time = lambda: now


def op_generate(req):
    pinned(req["now"])
    try:
        return swift_utils.generate_temp_url(
            req["path"], req["seconds"], req["key"], req["method"],
            absolute=req.get("absolute", False), prefix=req.get("prefix", False),
            iso8601=req.get("iso8601", False), ip_range=req.get("ip_range"),
            digest=req.get("digest", "sha256"))
    finally:
        time.time = real_time


def op_timestamp(req):
    timestamp, absolute = swift_utils.parse_timestamp(req["seconds"], req["absolute"])
    return [timestamp, absolute]


def op_ip(req):
    try:
        ipaddress.ip_network(req["value"])
        return True
    except ValueError:
        return False


def op_quote(req):
    return urllib.parse.quote(req["value"])


def op_urlparse(req):
    parsed = urllib.parse.urlparse(req["value"])
    return [parsed.scheme, parsed.netloc, parsed.path]


def op_bench(req):
    path, key, expires = req["path"], req["key"], req["expires"]
    digest, iterations, batches = req["digest"], req["iterations"], req["batches"]
    generate = swift_utils.generate_temp_url
    for _ in range(iterations // 10):  # warm up
        generate(path, expires, key, "GET", absolute=True, digest=digest)
    results = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            generate(path, expires, key, "GET", absolute=True, digest=digest)
        results.append((time.perf_counter_ns() - start) / iterations)
    return results


OPS = {"generate": op_generate, "timestamp": op_timestamp, "ip": op_ip, "quote": op_quote,
       "urlparse": op_urlparse, "bench": op_bench}


def batch():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            answer = {"ok": OPS[req["op"]](req)}
        except Exception as exc:  # every failure is an answer to compare, not a crash
            answer = {"error": "%s: %s" % (type(exc).__name__, exc)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()  # answers go out as they are ready, so callers may converse


def cli(now, args):
    from swiftclient.shell import main
    pinned(float(now))
    main(["swift"] + args)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "cli":
        cli(sys.argv[2], sys.argv[3:])
    else:
        batch()
