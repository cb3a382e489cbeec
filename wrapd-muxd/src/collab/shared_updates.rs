//! One update for many collaborators. Collaborators of a share watching the
//! same session mostly sit at the same sync point: the update that brings one
//! of them forward (built by the session actor, converted, cut to the share's
//! window and redacted) brings the others forward too. [`SharedUpdates`]
//! keeps the latest such update per session and view, so a hundred viewers
//! cost the session actor (which also parses the program's output) one update
//! per change instead of a hundred, and redaction runs once.
//!
//! Only collaborators' updates are shared: they never carry the clipboard,
//! and everything in them depends only on the key and the sync point.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};

use wrapd_proto::pb;

use crate::session::{SessionId, SyncPoint};
use crate::share::filter::Window;

/// What an update depends on besides the sync point it starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewKey {
    pub session: SessionId,
    /// The share's window.
    pub window: Window,
    /// History rows a snapshot carries (asked for at attach).
    pub history_rows: u32,
}

/// The latest update of each view that some stream is watching.
#[derive(Default)]
pub struct SharedUpdates {
    views: Mutex<HashMap<ViewKey, Weak<View>>>,
}

impl SharedUpdates {
    /// The view `key`, shared with every other stream that has it; it is
    /// forgotten once the last stream holding it ends.
    pub fn view(&self, key: ViewKey) -> Arc<View> {
        let mut views = self
            .views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(view) = views.get(&key).and_then(Weak::upgrade) {
            return view;
        }
        views.retain(|_, v| v.strong_count() > 0);
        let view = Arc::new(View::default());
        views.insert(key, Arc::downgrade(&view));
        view
    }
}

/// One view's latest update. The async lock makes streams that wake on the
/// same change wait for the first one's update instead of each asking the
/// actor.
#[derive(Default)]
pub struct View {
    latest: tokio::sync::Mutex<Option<Latest>>,
}

struct Latest {
    since: Option<SyncPoint>,
    point: SyncPoint,
    update: Arc<pb::ScreenUpdate>,
}

impl View {
    /// The update from `since` to a state at least as new as sequence number
    /// `at_least`: the one already built if it fits, else `build`'s (`None`:
    /// the session is gone).
    pub async fn update<F, Fut>(
        &self,
        since: Option<SyncPoint>,
        at_least: u64,
        build: F,
    ) -> Option<(SyncPoint, pb::ScreenUpdate)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<(SyncPoint, pb::ScreenUpdate)>>,
    {
        let mut latest = self.latest.lock().await;
        let shared = match latest.as_ref() {
            Some(l) if l.since == since && l.point.seq >= at_least => (l.point, l.update.clone()),
            _ => {
                let (point, update) = build().await?;
                let update = Arc::new(update);
                *latest = Some(Latest {
                    since,
                    point,
                    update: update.clone(),
                });
                (point, update)
            }
        };
        drop(latest);
        // Each stream needs its own copy to send; made outside the lock.
        Some((shared.0, (*shared.1).clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::RowIndex;

    fn key(session: &str) -> ViewKey {
        ViewKey {
            session: SessionId(session.into()),
            window: Window::default(),
            history_rows: 0,
        }
    }

    fn point(seq: u64) -> SyncPoint {
        SyncPoint {
            seq,
            screen_start: RowIndex(0),
        }
    }

    fn built(seq: u64) -> Option<(SyncPoint, pb::ScreenUpdate)> {
        Some((
            point(seq),
            pb::ScreenUpdate {
                seq,
                ..Default::default()
            },
        ))
    }

    #[tokio::test]
    async fn streams_at_the_same_point_share_one_build() {
        let shared = SharedUpdates::default();
        let (a, b) = (shared.view(key("s")), shared.view(key("s")));
        assert!(Arc::ptr_eq(&a, &b));
        let (p, u) = a
            .update(Some(point(1)), 2, || async { built(3) })
            .await
            .unwrap();
        assert_eq!((p.seq, u.seq), (3, 3));
        // Same starting point, nothing newer wanted: no second build.
        let (p, _) = b
            .update(Some(point(1)), 3, || async { panic!("built twice") })
            .await
            .unwrap();
        assert_eq!(p.seq, 3);
    }

    #[tokio::test]
    async fn another_point_or_a_newer_change_builds_again() {
        let view = SharedUpdates::default().view(key("s"));
        view.update(Some(point(1)), 2, || async { built(2) }).await;
        let (p, _) = view
            .update(Some(point(2)), 2, || async { built(4) })
            .await
            .unwrap();
        assert_eq!(p.seq, 4);
        let (p, _) = view
            .update(Some(point(2)), 5, || async { built(5) })
            .await
            .unwrap();
        assert_eq!(p.seq, 5);
        // A gone session builds nothing and keeps nothing new.
        assert!(view.update(None, 6, || async { None }).await.is_none());
    }

    #[test]
    fn views_are_forgotten_with_their_last_stream() {
        let shared = SharedUpdates::default();
        let a = shared.view(key("a"));
        let _b = shared.view(key("b"));
        drop(a);
        // The next new view prunes the ones nobody holds.
        let _c = shared.view(key("c"));
        let views = shared.views.lock().unwrap();
        assert!(!views.contains_key(&key("a")));
        assert!(views.contains_key(&key("b")) && views.contains_key(&key("c")));
    }
}
