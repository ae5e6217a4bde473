//! Free space on the data disk, checked before every write.
//!
//! sled 0.34 does not survive running out of space: after its first `ENOSPC` a flush waits
//! forever for an I/O buffer that never becomes stable, while holding the lock every read
//! takes, so the whole store (reads included) hangs until the process restarts, even once
//! space is back (seen with a 12 MiB tmpfs: stacks in `iobuf::make_stable_inner` and
//! `concurrency_control::read`). So the store never lets sled get there: a write is refused
//! with [`StoreError::NoSpace`] while the disk has less than a reserve free, reads go on,
//! and writes are accepted again as soon as space is freed.
//!
//! The check is a `statvfs` (about a microsecond). The reserve must cover what one write can
//! add: the value itself (at most a 64 MiB request body) and a fresh log buffer, which sled
//! writes in 8 MiB pieces (`io_buf_size`; seen: 9.6 MiB free, then one 1 MiB write met
//! `ENOSPC`). Something else filling the disk between the check and the write can still
//! beat it, which is why the default reserve is generous.

use std::path::Path;

use huashu_store::StoreError;

/// Free bytes always kept on the data disk unless configured otherwise.
pub const DEFAULT_RESERVE_BYTES: u64 = 256 << 20;

/// Refuses a write when `dir`'s disk has less than `reserve` bytes free for us.
pub fn room_for_writes(dir: &Path, reserve: u64) -> Result<(), StoreError> {
    let Some(free) = free_bytes(dir) else {
        // A disk we cannot ask about: let sled try.
        return Ok(());
    };
    if free < reserve {
        return Err(StoreError::NoSpace(format!(
            "{} has {} MiB free, less than the {} MiB kept in reserve; writes are refused \
             until space is freed (reads go on)",
            dir.display(),
            free >> 20,
            reserve >> 20
        )));
    }
    Ok(())
}

/// Bytes an unprivileged writer may still use on `dir`'s file system.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value to be overwritten.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a NUL-terminated string and `stats` a live, owned statvfs that the
    // call only writes to.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stats) } != 0 {
        return None;
    }
    #[allow(
        clippy::useless_conversion,
        reason = "fsblkcnt_t and c_ulong are 32-bit on some targets"
    )]
    let (blocks, block_size) = (u64::from(stats.f_bavail), u64::from(stats.f_frsize));
    Some(blocks.saturating_mul(block_size))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_with_room_takes_writes_and_one_below_the_reserve_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        assert!(room_for_writes(dir.path(), 1).is_ok());
        let refused = room_for_writes(dir.path(), u64::MAX).unwrap_err();
        assert!(matches!(refused, StoreError::NoSpace(_)), "{refused}");
        assert!(refused.to_string().contains("reads go on"));
    }
}
