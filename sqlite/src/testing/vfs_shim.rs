//! A SQLite VFS for tests that wraps the platform's default VFS and hands each write and each
//! fsync to the test's [`Interpose`] hooks, which decide what happens: the plumbing under the
//! fault VFS ([`super::fault_vfs`]: fail the n-th write) and the kill tests' crash VFS
//! (`core/tests/kill_safety.rs`: die before, inside or after one).
//!
//! [`register_default`] makes it the process's default VFS, so every connection opened after
//! it goes through the hooks, whoever opens it (the phone's `Store`, the depot's `Db`). Every
//! other operation (reads, locks, shared memory, delete, paths) is the real VFS's, unchanged.
//! One set of hooks per process.

use rusqlite::ffi;
use std::ffi::{c_int, c_void, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

/// What a test does with SQLite's file operations. `path` is the file's full path as SQLite
/// opened it (the database, its `-wal`, its `-journal`), `None` for a temporary file.
pub trait Interpose: Sync + 'static {
    /// A write of `data` at `offset`. `write` performs (part of) it on the real file and gives
    /// SQLite's result code; the hook returns the code SQLite sees (`SQLITE_OK` for success).
    fn write(&self, path: Option<&str>, data: &[u8], offset: i64, write: &mut dyn FnMut(&[u8], i64) -> c_int) -> c_int {
        let _ = path;
        write(data, offset)
    }

    /// An fsync (`xSync`). `sync` performs it on the real file.
    fn sync(&self, path: Option<&str>, sync: &mut dyn FnMut() -> c_int) -> c_int {
        let _ = path;
        sync()
    }
}

static HOOKS: OnceLock<&'static dyn Interpose> = OnceLock::new();
static REAL: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(std::ptr::null_mut());

/// Register the shim with `hooks` as the default VFS, before the connections it should see are
/// opened. Registering again with the same hooks does nothing; with other hooks, it panics.
pub fn register_default(hooks: &'static dyn Interpose) {
    let first = HOOKS.get_or_init(|| hooks);
    assert!(std::ptr::addr_eq(*first, hooks), "the VFS shim is already registered with other hooks");
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        // SAFETY: the default VFS is a static of SQLite's; the copy registered here lives for
        // the rest of the process (leaked), as SQLite requires.
        let real = ffi::sqlite3_vfs_find(std::ptr::null());
        assert!(!real.is_null(), "SQLite has no default VFS");
        REAL.store(real, Ordering::SeqCst);
        // The methods other than xOpen stay the real VFS's: the Unix ones read nothing of the
        // struct they are called through but its fields copied here.
        let mut vfs = *real;
        vfs.zName = c"fundi-test-shim".as_ptr();
        vfs.szOsFile = (*real).szOsFile + std::mem::size_of::<File>() as c_int;
        vfs.pNext = std::ptr::null_mut();
        vfs.xOpen = Some(open);
        assert_eq!(ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 1), ffi::SQLITE_OK);
    });
}

fn hooks() -> &'static dyn Interpose {
    *HOOKS.get().expect("registered before any file is opened through the shim")
}

/// Our file: SQLite's header, then the real VFS's file (in the same allocation, right after
/// this struct) and the path the hooks are given.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    path: Option<Box<str>>,
}

unsafe fn real(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    (*(f as *mut File)).real
}

unsafe fn methods(f: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    &*(*real(f)).pMethods
}

unsafe fn path<'a>(f: *mut ffi::sqlite3_file) -> Option<&'a str> {
    (*(f as *mut File)).path.as_deref()
}

unsafe extern "C" fn open(
    _: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs = REAL.load(Ordering::SeqCst);
    let ours = file as *mut File;
    let inner = (file as *mut u8).add(std::mem::size_of::<File>()) as *mut ffi::sqlite3_file;
    (*inner).pMethods = std::ptr::null();
    (*ours).real = inner;
    let rc = ((*real_vfs).xOpen.unwrap())(real_vfs, name, inner, flags, out_flags);
    // SQLite calls xClose on a file whose methods are set, even after a failed open; the path
    // is dropped there, so it is only kept when that will happen.
    if (*inner).pMethods.is_null() {
        (*ours).base.pMethods = std::ptr::null();
    } else {
        let path = (!name.is_null()).then(|| CStr::from_ptr(name).to_string_lossy().into());
        std::ptr::addr_of_mut!((*ours).path).write(path);
        (*ours).base.pMethods = &METHODS;
    }
    rc
}

unsafe extern "C" fn close(f: *mut ffi::sqlite3_file) -> c_int {
    let rc = (methods(f).xClose.unwrap())(real(f));
    std::ptr::drop_in_place(std::ptr::addr_of_mut!((*(f as *mut File)).path));
    rc
}
unsafe extern "C" fn read(f: *mut ffi::sqlite3_file, buf: *mut c_void, n: c_int, off: i64) -> c_int {
    (methods(f).xRead.unwrap())(real(f), buf, n, off)
}
unsafe extern "C" fn write(f: *mut ffi::sqlite3_file, buf: *const c_void, n: c_int, off: i64) -> c_int {
    let data = std::slice::from_raw_parts(buf as *const u8, n.max(0) as usize);
    let real_write = methods(f).xWrite.unwrap();
    let mut write_at = |part: &[u8], at: i64| real_write(real(f), part.as_ptr() as *const c_void, part.len() as c_int, at);
    hooks().write(path(f), data, off, &mut write_at)
}
unsafe extern "C" fn truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    (methods(f).xTruncate.unwrap())(real(f), size)
}
unsafe extern "C" fn sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let real_sync = methods(f).xSync.unwrap();
    hooks().sync(path(f), &mut || real_sync(real(f), flags))
}
unsafe extern "C" fn file_size(f: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    (methods(f).xFileSize.unwrap())(real(f), out)
}
unsafe extern "C" fn lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    (methods(f).xLock.unwrap())(real(f), level)
}
unsafe extern "C" fn unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    (methods(f).xUnlock.unwrap())(real(f), level)
}
unsafe extern "C" fn check_reserved(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    (methods(f).xCheckReservedLock.unwrap())(real(f), out)
}
unsafe extern "C" fn file_control(f: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    (methods(f).xFileControl.unwrap())(real(f), op, arg)
}
unsafe extern "C" fn sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    (methods(f).xSectorSize.unwrap())(real(f))
}
unsafe extern "C" fn device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    (methods(f).xDeviceCharacteristics.unwrap())(real(f))
}
unsafe extern "C" fn shm_map(f: *mut ffi::sqlite3_file, pg: c_int, size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int {
    (methods(f).xShmMap.unwrap())(real(f), pg, size, extend, out)
}
unsafe extern "C" fn shm_lock(f: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    (methods(f).xShmLock.unwrap())(real(f), offset, n, flags)
}
unsafe extern "C" fn shm_barrier(f: *mut ffi::sqlite3_file) {
    (methods(f).xShmBarrier.unwrap())(real(f))
}
unsafe extern "C" fn shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    (methods(f).xShmUnmap.unwrap())(real(f), delete)
}

/// Version 2: shared memory (WAL) forwarded; no memory-mapped I/O (off by default anyway), so
/// every page SQLite writes goes through `write`.
static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 2,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: None,
    xUnfetch: None,
};
