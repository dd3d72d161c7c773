//! docker-py (Debian's python3-docker) driving wharf: the behaviours its own integration
//! suite checks that wharf once got wrong. Each script asserts in Python and prints `ok`.

mod common;

use std::process::Command;

use common::*;

fn setup() -> Option<TestDaemon> {
    if skip_unless_root() {
        return None;
    }
    let has_py = Command::new("python3")
        .args(["-c", "import docker"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_py {
        eprintln!("skipped: docker-py is not installed (apt-get install python3-docker)");
        return None;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    Some(d)
}

const PRELUDE: &str = r#"
import docker, io, os, sys, tarfile, time
api = docker.APIClient(base_url="unix://" + sys.argv[1], version="auto")
cli = docker.DockerClient(base_url="unix://" + sys.argv[1], version="auto")
def tar_of(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
"#;

/// Runs `script` (after the prelude) against `d`; it must print `ok`.
fn py(d: &TestDaemon, script: &str) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("{PRELUDE}\n{script}\nprint('ok')"))
        .arg(&d.socket)
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        "ok",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exec_output_keeps_its_first_bytes_and_is_framed_as_the_start_asks() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
c = api.create_container("busybox", "cat", stdin_open=True)
api.start(c)
cmd = 'sh -c "echo hello out; echo hello err >&2"'
for _ in range(20):
    # A tty exec read raw: docker-py reads the stream from the socket under its HTTP
    # reader, so nothing may arrive before it has read the response head.
    e = api.exec_create(c, cmd, tty=True)
    got = api.exec_start(e, tty=True)
    assert got == b"hello out\r\nhello err\r\n", got
# The same with a client slow to read the response head: docker-py parses it through a
# buffered reader, then reads the raw socket, so output sent with the head would be lost.
import http.client, json, socket
e = api.exec_create(c, "echo hello out", tty=True)["Id"]
body = json.dumps({"Detach": False, "Tty": True}).encode()
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /exec/%s/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (e.encode(), len(body), body))
time.sleep(0.1)
resp = http.client.HTTPResponse(s)
resp.begin()
assert resp.status == 101, resp.status
got = b""
s.settimeout(5)
while not got.endswith(b"\r\n"):
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
assert got == b"hello out\r\n", got
# Started without Tty, a tty exec's output comes framed (as stdout), as dockerd does.
e = api.exec_create(c, cmd, tty=True)
got = api.exec_start(e, demux=True)
assert got == (b"hello out\r\nhello err\r\n", None), got
api.remove_container(c, force=True)
"#,
    );
}

#[test]
fn exec_detach_keys_from_the_client_config_detach() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
import socket
api._general_configs["detachKeys"] = "ctrl-p"
c = api.create_container("busybox", "cat", stdin_open=True)
api.start(c)
e = api.exec_create(c, "cat", stdin=True, tty=True, stdout=True)
sock = api.exec_start(e, tty=True, socket=True)
raw = sock._sock if hasattr(sock, "_sock") else sock
raw.sendall(b"\x10")
# Detached: the engine ends the stream (a timeout here means the key went to `cat`).
raw.settimeout(5)
while raw.recv(128):
    pass
assert api.exec_inspect(e)["Running"], "detaching does not stop the exec"
api.remove_container(c, force=True)
"#,
    );
}

#[test]
fn wait_returns_when_a_restarting_container_exits_and_rm_refuses_it() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
c = api.create_container("busybox", ["sleep", "1"], host_config=api.create_host_config(
    restart_policy={"Name": "always", "MaximumRetryCount": 0}, network_mode="none"))
api.start(c)
t0 = time.time()
assert api.wait(c, timeout=20)["StatusCode"] == 0
assert time.time() - t0 < 15
try:
    api.remove_container(c)
    raise SystemExit("removed a container that restarts")
except docker.errors.APIError as e:
    msg = e.explanation
    assert "Stop the container before attempting removal or force remove" in msg, msg
    assert ("restarting container" in msg) or ("running container" in msg), msg
api.remove_container(c, force=True)
"#,
    );
}

#[test]
fn group_add_mac_address_and_log_driver_errors() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
c = api.create_container("busybox", "id -G", host_config=api.create_host_config(group_add=[1000, "1001"]))
api.start(c); api.wait(c)
groups = api.logs(c).decode().split()
assert "1000" in groups and "1001" in groups, groups
c = api.create_container("busybox", ["sleep", "30"], mac_address="02:42:ac:11:00:0a")
api.start(c)
assert api.inspect_container(c)["NetworkSettings"]["MacAddress"] == "02:42:ac:11:00:0a"
api.remove_container(c, force=True)
try:
    api.create_container("busybox", "true", host_config=api.create_host_config(
        log_config=docker.types.LogConfig(type="asdf", config={})))
    raise SystemExit("an unknown log driver was accepted")
except docker.errors.APIError as e:
    assert e.explanation == 'error looking up logging plugin asdf: plugin "asdf" not found', e.explanation
try:
    api.create_container("busybox", "true", mac_address="02:42:zz:11:00:0b")
    raise SystemExit("a malformed MAC address was accepted")
except docker.errors.APIError as e:
    assert e.explanation == "invalid MAC address 02:42:zz:11:00:0b", e.explanation
"#,
    );
    // The docker CLI sends --mac-address in the endpoint's settings (API 1.44+).
    let id = ok(&d.docker(&[
        "run",
        "-d",
        "--mac-address",
        "02:42:ac:11:00:0b",
        "busybox",
        "sleep",
        "30",
    ]));
    let mac = ok(&d.docker(&[
        "inspect",
        "-f",
        "{{.NetworkSettings.Networks.bridge.MacAddress}}",
        id.trim(),
    ]));
    assert_eq!(mac.trim(), "02:42:ac:11:00:0b");
    let inside = ok(&d.docker(&["exec", id.trim(), "cat", "/sys/class/net/eth0/address"]));
    assert_eq!(inside.trim(), "02:42:ac:11:00:0b");
}

#[test]
fn legacy_links_set_the_environment_and_can_be_removed() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
db = api.create_container("busybox", "cat", stdin_open=True, environment={"FOO": "1"}, ports=[6379])
api.start(db)
db_name = api.inspect_container(db)["Name"][1:]
ip = api.inspect_container(db)["NetworkSettings"]["IPAddress"]
app = api.create_container("busybox", "cat", stdin_open=True, name="app",
    host_config=api.create_host_config(links={db_name: "my-db"}))
api.start(app)
e = api.exec_create(app, "env")
env = api.exec_start(e).decode().split("\n")
for want in ["MY_DB_NAME=/app/my-db", "MY_DB_ENV_FOO=1", "MY_DB_PORT=tcp://%s:6379" % ip,
             "MY_DB_PORT_6379_TCP_ADDR=%s" % ip]:
    assert want in env, (want, env)
assert not any(v.startswith("MY_DB_ENV_PATH=") for v in env), env
names = [c["Names"] for c in api.containers() if c["Id"] == db["Id"]][0]
assert "/app/my-db" in names, names
api.remove_container("app/my-db", link=True)
names = [c["Names"] for c in api.containers() if c["Id"] == db["Id"]][0]
assert "/app/my-db" not in names, names
assert api.inspect_container(app)["HostConfig"]["Links"] in (None, []), api.inspect_container(app)["HostConfig"]["Links"]
for c in (app, db):
    api.remove_container(c, force=True)
"#,
    );
}

#[test]
fn archives_see_volumes_of_stopped_and_never_started_containers() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
# put into a volume of a container that never ran, then the container reads it
c = api.create_container("busybox", "cat /vol1/in.txt", volumes=["/vol1"])
assert api.put_archive(c, "/vol1", tar_of("in.txt", b"deaf to all but the song"))
api.start(c); api.wait(c)
assert api.logs(c).strip() == b"deaf to all but the song", api.logs(c)
# get and stat from a volume of a stopped container
c = api.create_container("busybox", 'sh -c "echo -n pocket watch > /vol1/data.txt"', volumes=["/vol1"])
api.start(c); api.wait(c)
strm, stat = api.get_archive(c, "/vol1/data.txt")
assert stat["name"] == "data.txt" and stat["size"] == 12, stat
t = tarfile.open(fileobj=io.BytesIO(b"".join(strm)))
assert t.extractfile("data.txt").read() == b"pocket watch"
"#,
    );
}

#[test]
fn volume_subpaths_mount_a_directory_of_the_volume() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
vol = api.create_volume("subvol")["Name"]
c = api.create_container("busybox", 'sh -c "mkdir -p /v/sub && echo -n inner > /v/sub/f && ln -s / /v/escape"',
    host_config=api.create_host_config(binds=["subvol:/v"]))
api.start(c); api.wait(c)
def sub_mount(sub, ro=False):
    # docker-py 7.1's Mount has no subpath argument: the API's own form.
    return {"Type": "volume", "Source": vol, "Target": "/mnt", "ReadOnly": ro,
            "VolumeOptions": {"Subpath": sub}}
m = sub_mount("sub", ro=True)
c = api.create_container("busybox", ["cat", "/mnt/f"], host_config=api.create_host_config(mounts=[m]))
api.start(c); api.wait(c)
assert api.logs(c) == b"inner", api.logs(c)
for sub, why in [("../x", "subpath must be a relative path within the volume"),
                 ("/abs", "subpath must be a relative path within the volume")]:
    try:
        api.create_container("busybox", "true", host_config=api.create_host_config(
            mounts=[sub_mount(sub)]))
        raise SystemExit("accepted subpath " + sub)
    except docker.errors.APIError as e:
        assert why in e.explanation, e.explanation
# A symlink inside the volume must not lead the mount out of it.
c = api.create_container("busybox", "true", host_config=api.create_host_config(
    mounts=[sub_mount("escape")]))
try:
    api.start(c)
    raise SystemExit("started with a subpath through a symlink")
except docker.errors.APIError as e:
    assert "cannot access path" in e.explanation, e.explanation
"#,
    );
}

#[test]
fn stats_report_the_containers_network_interfaces() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
c = api.create_container("busybox", ["sleep", "30"])
api.start(c)
s = api.stats(c, stream=False)
assert "eth0" in s["networks"], s.get("networks")
assert "lo" not in s["networks"]
assert s["networks"]["eth0"]["rx_bytes"] >= 0
api.remove_container(c, force=True)
"#,
    );
}

#[test]
fn bodies_decode_as_gos_decoder_and_errors_come_where_clients_look() {
    let Some(d) = setup() else { return };
    py(
        &d,
        r#"
# docker-py's Healthcheck sends "StartPeriod": null; Go leaves a null field at its default.
c = api.create_container("busybox", "top", healthcheck={
    "test": "true", "interval": 10**9, "timeout": 10**9, "retries": 1})
api.start(c)
deadline = time.time() + 20
while api.inspect_container(c)["State"]["Health"]["Status"] != "healthy":
    assert time.time() < deadline, api.inspect_container(c)["State"]["Health"]
    time.sleep(0.2)
api.remove_container(c, force=True)
# A commit that asks for a pause while the container exits still commits.
c = api.create_container("busybox", ["touch", "/test"])
api.start(c)
assert "Id" in api.commit(c)
# A volume created without a name is anonymous: prune takes it.
v = api.create_volume()["Name"]
assert v in (api.prune_volumes()["VolumesDeleted"] or []), v
# A failed load answers 200 with the error in the stream.
try:
    cli.images.load(b"abc")
    raise SystemExit("junk loaded")
except docker.errors.ImageLoadError as e:
    assert "not a tar archive" in str(e), str(e)
"#,
    );
}

#[test]
fn endpoint_links_ipam_options_swarm_and_repeated_query_parameters() {
    let Some(d) = setup() else { return };
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("file.txt"), "hello").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("Dockerfile"),
        "FROM busybox\nCOPY . /src\n",
    )
    .unwrap();
    py(
        &d,
        &format!(
            r#"
# A link given when connecting to a user network answers by DNS on that network, also for a
# container that comes later.
net = api.create_network("linknet")["Id"]
ipam = api.inspect_network(net)["IPAM"]
assert ipam.get("Options") is None, ipam  # docker-py sent none
c = api.create_container("busybox", "top", host_config=api.create_host_config(network_mode="linknet"))
api.start(c)
api.disconnect_container_from_network(c, "linknet")
api.connect_container_to_network(c, "linknet", links=[("upstream", "bar")])
assert api.inspect_container(c)["NetworkSettings"]["Networks"]["linknet"]["Links"] == ["upstream:bar"]
up = api.create_container("busybox", "top", name="upstream", host_config=api.create_host_config(network_mode="linknet"))
api.start(up)
e = api.exec_create(c, "nslookup bar")
out = api.exec_start(e).decode()
assert api.exec_inspect(e)["ExitCode"] == 0, out
assert api.inspect_container(up)["NetworkSettings"]["Networks"]["linknet"]["IPAddress"] in out, out
for x in (c, up):
    api.remove_container(x, force=True)
# Not in a swarm: dockerd's answer, which leave_swarm(force=True) accepts.
assert api.leave_swarm(force=True)
try:
    api.inspect_swarm()
    raise SystemExit("inspect_swarm answered")
except docker.errors.APIError as e:
    assert e.response.status_code == 503 and "not a swarm manager" in e.explanation, e.explanation
# A Dockerfile outside the context goes as a second `dockerfile` parameter: the first wins.
lines = list(api.build(path="{ctx}", dockerfile="{df}", tag="outside:1", decode=True))
assert "Successfully tagged outside:1" in lines[-1].get("stream", ""), lines
"#,
            ctx = ctx.path().display(),
            df = outside.path().join("Dockerfile").display(),
        ),
    );
}

#[test]
fn builds_on_a_user_network_by_id_reach_its_containers_by_alias() {
    let Some(d) = setup() else { return };
    // docker-py's test_build_with_network_mode.
    py(
        &d,
        r#"
net = api.create_network("buildpy")["Id"]
c = api.create_container("busybox", "top")
api.start(c)
api.connect_container_to_network(c, net, aliases=["pingtarget.docker"])
script = io.BytesIO(b"FROM busybox\nRUN ping -c1 pingtarget.docker\n")
logs = list(api.build(fileobj=script, network_mode=net, tag="customnetbuild", decode=True))
assert "errorDetail" not in logs[-1], logs
assert api.inspect_image("customnetbuild")
script.seek(0)
logs = list(api.build(fileobj=script, network_mode="none", tag="nonebuild", nocache=True, decode=True))
assert logs[-1]["errorDetail"]["code"] == 1, logs[-1]
try:
    api.inspect_image("nonebuild")
    raise SystemExit("nonebuild exists")
except docker.errors.NotFound:
    pass
api.remove_container(c, force=True)
api.remove_network(net)
"#,
    );
}
