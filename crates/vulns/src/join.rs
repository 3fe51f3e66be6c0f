//! Polls two futures together on the current-thread runtime.
//!
//! Each sqlx SQLite connection does its work on its own worker thread, so two queries
//! on two connections awaited together run on two cores; tokio's `join!` would need
//! its macros feature for this one use.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

/// Both outputs, once both futures are ready.
pub(crate) async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut ra = None;
    let mut rb = None;
    poll_fn(move |cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                ra = x;
                rb = y;
                Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_outputs_whatever_the_order_of_readiness() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let slow = async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            1
        };
        assert_eq!(rt.block_on(join2(slow, async { "b" })), (1, "b"));
        assert_eq!(rt.block_on(join2(async { 2 }, async { 3 })), (2, 3));
    }
}
