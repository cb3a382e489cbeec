//! A TCP relay on loopback in front of one of the daemon's ports, to play a
//! network that fails: [`Relay::cut`] drops every open connection at once;
//! [`Relay::set_up`]`(false)` also refuses new ones until it is set up again.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Relay {
    pub port: u16,
    /// New connections pass (else they are closed at once).
    up: Arc<AtomicBool>,
    /// Both ends of every connection relayed so far.
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    /// Relay 127.0.0.1:`port` (a new port of its own: [`Relay::port`]).
    pub fn start(to: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay = Relay {
            port: listener.local_addr().unwrap().port(),
            up: Arc::new(AtomicBool::new(true)),
            open: Arc::default(),
        };
        let (up, open) = (relay.up.clone(), relay.open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up.load(Ordering::SeqCst) {
                    continue; // dropped: the path is down
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let mut list = open.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (mut from, mut into) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut into);
                        let _ = into.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        relay
    }

    /// Drop every connection now (new ones still pass while up).
    pub fn cut(&self) {
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Down: drop every connection and refuse new ones; up: relay again.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cut();
        }
    }
}
