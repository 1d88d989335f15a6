"""The Dockerfile, built for real with podman, and docker/compose.yaml.

No container can run on this machine because podman run fails on rlimits. So the test
builds the image with ``podman build --isolation=chroot`` from a base made with
debootstrap and exports the image's file system. It then runs the entry point in it with
chroot: the self-check, the web server and the proxy, on loopback in a network namespace. podman keeps its images in a private storage folder under the test's tmp_path.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.debian_root import (
    HOST_CA_BUNDLE,
    NetworkNamespace,
    chroot_command,
    debian_tarball,  # noqa: F401 (a fixture)
    remove_root,
    require_root_tools,
    run_in_root,
)

REPOSITORY = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPOSITORY / "docker/compose.yaml"
SERVER_NAME = "tracker.test"
BUILD_TIMEOUT = 1200


class Podman:
    """podman with its own storage under ``folder``, so nothing touches the machine's images."""

    def __init__(self, folder: Path):
        self.folder = folder
        # podman rejects a runroot path longer than 50 characters, so it gets a short one in /tmp.
        self.runroot = Path(tempfile.mkdtemp(prefix="tbpodman-"))
        self.base = ["podman", "--root", str(folder / "storage"), "--runroot", str(self.runroot)]

    def __call__(self, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.base, *arguments], capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            pytest.fail(f"podman {arguments[0]} exited {result.returncode}:\n{result.stdout[-4000:]}\n"
                        f"{result.stderr[-6000:]}")
        return result

    def reset(self) -> None:
        subprocess.run([*self.base, "system", "reset", "--force"], capture_output=True, timeout=300)
        remove_root(self.runroot)


@pytest.fixture
def image_root(debian_tarball, tmp_path):  # noqa: F811 (the fixture imported above)
    """The file system of the image built from the Dockerfile, and the image's configuration."""
    require_root_tools("podman", "curl")
    podman = Podman(tmp_path / "podman")
    tag = f"localhost/trackerbox-test-{os.getpid()}"
    try:
        podman("import", str(debian_tarball), f"{tag}-base:latest")
        build = ["build", "--isolation=chroot", "--format", "docker", "--build-arg",
                 f"BASE_IMAGE={tag}-base:latest", "-t", f"{tag}:latest", "-f", str(REPOSITORY / "Dockerfile")]
        if HOST_CA_BUNDLE.exists():
            # pip in the build trusts the same CAs as this machine (some networks intercept TLS).
            build += ["-v", f"{HOST_CA_BUNDLE}:/run/host-ca.crt:ro", "--build-arg", "PIP_CERT=/run/host-ca.crt"]
        podman(*build, str(REPOSITORY), timeout=BUILD_TIMEOUT)
        inspected = json.loads(podman("image", "inspect", f"{tag}:latest").stdout)[0]
        config = inspected["Config"]
        # podman 4 reports the Docker-format HEALTHCHECK beside Config, not inside it.
        config["Healthcheck"] = config.get("Healthcheck") or inspected.get("Healthcheck")
        podman("create", "--name", f"{tag.rsplit('/', 1)[1]}-export", f"{tag}:latest")
        exported = tmp_path / "image.tar"
        podman("export", "-o", str(exported), f"{tag.rsplit('/', 1)[1]}-export", timeout=600)
    finally:
        podman.reset()
    root = tmp_path / "image-root"
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-xpf", str(exported)], check=True, timeout=300)
    exported.unlink()
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    yield root, config
    remove_root(root)
    remove_root(tmp_path / "podman")


def image_environment(config: dict, **extra: str) -> dict[str, str]:
    environment = dict(item.split("=", 1) for item in config["Env"])
    environment.update(extra)
    return environment


def entry_point(config: dict, *arguments: str, **environment: str) -> list[str]:
    """The image's entry point with ``arguments``, run as the image's user, in its WORKDIR, with its ENV."""
    variables = [f"{key}={value}" for key, value in image_environment(config, **environment).items()]
    return ["runuser", "-u", config["User"], "--", "env", "-i", *variables, "sh", "-c", 'cd "$0" && exec "$@"',
            config["WorkingDir"], *config["Entrypoint"], *arguments]


def start(root: Path, config: dict, netns: str, *arguments: str, **environment: str) -> subprocess.Popen:
    command = chroot_command(root, entry_point(config, *arguments, **environment), netns)
    return subprocess.Popen(command, env={"PATH": os.environ["PATH"]}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_url(namespace: NetworkNamespace, process: subprocess.Popen, *curl_arguments: str) -> str:
    for _ in range(60):
        result = namespace.run(["curl", "-fsS", "--max-time", "2", *curl_arguments], timeout=10)
        if result.returncode == 0:
            return result.stdout
        if process.poll() is not None:
            pytest.fail(f"the entry point exited {process.returncode}: {process.stdout.read()[-3000:]}")
        time.sleep(1)
    pytest.fail(f"no answer from {curl_arguments[-1]} within 60 seconds")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_image_runs_self_check_web_and_proxy(image_root):
    root, config = image_root
    assert config["User"] == "trackerbox"
    assert set(config["Volumes"]) == {"/var/lib/trackerbox", "/var/backups/trackerbox", "/etc/trackerbox/tls"}
    assert config["Cmd"] == ["web"]
    assert config["Healthcheck"]["Test"] == ["CMD", "trackerbox-entrypoint", "healthcheck"]

    check = run_in_root(root, entry_point(config, "self-check"), timeout=120)
    assert "self-check passed" in check.stdout
    assert "FAILED" not in check.stdout

    with NetworkNamespace(f"tbimage-{os.getpid()}") as namespace:
        # What compose's sysctls line does for the proxy container: nginx may bind 80 and 443 unprivileged.
        namespace.run(["sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=80"], timeout=10)
        web = start(root, config, namespace.name, "web", TRACKERBOX_ADMIN_LOGIN="boss")
        proxy = None
        try:
            health = wait_for_url(namespace, web, "http://127.0.0.1:8000/healthz")
            # No scheduler runs here, so /healthz may report a warning, but never a failure.
            assert json.loads(health)["status"] in {"ok", "warning"}
            assert json.loads(health)["checks"]["database"]["status"] == "ok"
            healthcheck = run_in_root(root, entry_point(config, *config["Healthcheck"]["Test"][2:]),
                                      netns=namespace.name, timeout=60, check=False)
            assert healthcheck.returncode == 0, healthcheck.stderr

            proxy = start(root, config, namespace.name, "proxy", TRACKERBOX_SERVER_NAME=SERVER_NAME,
                          TRACKERBOX_UPSTREAM="127.0.0.1:8000")
            https = ["--cacert", str(root / "etc/trackerbox/tls/ca.crt"), "--resolve", f"{SERVER_NAME}:443:127.0.0.1"]
            for _ in range(30):
                if (root / "etc/trackerbox/tls/ca.crt").exists():
                    break
                time.sleep(1)
            login = wait_for_url(namespace, proxy, *https, f"https://{SERVER_NAME}/login")
            assert re.search(r'name="csrf_token"', login)
        finally:
            proxy_output = stop(proxy) if proxy else ""
            web_output = stop(web)
    assert "one-time password" in web_output
    assert "Made a new local CA" in proxy_output
    assert "Traceback" not in web_output + proxy_output


def test_compose_file_defines_three_services():
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    services = compose["services"]
    assert set(services) == {"web", "scheduler", "proxy"}
    assert [services[name]["command"] for name in ("web", "scheduler", "proxy")] == [["web"], ["scheduler"], ["proxy"]]
    assert services["web"]["build"] == {"context": "..", "dockerfile": "Dockerfile"}
    assert (COMPOSE_FILE.parent / services["web"]["build"]["context"] / "Dockerfile").is_file()
    assert services["web"]["healthcheck"]["test"][-1] == "http://127.0.0.1:8000/healthz"
    assert services["proxy"]["healthcheck"]["test"][-1] == "https://127.0.0.1:443/healthz"
    assert services["proxy"]["ports"] == ["${TRACKERBOX_HTTPS_PORT:-443}:443", "${TRACKERBOX_HTTP_PORT:-80}:80"]
    assert "ports" not in services["web"]
    assert "ports" not in services["scheduler"]
    assert services["scheduler"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) == {"data", "backups", "certificates"}
    assert "data:/var/lib/trackerbox" in services["web"]["volumes"]
    assert "backups:/var/backups/trackerbox" in services["scheduler"]["volumes"]
    assert "certificates:/etc/trackerbox/tls" in services["proxy"]["volumes"]


def test_compose_env_example_names_every_variable():
    text = COMPOSE_FILE.read_text()
    used = set(re.findall(r"\$\{(TRACKERBOX_[A-Z_]+)", text))
    example = (COMPOSE_FILE.parent / ".env.example").read_text()
    defined = set(re.findall(r"^#? ?(TRACKERBOX_[A-Z_]+)=", example, flags=re.M))
    assert used <= defined, f"not in docker/.env.example: {sorted(used - defined)}"
    assert "TRACKERBOX_SERVER_NAME" in defined
