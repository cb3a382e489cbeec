"""An independent gRPC client (Python grpcio) that connects to a wrapd daemon's
share port with a *viewer* certificate and tries every RPC a viewer must not
use. It compiles wrapd's .proto files itself, so nothing of wrapd's own client
code is involved: what is refused here is refused by the daemon.

Usage: viewer_matrix.py --addr HOST:PORT --ca CA.pem --cert CERT.pem --key KEY.pem
                        --proto-dir DIR --session ID

Prints one line per RPC (`refused CODE: message` or `ALLOWED`) and exits 1 if
any forbidden call got through, 0 otherwise.
"""

import argparse
import os
import sys
import tempfile
import time

import grpc
from grpc_tools import protoc


def compile_protos(proto_dir, out_dir):
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = [os.path.join("wrapd", "v1", f) for f in ("mux.proto", "share.proto")]
    args = ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}"] + files
    if protoc.main(args) != 0:
        sys.exit("protoc failed on " + proto_dir)
    sys.path.insert(0, out_dir)


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--addr", "--ca", "--cert", "--key", "--proto-dir", "--session"):
        ap.add_argument(flag, required=True)
    a = ap.parse_args()
    out = tempfile.mkdtemp(prefix="wrapd-pb-")
    compile_protos(a.proto_dir, out)
    from wrapd.v1 import mux_pb2 as mux, mux_pb2_grpc as mux_grpc
    from wrapd.v1 import share_pb2 as share, share_pb2_grpc as share_grpc

    read = lambda p: open(p, "rb").read()
    creds = grpc.ssl_channel_credentials(read(a.ca), read(a.key), read(a.cert))
    channel = grpc.secure_channel(
        a.addr, creds, options=[("grpc.ssl_target_name_override", "wrapd-muxd")])
    m = mux_grpc.MuxStub(channel)
    admin = share_grpc.ShareAdminStub(channel)
    s = a.session

    # Sanity: the certificate works for what a viewer may do.
    m.ListBlocks(mux.ListBlocksRequest(target=s), timeout=10)

    forbidden = {
        "Mux.GetServerInfo": lambda: m.GetServerInfo(mux.GetServerInfoRequest()),
        "Mux.CreateSession": lambda: m.CreateSession(mux.CreateSessionRequest(name="evil")),
        "Mux.ListSessions": lambda: m.ListSessions(mux.ListSessionsRequest()),
        "Mux.KillSession": lambda: m.KillSession(mux.KillSessionRequest(target=s)),
        "Mux.RenameSession": lambda: m.RenameSession(
            mux.RenameSessionRequest(target=s, new_name="evil")),
        "Mux.Capture": lambda: m.Capture(mux.CaptureRequest(target=s, scrollback=True)),
        "Mux.SendInput": lambda: m.SendInput(mux.SendInputRequest(target=s, data=b"touch /tmp/x\r")),
        "ShareAdmin.StartShare": lambda: admin.StartShare(share.StartShareRequest(target=s)),
        "ShareAdmin.StopShare": lambda: admin.StopShare(share.StopShareRequest(all=True)),
        "ShareAdmin.ListShares": lambda: admin.ListShares(share.ListSharesRequest()),
        "ShareAdmin.UpdateAccess": lambda: admin.UpdateAccess(
            share.UpdateAccessRequest(target=s, link_role=mux.ROLE_EDITOR)),
        "ShareAdmin.AnswerControlRequest": lambda: admin.AnswerControlRequest(
            share.AnswerControlRequestRequest(target=s, participant="x", grant=True)),
        "ShareAdmin.GetAuditLog": lambda: admin.GetAuditLog(share.GetAuditLogRequest(target=s)),
    }
    leaked = []
    for name, call in forbidden.items():
        try:
            call()
            print(f"{name}: ALLOWED")
            leaked.append(name)
        except grpc.RpcError as e:
            print(f"{name}: refused {e.code().name}: {e.details()}")

    # Input and resize on the attach stream: the daemon answers with notices
    # and the session's size does not change.
    def requests():
        yield mux.AttachRequest(start=mux.AttachStart(
            target=s, size=mux.Size(cols=80, rows=24), history_rows=0))
        yield mux.AttachRequest(input=b"echo viewer-typed\r")
        yield mux.AttachRequest(resize=mux.Size(cols=33, rows=7))
        time.sleep(1.0)

    notices, sizes = [], []
    try:
        for ev in m.Attach(requests(), timeout=5):
            kind = ev.WhichOneof("msg")
            if kind == "notice":
                notices.append(ev.notice.code)
            elif kind == "update" and ev.update.HasField("size"):
                sizes.append((ev.update.size.cols, ev.update.size.rows))
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED and e.code() != grpc.StatusCode.CANCELLED:
            print(f"Mux.Attach: ended {e.code().name}: {e.details()}")
    print(f"Mux.Attach: notices {notices}, sizes seen {sorted(set(sizes))}")
    if "PermissionDenied" not in notices:
        print("Mux.Attach input: ALLOWED (no PermissionDenied notice)")
        leaked.append("Mux.Attach input")
    if (33, 7) in sizes:
        print("Mux.Attach resize: ALLOWED")
        leaked.append("Mux.Attach resize")

    if leaked:
        print("a viewer got through: " + ", ".join(leaked))
        return 1
    print("every forbidden call was refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
