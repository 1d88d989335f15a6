"""Network namespaces for the firewall tests: a server and three clients on veth pairs.

Each client has its own /24 and /64 towards the server:
    lan    10.231.1.0/24  fd00:231:1::/64
    out    10.231.2.0/24  fd00:231:2::/64
    admin  10.231.3.0/24  fd00:231:3::/64
The server is .1 / ::1 in each, the client .2 / ::2. All traffic stays inside these namespaces.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

CLIENTS = {"lan": 1, "out": 2, "admin": 3}
PORTS = (22, 80, 443)
# A dropped SYN shows up as this timeout. Accepted connections between the namespaces take well under 1 ms.
CONNECT_TIMEOUT = 1.0

LISTENER = r"""
import socket, sys, threading
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(16); socks.append(s)
def serve(s):
    while True:
        conn, _ = s.accept()
        with conn:
            conn.sendall(b"ok")
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""

PROBE = r"""
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
targets, timeout = json.loads(sys.argv[1]), float(sys.argv[2])
def probe(target):
    address, port = target
    try:
        with socket.create_connection((address, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(2) == b"ok"
    except OSError:
        return False
with ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(list(pool.map(probe, targets))))
"""


def run(*args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=60, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return result


def server_addresses(client: str) -> tuple[str, str]:
    n = CLIENTS[client]
    return f"10.231.{n}.1", f"fd00:231:{n}::1"


class Lab:
    def __init__(self):
        tag = os.getpid()
        self.server = f"tbfw{tag}srv"
        self.clients = {name: f"tbfw{tag}{name}" for name in CLIENTS}
        self.listener: subprocess.Popen | None = None

    def namespaces(self) -> list[str]:
        return [self.server, *self.clients.values()]

    def exec(self, namespace: str, *args: str, check: bool = True, input: str | None = None):
        return run("ip", "netns", "exec", namespace, *args, check=check, input=input)

    def start(self) -> None:
        for namespace in self.namespaces():
            run("ip", "netns", "add", namespace)
            self.exec(namespace, "ip", "link", "set", "lo", "up")
        for index, (name, n) in enumerate(CLIENTS.items()):
            server_end, client_end = f"tb{os.getpid()}s{index}", f"tb{os.getpid()}c{index}"
            run("ip", "link", "add", server_end, "type", "veth", "peer", "name", client_end)
            run("ip", "link", "set", server_end, "netns", self.server)
            run("ip", "link", "set", client_end, "netns", self.clients[name])
            for namespace, device, host in ((self.server, server_end, 1), (self.clients[name], client_end, 2)):
                self.exec(namespace, "ip", "addr", "add", f"10.231.{n}.{host}/24", "dev", device)
                self.exec(namespace, "ip", "-6", "addr", "add", f"fd00:231:{n}::{host}/64", "dev", device, "nodad")
                self.exec(namespace, "ip", "link", "set", device, "up")
        self.listener = subprocess.Popen(["ip", "netns", "exec", self.server, sys.executable, "-c", LISTENER,
                                          *map(str, PORTS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.listener.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stdin.close()
            self.listener.kill()
            self.listener.wait(timeout=10)
            self.listener.stdout.close()
        for namespace in self.namespaces():
            run("ip", "netns", "delete", namespace, check=False)

    def reachable(self, *clients: str) -> dict[tuple[int, int], bool] | dict[str, dict[tuple[int, int], bool]]:
        """Connect from each client to each port over IPv4 and IPv6, the clients in parallel.

        Returns {(ip version, port): connected} for one client, else that map per client name.
        """
        processes = {}
        for client in clients:
            v4, v6 = server_addresses(client)
            targets = [(address, port) for address in (v4, v6) for port in PORTS]
            command = ["ip", "netns", "exec", self.clients[client], sys.executable, "-c", PROBE, json.dumps(targets),
                       str(CONNECT_TIMEOUT)]
            processes[client] = (targets, subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
        results = {}
        for client, (targets, process) in processes.items():
            output, _ = process.communicate(timeout=60)
            answers = json.loads(output)
            results[client] = {(4 if "." in address else 6, port): answer
                               for (address, port), answer in zip(targets, answers)}
        return results[clients[0]] if len(clients) == 1 else results

    def nft(self, *args: str, check: bool = True):
        return self.exec(self.server, "nft", *args, check=check)

    def firewall(self, state_dir: Path, verb: str, *args: str, check: bool = True):
        """Run `trackerbox firewall VERB ...` in the server namespace with its own state directory.

        It runs as `python -m app.commands.firewall`, which the rollback watcher uses too,
        because loading every command of `trackerbox` takes about 2 s each time.
        """
        return self.exec(self.server, "env", f"TRACKERBOX_DATA_DIR={state_dir.parent}", "TRACKERBOX_LOG_LEVEL=WARNING",
                         sys.executable, "-m", "app.commands.firewall", verb, *args, "--state-dir", str(state_dir),
                         check=check)

    def table(self) -> str | None:
        result = self.nft("list", "table", "inet", "trackerbox", check=False)
        return result.stdout if result.returncode == 0 else None

    def wait_for_table(self, expected: str | None, timeout: float = 30.0) -> str | None:
        deadline = time.monotonic() + timeout
        current = self.table()
        while current != expected and time.monotonic() < deadline:
            time.sleep(0.25)
            current = self.table()
        return current
