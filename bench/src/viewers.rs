//! Viewers of a shared wrapd session inside the benchmark's own process (the
//! fan-out scenario). Each joins through the share's link as the real client
//! does (`wrapd_attach::share::join`: its own key, a CSR through
//! `Share.Enroll`, its own certificate and name, so each is a distinct
//! participant), then attaches over mutual TLS and reads its stream, counting
//! what arrives. A stalled viewer attaches, reads its first screen, and never
//! reads again (its stream stays open). `web`: the same as browsers, over
//! the web door's WebSocket.

mod web;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use wrapd_attach::share::join::{JoinArgs, join_storing_in};
use wrapd_common::config::Config;
use wrapd_muxd::admission::Limits;
use wrapd_proto::pb;
use wrapd_proto::pb::attach_event::Msg as Event;
use wrapd_proto::pb::attach_request::Msg as Req;

/// Viewers enrolling and attaching at the same time. All of them come from
/// 127.0.0.1, and the share port holds at most a few connections without a
/// certificate from one address (`admission::Limits::SHARE_PORT`): a newer
/// one pushes an older one out, mid-handshake if need be ("tls handshake
/// eof" at the viewer). A viewer joining holds up to two such connections at
/// once (enrolling, then its certificate's until the handshake is done), so
/// no more join at once than that fits.
const JOINING_AT_ONCE: usize = Limits::SHARE_PORT.unauthenticated_per_source / 2;

/// What one reading viewer has received so far.
#[derive(Default)]
pub struct Received {
    pub bytes: AtomicU64,
    pub updates: AtomicU64,
    /// The sequence number of the last update.
    pub seq: AtomicU64,
    /// Why the stream ended, if it did (a viewer is never meant to be cut off).
    pub ended: Mutex<Option<String>>,
}

/// The viewers of one share, and the runtime their streams run on.
pub struct Viewers {
    runtime: tokio::runtime::Runtime,
    readers: Vec<Arc<Received>>,
    /// Kept open: a viewer whose request stream closes is detached.
    requests: Vec<mpsc::Sender<pb::AttachRequest>>,
    /// The stalled viewers' streams, never read.
    stalled: Vec<tonic::Streaming<pb::AttachEvent>>,
    /// The same, of viewers that came as browsers.
    web_stalled: Vec<web::WebStream>,
    /// Each viewer's certificate and key, in a directory of its own.
    stores: tempfile::TempDir,
}

impl Viewers {
    pub fn new() -> anyhow::Result<Viewers> {
        wrapd_attach::share::tls::install_provider();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting a tokio runtime")?;
        let stores = tempfile::Builder::new()
            .prefix("wrapd-bench-viewers")
            .tempdir()?;
        Ok(Viewers {
            runtime,
            readers: Vec::new(),
            requests: Vec::new(),
            stalled: Vec::new(),
            web_stalled: Vec::new(),
            stores,
        })
    }

    /// Join through `link` as `count` new participants and attach each
    /// (`cols`×`rows`, read-only), once its first screen has arrived;
    /// `read`: whether they go on reading their streams. A few join at once.
    pub fn add(
        &mut self,
        link: &str,
        count: usize,
        cols: u16,
        rows: u16,
        read: bool,
    ) -> anyhow::Result<()> {
        let stores = self.stores.path().to_owned();
        let link = link.to_owned();
        self.in_batches(
            count,
            move |n| {
                let args = JoinArgs {
                    link: link.clone(),
                    name: Some(format!("viewer {n}")),
                    email: Some(format!("viewer{n}@bench.invalid")),
                    ..JoinArgs::default()
                };
                let store = stores.join(format!("viewer-{n}"));
                async move {
                    let (tx, rx) = mpsc::channel(4);
                    let stream = attach(&args, &store, tx.clone(), rx, cols, rows)
                        .await
                        .with_context(|| format!("viewer {n} joining {}", args.link))?;
                    anyhow::Ok((tx, stream))
                }
            },
            |v, (tx, stream)| {
                v.requests.push(tx);
                if read {
                    let received = Arc::new(Received::default());
                    v.runtime.spawn(read_all(stream, received.clone()));
                    v.readers.push(received);
                } else {
                    v.stalled.push(stream);
                }
            },
        )
    }

    /// `count` new viewers, numbered on from those there are, a few joining
    /// at once: `join(n)` joins viewer `n`; `keep` keeps what it gave, as
    /// each one is in.
    fn in_batches<T, F>(
        &mut self,
        count: usize,
        join: impl Fn(usize) -> F,
        mut keep: impl FnMut(&mut Self, T),
    ) -> anyhow::Result<()>
    where
        F: Future<Output = anyhow::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let first = self.readers.len() + self.stalled.len() + self.web_stalled.len();
        let numbers: Vec<usize> = (first..first + count).collect();
        for batch in numbers.chunks(JOINING_AT_ONCE) {
            let joins: Vec<_> = batch.iter().map(|&n| self.runtime.spawn(join(n))).collect();
            for task in joins {
                let joined = self.runtime.block_on(task).context("a viewer's task")??;
                keep(self, joined);
            }
        }
        Ok(())
    }

    /// Wait until every reading viewer has the same, last update (none is
    /// stuck behind the others) and nothing more arrives for a moment; fail
    /// if a viewer's stream ended or they do not agree within `timeout`.
    pub fn wait_caught_up(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut agreed_since: Option<(u64, Instant)> = None;
        loop {
            for (i, r) in self.readers.iter().enumerate() {
                if let Some(why) = r.ended.lock().expect("not poisoned").as_ref() {
                    bail!("viewer {i}'s stream ended: {why}");
                }
            }
            let seqs: Vec<u64> = self
                .readers
                .iter()
                .map(|r| r.seq.load(Ordering::Acquire))
                .collect();
            let (min, max) = (
                seqs.iter().min().copied().unwrap_or(0),
                seqs.iter().max().copied().unwrap_or(0),
            );
            agreed_since = match agreed_since {
                Some((seq, since)) if min == max && seq == max => Some((seq, since)),
                _ if min == max => Some((max, Instant::now())),
                _ => None,
            };
            if let Some((_, since)) = agreed_since
                && since.elapsed() >= Duration::from_millis(300)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the viewers did not catch up within {timeout:?}: last updates {min}..{max}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Bytes of events the reading viewers have received, in all.
    pub fn bytes(&self) -> u64 {
        self.readers
            .iter()
            .map(|r| r.bytes.load(Ordering::Relaxed))
            .sum()
    }

    /// Updates the reading viewers have received, in all.
    pub fn updates(&self) -> u64 {
        self.readers
            .iter()
            .map(|r| r.updates.load(Ordering::Relaxed))
            .sum()
    }
}

impl Drop for Viewers {
    fn drop(&mut self) {
        self.requests.clear();
        self.stalled.clear();
        self.web_stalled.clear();
        // Tasks still reading are cancelled with the runtime.
    }
}

fn start_request(session_id: String, cols: u16, rows: u16) -> pb::AttachRequest {
    pb::AttachRequest {
        msg: Some(Req::Start(pb::AttachStart {
            target: session_id,
            size: Some(pb::Size {
                cols: cols.into(),
                rows: rows.into(),
            }),
            read_only: true,
            ..pb::AttachStart::default()
        })),
    }
}

/// Join, attach, and read until the first update (the screen).
async fn attach(
    args: &JoinArgs,
    store: &Path,
    tx: mpsc::Sender<pb::AttachRequest>,
    rx: mpsc::Receiver<pb::AttachRequest>,
    cols: u16,
    rows: u16,
) -> anyhow::Result<tonic::Streaming<pb::AttachEvent>> {
    let joined = join_storing_in(args, &Config::default(), store).await?;
    tx.send(start_request(joined.whoami.session_id.clone(), cols, rows))
        .await
        .context("queueing the attach request")?;
    let mut stream = wrapd_attach::connect::client(joined.channel)
        .attach(ReceiverStream::new(rx))
        .await
        .context("attaching")?
        .into_inner();
    loop {
        match stream
            .message()
            .await
            .context("reading the attach stream")?
        {
            Some(pb::AttachEvent {
                msg: Some(Event::Update(_)),
            }) => return Ok(stream),
            Some(_) => continue,
            None => bail!("the attach stream ended before the first screen"),
        }
    }
}

/// Read and count events until the stream ends.
async fn read_all(mut stream: tonic::Streaming<pb::AttachEvent>, received: Arc<Received>) {
    let why = loop {
        match stream.message().await {
            Ok(Some(event)) => {
                received
                    .bytes
                    .fetch_add(event.encoded_len() as u64, Ordering::Relaxed);
                if let Some(Event::Update(u)) = &event.msg {
                    received.updates.fetch_add(1, Ordering::Relaxed);
                    received.seq.store(u.seq, Ordering::Release);
                }
            }
            Ok(None) => break "closed by the daemon".to_owned(),
            Err(st) => break format!("{}: {}", st.code(), st.message()),
        }
    };
    *received.ended.lock().expect("not poisoned") = Some(why);
}
