//! The time a probe may take and the flag that stops it: every loop of the crate
//! asks the budget before its next step, so an interruption or an exhausted budget
//! ends the probe within one network timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Budget {
    deadline: Instant,
    stop: Arc<AtomicBool>,
}

impl Budget {
    pub fn new(total: Duration, stop: Arc<AtomicBool>) -> Budget {
        Budget {
            deadline: Instant::now() + total,
            stop,
        }
    }

    /// Whether the probe must stop now (budget spent or interrupted).
    pub fn over(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    pub fn interrupted(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `want`, clamped to what is left (at least 1 ms so sockets accept it).
    pub fn timeout(&self, want: Duration) -> Duration {
        want.min(self.remaining()).max(Duration::from_millis(1))
    }

    /// Sleeps up to `d` in small steps, returning early when the probe must stop.
    pub fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.over() {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    /// A sub-budget ending at the earlier of this one's deadline and `d` from now.
    pub fn slice(&self, d: Duration) -> Budget {
        Budget {
            deadline: self.deadline.min(Instant::now() + d),
            stop: self.stop.clone(),
        }
    }
}
