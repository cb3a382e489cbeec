//! The Unix socket's HTTP/2 `:authority`, made acceptable for every client.
//!
//! gRPC clients built on grpc-core (Python's grpcio, C++, Ruby...) name a Unix
//! socket's path as the request's authority (`%2Frun%2Fuser%2F1000%2F...`, or
//! the path itself), which is not a valid URI authority: the HTTP/2 server we
//! use resets every such request with PROTOCOL_ERROR. On a Unix socket the
//! authority means nothing (the peer is checked by its uid), so this stream
//! sits between the socket and the HTTP/2 server and, on a connection whose
//! first request names an invalid authority, rewrites it to `localhost`.
//!
//! Header blocks are HPACK-compressed against a table both ends keep, so a
//! rewritten connection has every header block decoded (with the client's
//! table) and sent on as literals that use no table at all. A connection whose
//! first request is fine (our own clients) is passed through untouched from
//! then on, at no cost. Only what the client sends is looked at; what the
//! daemon sends goes straight to the socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What a client sends first on an HTTP/2 connection.
const PREFACE_LEN: usize = 24;
const FRAME_HEADER_LEN: usize = 9;
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;
/// The largest frame the daemon's HTTP/2 server accepts (the protocol's
/// default; we never raise it), so rewritten blocks are cut to this size.
const MAX_FRAME: usize = 16_384;
/// A header block larger than this ends the connection (the server's own
/// limit on header lists is far below it).
const MAX_BLOCK: usize = 256 * 1024;
/// The HPACK table size both ends start with (we never announce another).
const TABLE_SIZE: usize = 4096;
/// What a rewritten request names as its authority.
const AUTHORITY: &[u8] = b"localhost";

/// A client's stream whose requests reach the server with a valid authority.
pub struct LocalAuthority<S> {
    inner: S,
    /// Read from the client, not yet looked at.
    unread: Vec<u8>,
    /// Looked at, for the server to read.
    out: Vec<u8>,
    out_pos: usize,
    state: State,
    /// Bytes of the current frame still to pass on as they are.
    passing: usize,
    /// A header block being collected: its first frame's header and flags,
    /// the frames as they came (passed on if nothing needs rewriting) and
    /// the block's fragments.
    block: Option<Block>,
}

enum State {
    /// The first `n` bytes of the preface have gone through.
    Preface(usize),
    /// No request seen yet.
    FirstRequest(Box<loona_hpack::Decoder<'static>>),
    /// The first request was rewritten: so is every header block.
    Rewrite(Box<loona_hpack::Decoder<'static>>),
    /// The first request was fine: nothing more to look at.
    Through,
}

struct Block {
    stream: u32,
    end_stream: bool,
    /// HEADERS' priority fields, if it had them.
    priority: Option<[u8; 5]>,
    frames: Vec<u8>,
    fragments: Vec<u8>,
}

impl<S> LocalAuthority<S> {
    pub fn new(inner: S) -> LocalAuthority<S> {
        LocalAuthority {
            inner,
            unread: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            state: State::Preface(0),
            passing: 0,
            block: None,
        }
    }

    /// Move what can be decided of `unread` to `out`.
    fn process(&mut self) -> io::Result<()> {
        let mut at = 0;
        loop {
            let rest = &self.unread[at..];
            if rest.is_empty() {
                break;
            }
            if let State::Preface(n) = self.state {
                let take = rest.len().min(PREFACE_LEN - n);
                self.out.extend_from_slice(&rest[..take]);
                at += take;
                self.state = if n + take == PREFACE_LEN {
                    State::FirstRequest(Box::new(decoder()))
                } else {
                    State::Preface(n + take)
                };
                continue;
            }
            if matches!(self.state, State::Through) && self.block.is_none() {
                self.out.extend_from_slice(rest);
                at += rest.len();
                break;
            }
            if self.passing > 0 {
                let take = rest.len().min(self.passing);
                self.out.extend_from_slice(&rest[..take]);
                self.passing -= take;
                at += take;
                continue;
            }
            if rest.len() < FRAME_HEADER_LEN {
                break;
            }
            let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
            let (kind, flags) = (rest[3], rest[4]);
            let stream = u32::from_be_bytes([rest[5], rest[6], rest[7], rest[8]]) & 0x7fff_ffff;
            let in_block = self.block.is_some();
            if kind != HEADERS && kind != CONTINUATION && !in_block {
                self.out.extend_from_slice(&rest[..FRAME_HEADER_LEN]);
                self.passing = len;
                at += FRAME_HEADER_LEN;
                continue;
            }
            if in_block != (kind == CONTINUATION)
                || self.block.as_ref().is_some_and(|b| b.stream != stream)
            {
                return Err(bad("a header block was interrupted"));
            }
            if len > MAX_BLOCK {
                return Err(bad("a header block is too large"));
            }
            if rest.len() < FRAME_HEADER_LEN + len {
                break;
            }
            let frame = &rest[..FRAME_HEADER_LEN + len];
            at += frame.len();
            let mut payload = &frame[FRAME_HEADER_LEN..];
            let block = match self.block.as_mut() {
                Some(b) => b,
                None => {
                    let mut priority = None;
                    if flags & PADDED != 0 {
                        let pad = *payload.first().ok_or_else(|| bad("bad padding"))? as usize;
                        payload = payload
                            .get(1..payload.len().saturating_sub(pad))
                            .filter(|_| pad < len)
                            .ok_or_else(|| bad("bad padding"))?;
                    }
                    if flags & PRIORITY != 0 {
                        let fields = payload.get(..5).ok_or_else(|| bad("bad priority"))?;
                        priority = Some(fields.try_into().expect("five bytes"));
                        payload = &payload[5..];
                    }
                    self.block.insert(Block {
                        stream,
                        end_stream: flags & END_STREAM != 0,
                        priority,
                        frames: Vec::new(),
                        fragments: Vec::new(),
                    })
                }
            };
            block.frames.extend_from_slice(frame);
            block.fragments.extend_from_slice(payload);
            if block.frames.len() > MAX_BLOCK {
                return Err(bad("a header block is too large"));
            }
            if flags & END_HEADERS != 0 {
                let block = self.block.take().expect("collecting a block");
                self.finish(block)?;
            }
        }
        self.unread.drain(..at);
        Ok(())
    }

    /// A whole header block: on to the server as it came, or rewritten.
    fn finish(&mut self, block: Block) -> io::Result<()> {
        let (State::FirstRequest(decoder) | State::Rewrite(decoder)) = &mut self.state else {
            self.out.extend_from_slice(&block.frames);
            return Ok(());
        };
        let mut headers = Vec::new();
        decoder
            .decode_with_cb(&block.fragments, |name, value| {
                headers.push((name.into_owned(), value.into_owned()))
            })
            .map_err(|e| bad(&format!("cannot decode a header block: {e:?}")))?;
        if let State::FirstRequest(_) = &self.state {
            let valid = headers
                .iter()
                .find(|(name, _)| name == b":authority")
                .is_none_or(|(_, value)| http::uri::Authority::try_from(&value[..]).is_ok());
            if valid {
                self.out.extend_from_slice(&block.frames);
                self.state = State::Through;
                return Ok(());
            }
            let State::FirstRequest(decoder) = std::mem::replace(&mut self.state, State::Through)
            else {
                unreachable!("checked above")
            };
            tracing::debug!("a client names an invalid :authority: rewriting it to localhost");
            self.state = State::Rewrite(decoder);
        }
        let mut encoded = Vec::new();
        for (name, value) in &headers {
            let value = if name == b":authority" {
                AUTHORITY
            } else {
                value
            };
            encode_literal(&mut encoded, name, value);
        }
        self.write_block(&block, &encoded);
        Ok(())
    }

    /// `encoded` as a HEADERS frame and as many CONTINUATIONs as it needs.
    fn write_block(&mut self, block: &Block, encoded: &[u8]) {
        let priority = block.priority.as_ref().map_or(&[][..], |p| &p[..]);
        let first = encoded.len().min(MAX_FRAME - priority.len());
        let (head, mut rest) = encoded.split_at(first);
        let mut flags = if block.end_stream { END_STREAM } else { 0 };
        if block.priority.is_some() {
            flags |= PRIORITY;
        }
        if rest.is_empty() {
            flags |= END_HEADERS;
        }
        self.frame_header(priority.len() + head.len(), HEADERS, flags, block.stream);
        self.out.extend_from_slice(priority);
        self.out.extend_from_slice(head);
        while !rest.is_empty() {
            let (part, more) = rest.split_at(rest.len().min(MAX_FRAME));
            let flags = if more.is_empty() { END_HEADERS } else { 0 };
            self.frame_header(part.len(), CONTINUATION, flags, block.stream);
            self.out.extend_from_slice(part);
            rest = more;
        }
    }

    fn frame_header(&mut self, len: usize, kind: u8, flags: u8, stream: u32) {
        self.out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        self.out.push(kind);
        self.out.push(flags);
        self.out.extend_from_slice(&stream.to_be_bytes());
    }
}

fn decoder() -> loona_hpack::Decoder<'static> {
    let mut d = loona_hpack::Decoder::new();
    d.set_max_allowed_table_size(TABLE_SIZE);
    d
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("HTTP/2 from a client: {what}"),
    )
}

/// One header as an HPACK literal that does not touch the table (a new name).
fn encode_literal(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(0);
    for s in [name, value] {
        encode_length(out, s.len());
        out.extend_from_slice(s);
    }
}

/// An HPACK string length: a 7-bit prefix (Huffman bit clear), then 7 bits a byte.
fn encode_length(out: &mut Vec<u8>, mut n: usize) {
    if n < 127 {
        out.push(n as u8);
        return;
    }
    out.push(127);
    n -= 127;
    while n >= 128 {
        out.push((n % 128) as u8 | 0x80);
        n /= 128;
    }
    out.push(n as u8);
}

impl<S: AsyncRead + Unpin> AsyncRead for LocalAuthority<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.out_pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_pos);
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if matches!(this.state, State::Through)
                && this.block.is_none()
                && this.unread.is_empty()
            {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                // The client is gone; whatever it left unfinished goes as it is.
                this.out.append(&mut this.unread);
                if this.out.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            this.unread.extend_from_slice(read.filled());
            this.process()?;
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LocalAuthority<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S: tonic::transport::server::Connected> tonic::transport::server::Connected
    for LocalAuthority<S>
{
    type ConnectInfo = S::ConnectInfo;
    fn connect_info(&self) -> S::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
        f.extend_from_slice(&[kind, flags]);
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    /// What the server reads when a client sends `sent`, and the header
    /// lists of every HEADERS block in it (decoded as the server would).
    async fn server_reads(sent: Vec<u8>) -> (Vec<u8>, Vec<Vec<(String, String)>>) {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(&sent).await.unwrap();
        drop(client);
        let mut got = Vec::new();
        LocalAuthority::new(server)
            .read_to_end(&mut got)
            .await
            .unwrap();
        assert_eq!(&got[..PREFACE.len()], PREFACE);
        let mut blocks = Vec::new();
        let mut decoder = loona_hpack::Decoder::new();
        let mut rest = &got[PREFACE.len()..];
        let mut block = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes([0, rest[0], rest[1], rest[2]]) as usize;
            let (kind, flags) = (rest[3], rest[4]);
            let payload = &rest[9..9 + len];
            if kind == HEADERS || kind == CONTINUATION {
                block.extend_from_slice(payload);
                if flags & END_HEADERS != 0 {
                    let list = decoder.decode(&block).unwrap();
                    blocks.push(
                        list.into_iter()
                            .map(|(n, v)| {
                                (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap())
                            })
                            .collect(),
                    );
                    block.clear();
                }
            }
            rest = &rest[9 + len..];
        }
        (got, blocks)
    }

    fn request(encoder: &mut loona_hpack::Encoder, authority: &str, path: &str) -> Vec<u8> {
        let headers: Vec<(&[u8], &[u8])> = vec![
            (b":method", b"POST"),
            (b":scheme", b"http"),
            (b":path", path.as_bytes()),
            (b":authority", authority.as_bytes()),
            (b"content-type", b"application/grpc"),
        ];
        encoder.encode(headers)
    }

    #[tokio::test]
    async fn a_socket_path_as_authority_becomes_localhost_in_every_request() {
        let mut enc = loona_hpack::Encoder::new();
        let mut sent = PREFACE.to_vec();
        sent.extend(frame(0x4, 0, 0, &[])); // SETTINGS
        let first = request(
            &mut enc,
            "%2Frun%2Fwrapd%2Fmuxd.sock",
            "/wrapd.v1.Mux/ListSessions",
        );
        // The first block split into HEADERS + CONTINUATION, padded.
        let (a, b) = first.split_at(3);
        let mut padded = vec![2];
        padded.extend_from_slice(a);
        padded.extend_from_slice(&[0, 0]);
        sent.extend(frame(HEADERS, PADDED, 1, &padded));
        sent.extend(frame(CONTINUATION, END_HEADERS, 1, b));
        sent.extend(frame(0x0, END_STREAM, 1, b"\0\0\0\0\0"));
        // The second uses the table the first filled.
        let second = request(
            &mut enc,
            "%2Frun%2Fwrapd%2Fmuxd.sock",
            "/wrapd.v1.Mux/GetServerInfo",
        );
        sent.extend(frame(HEADERS, END_HEADERS | END_STREAM, 3, &second));
        let (got, blocks) = server_reads(sent).await;
        assert_eq!(blocks.len(), 2);
        for (block, path) in blocks.iter().zip(["ListSessions", "GetServerInfo"]) {
            let get = |k: &str| block.iter().find(|(n, _)| n == k).unwrap().1.clone();
            assert_eq!(get(":authority"), "localhost");
            assert_eq!(get(":path"), format!("/wrapd.v1.Mux/{path}"));
            assert_eq!(get("content-type"), "application/grpc");
        }
        // The DATA frame went through as it was.
        let data = frame(0x0, END_STREAM, 1, b"\0\0\0\0\0");
        assert!(got.windows(data.len()).any(|w| w == data));
    }

    #[tokio::test]
    async fn a_valid_authority_leaves_the_connection_untouched() {
        let mut enc = loona_hpack::Encoder::new();
        let mut sent = PREFACE.to_vec();
        let first = request(&mut enc, "localhost", "/wrapd.v1.Mux/ListSessions");
        sent.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &first));
        let second = request(&mut enc, "localhost", "/wrapd.v1.Mux/GetServerInfo");
        sent.extend(frame(HEADERS, END_HEADERS | END_STREAM, 3, &second));
        let (got, blocks) = server_reads(sent.clone()).await;
        assert_eq!(got, sent);
        assert_eq!(blocks.len(), 2);
    }

    #[tokio::test]
    async fn an_interrupted_header_block_is_an_error() {
        let mut enc = loona_hpack::Encoder::new();
        let mut sent = PREFACE.to_vec();
        let first = request(&mut enc, "/run/x.sock", "/a");
        sent.extend(frame(HEADERS, 0, 1, &first));
        sent.extend(frame(0x0, 0, 1, b"x"));
        let (mut client, server) = tokio::io::duplex(1 << 16);
        client.write_all(&sent).await.unwrap();
        drop(client);
        let mut got = Vec::new();
        let err = LocalAuthority::new(server)
            .read_to_end(&mut got)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("interrupted"), "{err}");
    }
}
