//! The pinned uniffi-bindgen: the workspace's own uniffi version (one `uniffi` in Cargo.lock for
//! this binary and for fundi-ffi), so the Kotlin it generates always carries the checksums of
//! the `.so` it reads. Run it on cargo's host build of the library (`target/debug`), never on a
//! stripped copy: it reads the interface from the library's metadata symbols.
fn main() {
    uniffi::uniffi_bindgen_main()
}
