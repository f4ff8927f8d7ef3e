//! The pinned uniffi-bindgen: same uniffi version as the library, so the generated Kotlin's
//! checksums always match the `.so` it is generated from.
fn main() {
    uniffi::uniffi_bindgen_main()
}
