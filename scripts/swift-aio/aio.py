#!/usr/bin/python3
"""Helpers for swift-aio.sh that are easier in Python (Debian's /usr/bin/python3, which has the
swift packages): free ports, ring building, readiness checks.

  aio.py ports N                  print N distinct free TCP ports on 127.0.0.1
  aio.py rings <etc> <a> <c> <o>  build account/container/object rings (one device each)
  aio.py wait <timeout s> <proxy url> <backend url>...
                                  wait for /healthcheck on every URL, then for tempauth
                                  (test:tester/testing) to hand out a token that can HEAD the
                                  account; prints the storage URL
"""
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def free_ports(count):
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def build_rings(etc, ports):
    from swift.common.ring import RingBuilder

    for name, port in zip(("account", "container", "object"), ports):
        # part power 6, 1 replica, min_part_hours 1: a one-device ring.
        builder = RingBuilder(6, 1, 1)
        builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                         "replication_ip": "127.0.0.1", "replication_port": int(port),
                         "device": "sdb1", "weight": 1.0, "meta": ""})
        builder.rebalance()
        builder.save(os.path.join(etc, name + ".builder"))
        builder.get_ring().save(os.path.join(etc, name + ".ring.gz"))


def request(url, method="GET", headers=None, timeout=2.0):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait(timeout, proxy, backends):
    deadline = time.monotonic() + timeout
    last = "nothing tried"
    pending = [proxy] + backends
    while time.monotonic() < deadline:
        try:
            while pending:
                status, _, body = request(pending[0] + "/healthcheck")
                if status != 200:
                    raise RuntimeError("%s/healthcheck: %s %r" % (pending[0], status, body[:200]))
                pending.pop(0)
            status, headers, body = request(
                proxy + "/auth/v1.0", headers={"X-Auth-User": "test:tester", "X-Auth-Key": "testing"})
            if status != 200:
                raise RuntimeError("GET /auth/v1.0: %s %r" % (status, body[:200]))
            token = headers.get("X-Auth-Token")
            storage = headers.get("X-Storage-Url")
            status, _, body = request(storage, method="HEAD", headers={"X-Auth-Token": token})
            if status not in (200, 204):
                raise RuntimeError("HEAD %s: %s" % (storage, status))
            status, _, body = request(proxy + "/info")
            info = json.loads(body)
            print(storage)
            print(" ".join(info.get("tempurl", {}).get("allowed_digests", [])))
            return 0
        except (OSError, RuntimeError, ValueError) as e:
            last = str(e)
            time.sleep(0.1)
    sys.stderr.write("swift-aio: not ready after %ss: %s\n" % (timeout, last))
    return 1


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "ports":
        print(" ".join(str(p) for p in free_ports(int(argv[2]))))
        return 0
    if cmd == "rings":
        build_rings(argv[2], argv[3:6])
        return 0
    if cmd == "wait":
        return wait(float(argv[2]), argv[3], argv[4:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
