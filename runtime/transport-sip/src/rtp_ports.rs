//! The RTP ports calls take their audio on: even ports from the operator's range
//! (`--rtp-ports LOW-HIGH`), each with the odd port above it for RTCP (RFC 3550 §11).
//! A call holds its pair until it ends; dropping the [`PortPair`] gives it back.

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

/// The ports free for calls.
#[derive(Debug)]
pub struct RtpPorts {
    free: Mutex<VecDeque<u16>>,
    capacity: usize,
}

impl RtpPorts {
    /// Every even port of `range` whose odd neighbour is in the range too.
    pub fn new(range: RangeInclusive<u16>) -> Arc<Self> {
        let (low, high) = (*range.start(), *range.end());
        let first = low + low % 2;
        let free: VecDeque<u16> = (first..high)
            .step_by(2)
            .filter(|p| p.checked_add(1).is_some_and(|odd| odd <= high))
            .collect();
        Arc::new(Self {
            capacity: free.len(),
            free: Mutex::new(free),
        })
    }

    /// How many calls the range holds at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Takes the least recently used free pair, if any. Least recently used, so a port
    /// a call just gave back is not handed out again while stray packets of that call
    /// may still be on their way to it.
    pub fn take(self: &Arc<Self>) -> Option<PortPair> {
        let rtp = self.free.lock().ok()?.pop_front()?;
        Some(PortPair {
            rtp,
            ports: self.clone(),
        })
    }

    /// How many pairs are free now.
    pub fn free(&self) -> usize {
        self.free.lock().map_or(0, |f| f.len())
    }
}

/// One call's RTP port and the RTCP port above it; freed when dropped.
#[derive(Debug)]
pub struct PortPair {
    rtp: u16,
    ports: Arc<RtpPorts>,
}

impl PortPair {
    /// The even RTP port.
    pub fn rtp(&self) -> u16 {
        self.rtp
    }

    /// The RTCP port, `rtp + 1`.
    pub fn rtcp(&self) -> u16 {
        self.rtp + 1
    }
}

impl Drop for PortPair {
    fn drop(&mut self) {
        if let Ok(mut free) = self.ports.free.lock() {
            free.push_back(self.rtp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_yields_even_ports_with_their_odd_neighbour_inside_it() {
        let ports = RtpPorts::new(10001..=10010);
        assert_eq!(ports.capacity(), 4); // 10002, 10004, 10006, 10008 (10010 has no 10011)
        let pair = ports.take().unwrap();
        assert_eq!((pair.rtp(), pair.rtcp()), (10002, 10003));
    }

    #[test]
    fn a_full_range_refuses_until_a_pair_is_dropped() {
        let ports = RtpPorts::new(20000..=20003);
        let a = ports.take().unwrap();
        let _b = ports.take().unwrap();
        assert!(ports.take().is_none());
        drop(a);
        assert_eq!(ports.free(), 1);
        assert!(ports.take().is_some());
    }

    #[test]
    fn a_pair_given_back_is_handed_out_after_the_others() {
        let ports = RtpPorts::new(20000..=20005);
        let a = ports.take().unwrap();
        let first = a.rtp();
        drop(a);
        assert_ne!(ports.take().unwrap().rtp(), first);
    }
}
