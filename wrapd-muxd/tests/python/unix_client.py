"""An independent gRPC client (Python grpcio) on the daemon's Unix socket.

grpc-core names the socket's path as the HTTP/2 authority; the daemon must
serve it anyway. Compiles wrapd's .proto files at run time, connects to
`unix:SOCKET` with no authority override, creates a session running `cat`,
types into it, reads its screen, attaches and lists shares. Prints one JSON
object per line: {"rpc": NAME, "code": STATUS_CODE_NAME, "detail": TEXT}.
Used by wrapd-muxd/tests/share_python.rs.

usage: unix_client.py PROTO_DIR SOCKET
"""

import json
import sys
import tempfile
import time

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


def report(rpc, code, detail=""):
    print(json.dumps({"rpc": rpc, "code": code, "detail": detail}), flush=True)


def call(rpc, fn, detail=lambda r: ""):
    try:
        r = fn()
        report(rpc, "OK", detail(r))
        return r
    except grpc.RpcError as e:
        report(rpc, e.code().name, e.details() or "")
        return None


def main():
    proto_dir, socket = sys.argv[1:3]
    out = tempfile.mkdtemp()
    compile_protos(proto_dir, out)
    from wrapd.v1 import mux_pb2 as m, mux_pb2_grpc as mg
    from wrapd.v1 import share_pb2 as s, share_pb2_grpc as sg

    channel = grpc.insecure_channel(f"unix:{socket}")
    mux = mg.MuxStub(channel)
    admin = sg.ShareAdminStub(channel)
    t = 10

    call("GetServerInfo", lambda: mux.GetServerInfo(m.GetServerInfoRequest(), timeout=t))
    call("CreateSession", lambda: mux.CreateSession(
        m.CreateSessionRequest(name="py", command=["cat"], cols=40, rows=10), timeout=t),
        lambda r: r.name)
    call("SendInput", lambda: mux.SendInput(
        m.SendInputRequest(target="py", data=b"typed-from-python\r"), timeout=t))
    text = ""
    deadline = time.monotonic() + 10
    while "typed-from-python" not in text and time.monotonic() < deadline:
        r = call("Capture", lambda: mux.Capture(m.CaptureRequest(target="py"), timeout=t))
        text = r.text if r else ""
        time.sleep(0.05)
    report("Capture.text", "OK", text)
    call("ListSessions", lambda: mux.ListSessions(m.ListSessionsRequest(), timeout=t),
         lambda r: ",".join(x.name for x in r.sessions))
    start = m.AttachRequest(start=m.AttachStart(target="py", size=m.Size(cols=40, rows=10)))
    stream = mux.Attach(iter([start]), timeout=t)
    try:
        first = next(stream)
        report("Attach", "OK", first.WhichOneof("msg"))
    except grpc.RpcError as e:
        report("Attach", e.code().name, e.details() or "")
    stream.cancel()
    call("ShareAdmin.ListShares", lambda: admin.ListShares(s.ListSharesRequest(), timeout=t),
         lambda r: str(len(r.shares)))
    channel.close()


if __name__ == "__main__":
    main()
