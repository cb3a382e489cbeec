"""An independent gRPC client (Python grpcio) holding a viewer's certificate.

Compiles wrapd's .proto files at run time, connects to the daemon's share port
with mutual TLS and tries every RPC a viewer must not use, and one it may.
Prints one JSON object per line: {"rpc": NAME, "code": STATUS_CODE_NAME,
"message": TEXT}. Used by wrapd-muxd/tests/share_python.rs.

usage: viewer_client.py PROTO_DIR ADDR CA_PEM CERT_PEM KEY_PEM
"""

import json
import queue
import sys
import tempfile

import grpc
from grpc_tools import protoc


def compile_protos(proto_dir, out):
    rc = protoc.main([
        "protoc", "-I", proto_dir, f"--python_out={out}", f"--grpc_python_out={out}",
        "wrapd/v1/mux.proto", "wrapd/v1/share.proto",
    ])
    if rc != 0:
        raise SystemExit(f"protoc failed: {rc}")
    sys.path.insert(0, out)


def report(rpc, code, message=""):
    print(json.dumps({"rpc": rpc, "code": code, "message": message}), flush=True)


def call(rpc, fn):
    try:
        fn()
        report(rpc, "OK")
    except grpc.RpcError as e:
        report(rpc, e.code().name, e.details() or "")


def main():
    proto_dir, addr, ca, cert, key = sys.argv[1:6]
    out = tempfile.mkdtemp()
    compile_protos(proto_dir, out)
    from wrapd.v1 import mux_pb2 as m, mux_pb2_grpc as mg
    from wrapd.v1 import share_pb2 as s, share_pb2_grpc as sg

    read = lambda p: open(p, "rb").read()
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(ca), private_key=read(key), certificate_chain=read(cert))
    channel = grpc.secure_channel(
        addr, creds, options=[("grpc.ssl_target_name_override", "wrapd-muxd")])
    mux = mg.MuxStub(channel)
    share = sg.ShareStub(channel)
    admin = sg.ShareAdminStub(channel)
    t = 10

    # Allowed: proves the connection and the certificate work.
    call("Whoami", lambda: share.Whoami(s.WhoamiRequest(), timeout=t))
    call("ListBlocks", lambda: mux.ListBlocks(m.ListBlocksRequest(), timeout=t))

    # Owner-only Mux RPCs.
    call("GetServerInfo", lambda: mux.GetServerInfo(m.GetServerInfoRequest(), timeout=t))
    call("CreateSession", lambda: mux.CreateSession(
        m.CreateSessionRequest(name="py", command=["cat"]), timeout=t))
    call("ListSessions", lambda: mux.ListSessions(m.ListSessionsRequest(), timeout=t))
    call("KillSession", lambda: mux.KillSession(m.KillSessionRequest(target="s"), timeout=t))
    call("RenameSession", lambda: mux.RenameSession(
        m.RenameSessionRequest(target="s", new_name="py"), timeout=t))
    call("Capture", lambda: mux.Capture(m.CaptureRequest(target="s"), timeout=t))
    call("SendInput", lambda: mux.SendInput(
        m.SendInputRequest(target="s", data=b"python-sent\r"), timeout=t))
    # Another session than the shared one.
    call("ReadRows(private)", lambda: mux.ReadRows(
        m.ReadRowsRequest(target="private", start=0, end=10), timeout=t))

    # The owner's service refuses everyone on this port.
    call("ShareAdmin.ListShares", lambda: admin.ListShares(s.ListSharesRequest(), timeout=t))
    call("ShareAdmin.StopShare", lambda: admin.StopShare(s.StopShareRequest(all=True), timeout=t))
    call("ShareAdmin.UpdateAccess", lambda: admin.UpdateAccess(
        s.UpdateAccessRequest(target="s", grant_edit="me"), timeout=t))
    call("ShareAdmin.StartShare", lambda: admin.StartShare(
        s.StartShareRequest(target="private", link_role=m.ROLE_EDITOR), timeout=t))
    call("ShareAdmin.AnswerControlRequest", lambda: admin.AnswerControlRequest(
        s.AnswerControlRequestRequest(target="s", participant="me", grant=True), timeout=t))
    call("ShareAdmin.GetAuditLog", lambda: admin.GetAuditLog(
        s.GetAuditLogRequest(target="s"), timeout=t))

    # Typing and resizing on the attach stream: the daemon answers with notices.
    requests = queue.Queue()
    requests.put(m.AttachRequest(start=m.AttachStart(size=m.Size(cols=80, rows=24))))
    requests.put(m.AttachRequest(input=b"python-typed\r"))
    requests.put(m.AttachRequest(resize=m.Size(cols=120, rows=50)))

    def gen():
        while True:
            r = requests.get()
            if r is None:
                return
            yield r

    stream = mux.Attach(gen(), timeout=t)
    notices = []
    try:
        for ev in stream:
            if ev.WhichOneof("msg") == "notice":
                notices.append(ev.notice)
                if len(notices) == 2:
                    break
    except grpc.RpcError as e:
        report("Attach", e.code().name, e.details() or "")
    for what, n in zip(["Attach.input", "Attach.resize"], notices):
        report(what, n.code, n.message)
    requests.put(None)
    stream.cancel()
    channel.close()


if __name__ == "__main__":
    main()
