//! Turns at running guest code, shared by one tenant's calls. A guest takes a turn before
//! it runs and keeps it while it computes — also across the yields it makes every epoch
//! tick, so a tenant's busy guests run one after another, each to the end of its event,
//! not all at once — and gives it back when its event ends or when it waits in a host
//! call (a key-value flush), so the tenant's other calls run meanwhile. However many of
//! its calls are busy, a tenant never holds more cores than it has turns, and the rest of
//! the machine stays free for other tenants. Waiting for a turn is not the guest's CPU
//! time: the CPU meter sits inside this wrapper.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

type Acquiring = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// Runs `future`, polling it only while holding one of `turns` (if any). `ticked` is set
/// by the engine when the guest stopped at a tick rather than to wait: then it keeps its
/// turn for the next poll. The semaphore is fair: a guest that gave its turn back waits
/// behind the tenant's other guests that want one.
pub(crate) async fn taking_turns<F: Future>(
    turns: Option<&Arc<Semaphore>>,
    ticked: &AtomicBool,
    future: F,
) -> F::Output {
    let Some(turns) = turns else {
        return future.await;
    };
    let mut future = pin!(future);
    let mut acquiring: Option<Acquiring> = None;
    let mut held: Option<OwnedSemaphorePermit> = None;
    poll_fn(|cx| {
        if held.is_none() {
            let acquire = acquiring.get_or_insert_with(|| Box::pin(turns.clone().acquire_owned()));
            match acquire.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                // A closed semaphore (never closed here) lets the guest run unrestricted.
                Poll::Ready(permit) => held = permit.ok(),
            }
            acquiring = None;
        }
        ticked.store(false, Ordering::Relaxed);
        let poll = future.as_mut().poll(cx);
        if poll.is_ready() || !ticked.load(Ordering::Relaxed) {
            held = None;
        }
        poll
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that "computes" (stops as if at a tick) `ticks` times, then finishes,
    /// noting how many turns were free each time it ran.
    async fn computing(
        label: &'static str,
        ticks: usize,
        ticked: &AtomicBool,
        turns: &Semaphore,
        seen: &std::sync::Mutex<Vec<(&'static str, usize)>>,
    ) {
        for _ in 0..ticks {
            seen.lock()
                .unwrap()
                .push((label, turns.available_permits()));
            ticked.store(true, Ordering::Relaxed);
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_computing_guest_keeps_its_turn_across_ticks_and_the_next_one_waits() {
        let turns = Arc::new(Semaphore::new(1));
        let seen = std::sync::Mutex::new(Vec::new());
        let (ticked_a, ticked_b) = (AtomicBool::new(false), AtomicBool::new(false));
        let a = taking_turns(
            Some(&turns),
            &ticked_a,
            computing("a", 3, &ticked_a, &turns, &seen),
        );
        let b = taking_turns(
            Some(&turns),
            &ticked_b,
            computing("b", 3, &ticked_b, &turns, &seen),
        );
        tokio::join!(a, b);
        let seen = seen.lock().unwrap();
        let order: Vec<_> = seen.iter().map(|(l, _)| *l).collect();
        assert_eq!(order, ["a", "a", "a", "b", "b", "b"], "one after the other");
        assert!(seen.iter().all(|(_, free)| *free == 0), "{seen:?}");
        assert_eq!(turns.available_permits(), 1, "given back at the end");
    }

    #[tokio::test]
    async fn a_guest_waiting_in_a_host_call_gives_its_turn_to_the_next() {
        let turns = Arc::new(Semaphore::new(1));
        let order = std::sync::Mutex::new(Vec::new());
        let (ticked_a, ticked_b) = (AtomicBool::new(false), AtomicBool::new(false));
        let waiting = async {
            order.lock().unwrap().push("a starts");
            // A wait that is not a tick (a flush): `ticked` stays false.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            order.lock().unwrap().push("a ends");
        };
        let quick = async {
            tokio::task::yield_now().await;
            order.lock().unwrap().push("b runs");
        };
        tokio::join!(
            taking_turns(Some(&turns), &ticked_a, waiting),
            taking_turns(Some(&turns), &ticked_b, quick),
        );
        assert_eq!(*order.lock().unwrap(), ["a starts", "b runs", "a ends"]);
    }
}
