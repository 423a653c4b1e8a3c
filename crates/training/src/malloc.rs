//! glibc malloc, tuned for tensors. By default an allocation above a (dynamic) threshold gets fresh
//! pages from the kernel and gives them back when freed, and the top of the heap is trimmed, so a
//! forward pass page-faults its activations in again on every call. On our 2-core VM that made a
//! batch-1 StarNet S050 forward 5.4 ms instead of 3.6 ms (PyTorch eager pays it too, which is why
//! PyTorch's CPU tuning guide suggests jemalloc or tcmalloc). Raising both thresholds keeps freed
//! memory in the process for reuse; the price is that the process holds on to its peak memory.

/// Allocations below this come from the heap, not from `mmap` (glibc's upper limit on 64-bit).
pub const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap is returned to the kernel only above this.
pub const TRIM_THRESHOLD: i32 = 1 << 30;

/// Call once, first thing in a binary. Returns whether malloc took the settings (false where
/// malloc is not glibc's: nothing changes there).
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two of malloc's parameters; no memory is touched.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// Minor page faults of this thread so far.
    fn minor_faults() -> i64 {
        // SAFETY: getrusage writes into the struct we pass.
        unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut u);
            u.ru_minflt
        }
    }

    /// Allocates `bytes`, writes every page, frees; returns the page faults that took.
    fn touch(bytes: usize) -> i64 {
        let before = minor_faults();
        let v = vec![1u8; bytes];
        std::hint::black_box(&v);
        drop(v);
        minor_faults() - before
    }

    #[test]
    fn freed_memory_is_reused_without_page_faults() {
        assert!(super::keep_freed_memory());
        let bytes = 8 << 20; // 2,048 pages: an activation-sized block
        touch(bytes); // the first time the pages have to come from the kernel
        let again = touch(bytes);
        assert!(again < 200, "{again} page faults for a block that was just freed");
    }
}
