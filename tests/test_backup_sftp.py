import io

import pytest

from backup.target_config import TargetConfig
from backup.targets import TargetError, open_target
from tests import sshd


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    server = sshd.start(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


def sftp_config(server, **changes) -> TargetConfig:
    values = dict(name="offsite", type="sftp", path=str(server.remote_dir), host="127.0.0.1", port=server.port,
                  user=server.user, key_file=str(server.key_file), known_hosts=str(server.known_hosts),
                  schedule="weekly", timeout=5)
    values.update(changes)
    return TargetConfig(**values)


def test_sftp_target_writes_renames_lists_and_reads(ssh_server):
    with open_target(sftp_config(ssh_server)) as transport:
        transport.put(io.BytesIO(b"archive bytes" * 1000), "trackerbox-20261204T020000Z.tar.age")
        assert "trackerbox-20261204T020000Z.tar.age" in transport.list_names()
        assert not [name for name in transport.list_names() if name.endswith(".partial")]
        with transport.open_read("trackerbox-20261204T020000Z.tar.age") as stream:
            assert stream.read() == b"archive bytes" * 1000
        free = transport.free_bytes()
        transport.remove("trackerbox-20261204T020000Z.tar.age")
    assert free is not None and free > 0
    assert not (ssh_server.remote_dir / "trackerbox-20261204T020000Z.tar.age").exists()


def test_sftp_target_rejects_unknown_host_key(ssh_server, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(f"[127.0.0.1]:{ssh_server.port} ssh-ed25519 "
                     "AAAAC3NzaC1lZDI1NTE5AAAAIE3yAmGcXbkAY0sMcYb5kVwnXOZLbhRHzMkRzl9hhlJ6\n")
    with pytest.raises(TargetError) as caught:
        with open_target(sftp_config(ssh_server, known_hosts=str(other))):
            pass
    assert "host key of 127.0.0.1 does not match" in str(caught.value)


def test_sftp_target_rejects_host_missing_from_known_hosts(ssh_server, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(TargetError) as caught:
        with open_target(sftp_config(ssh_server, known_hosts=str(empty))):
            pass
    assert "SSH connection to 127.0.0.1" in str(caught.value)
    assert "known_hosts" in str(caught.value)


def test_sftp_target_reports_closed_port(ssh_server):
    with pytest.raises(TargetError) as caught:
        with open_target(sftp_config(ssh_server, port=sshd.free_port())):
            pass
    assert "offsite: cannot reach 127.0.0.1" in str(caught.value)


def test_sftp_target_reports_wrong_user_key(ssh_server, tmp_path):
    stranger = tmp_path / "stranger"
    sshd._keygen(stranger)
    with pytest.raises(TargetError) as caught:
        with open_target(sftp_config(ssh_server, key_file=str(stranger))):
            pass
    assert "SSH connection to 127.0.0.1" in str(caught.value)


def test_sftp_target_reports_missing_remote_directory(ssh_server):
    with pytest.raises(TargetError) as caught:
        with open_target(sftp_config(ssh_server, path="/nonexistent/trackerbox")):
            pass
    assert "remote directory /nonexistent/trackerbox does not exist" in str(caught.value)
