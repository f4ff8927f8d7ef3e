//! The depot's TLS: its key and certificate, and the listener that serves over them.
//!
//! A depot box has no public name, so on first start it makes its own key (ECDSA P-256) and a
//! self-signed certificate in `<data-dir>/tls/`; phones pin the key's fingerprint at enrollment
//! (`fundi_sync::identity`, `fundi_sync::enrollment`). A central server may be given a
//! certificate and key instead (`serve --tls-cert --tls-key`). A next key (`tls-key next`) is
//! announced in every answer, signed by the current one, until `tls-key switch` makes it current.
//! ADR 0011 has the reasons.

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use fundi_sync::identity::{announcement_schemes, fingerprint_of_cert, KeyAnnouncement, KeyFingerprint};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::SignatureScheme;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// A TLS handshake that takes longer than this is dropped (a slow client holds nothing else up:
/// handshakes run beside the accept loop).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Which key of the data directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Current,
    Next,
    Previous,
}

impl Slot {
    fn stem(self) -> &'static str {
        match self {
            Slot::Current => "current",
            Slot::Next => "next",
            Slot::Previous => "previous",
        }
    }
}

/// A certificate chain, its private key and the fingerprint phones pin.
pub struct DepotKey {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub fingerprint: KeyFingerprint,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("could not make a key: {0}")]
    Generate(String),
    #[error("the certificate's key cannot be read")]
    Unparsable,
    #[error("no next key: make one with `fundi-depot tls-key next`")]
    NoNextKey,
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> TlsSetupError {
    TlsSetupError::File { path: path.to_path_buf(), detail: e.to_string() }
}

fn tls_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls")
}

fn paths(data_dir: &Path, slot: Slot) -> (PathBuf, PathBuf) {
    let dir = tls_dir(data_dir);
    (dir.join(format!("{}.cert.pem", slot.stem())), dir.join(format!("{}.key.pem", slot.stem())))
}

impl DepotKey {
    /// Read a PEM certificate chain and private key.
    pub fn load(cert: &Path, key: &Path) -> Result<DepotKey, TlsSetupError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .map_err(|e| file_err(cert, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| file_err(cert, e))?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, e))?;
        let leaf = chain.first().ok_or_else(|| file_err(cert, "no certificate in the file"))?;
        let fingerprint = fingerprint_of_cert(leaf).ok_or(TlsSetupError::Unparsable)?;
        Ok(DepotKey { chain, key: key_der, fingerprint })
    }

    /// The key in `slot` of the data directory, if there is one.
    pub fn in_slot(data_dir: &Path, slot: Slot) -> Result<Option<DepotKey>, TlsSetupError> {
        let (cert, key) = paths(data_dir, slot);
        if !cert.exists() {
            return Ok(None);
        }
        DepotKey::load(&cert, &key).map(Some)
    }

    /// The current key of the data directory, made (with its self-signed certificate) on first use.
    pub fn current(data_dir: &Path) -> Result<DepotKey, TlsSetupError> {
        match DepotKey::in_slot(data_dir, Slot::Current)? {
            Some(k) => Ok(k),
            None => DepotKey::generate(data_dir, Slot::Current),
        }
    }

    /// Make a new key and self-signed certificate in `slot` (replacing what was there).
    pub fn generate(data_dir: &Path, slot: Slot) -> Result<DepotKey, TlsSetupError> {
        let gen = |e: rcgen::Error| TlsSetupError::Generate(e.to_string());
        let key = rcgen::KeyPair::generate().map_err(gen)?;
        let mut params = rcgen::CertificateParams::new(vec!["fundi-depot".to_string(), "localhost".to_string()]).map_err(gen)?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "Fundi depot");
        // Phones check the pinned key, not dates: a depot whose clock is off must still be reached.
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2124, 1, 1);
        let cert = params.self_signed(&key).map_err(gen)?;
        let dir = tls_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| file_err(&dir, e))?;
        let (cert_path, key_path) = paths(data_dir, slot);
        // The key first and only readable by the depot's user; the certificate last, since its
        // presence is what says the slot is filled.
        write_atomically(&key_path, key.serialize_pem().as_bytes(), 0o600)?;
        write_atomically(&cert_path, cert.pem().as_bytes(), 0o644)?;
        DepotKey::load(&cert_path, &key_path)
    }

    /// The server configuration that serves this key.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Generate(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| TlsSetupError::Generate(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// This key's signature over `next`: the announcement phones move to the next key with.
    pub fn announce(&self, next: &KeyFingerprint) -> Result<KeyAnnouncement, TlsSetupError> {
        let signing = rustls::crypto::ring::sign::any_supported_type(&self.key).map_err(|_| TlsSetupError::Unparsable)?;
        let schemes: Vec<SignatureScheme> = announcement_schemes().map(SignatureScheme::from).collect();
        let signer = signing.choose_scheme(&schemes).ok_or(TlsSetupError::Unparsable)?;
        let signature = signer.sign(&KeyAnnouncement::signed_message(next)).map_err(|_| TlsSetupError::Unparsable)?;
        Ok(KeyAnnouncement { next: next.clone(), scheme: u16::from(signer.scheme()), signature })
    }
}

fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsSetupError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(&tmp).map_err(|e| file_err(&tmp, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}

/// `tls-key switch`: the next key becomes current, the current one is kept as previous.
pub fn switch_to_next(data_dir: &Path) -> Result<KeyFingerprint, TlsSetupError> {
    let next = DepotKey::in_slot(data_dir, Slot::Next)?.ok_or(TlsSetupError::NoNextKey)?;
    let rename = |from: Slot, to: Slot| -> Result<(), TlsSetupError> {
        let (fc, fk) = paths(data_dir, from);
        let (tc, tk) = paths(data_dir, to);
        std::fs::rename(&fk, &tk).map_err(|e| file_err(&fk, e))?;
        std::fs::rename(&fc, &tc).map_err(|e| file_err(&fc, e))
    };
    if DepotKey::in_slot(data_dir, Slot::Current)?.is_some() {
        rename(Slot::Current, Slot::Previous)?;
    }
    rename(Slot::Next, Slot::Current)?;
    Ok(next.fingerprint)
}

/// The client's address, as the handlers see it (the rate limits count per address), for
/// plain and TLS listeners alike.
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// A listener that hands out connections once their TLS handshake is done. Handshakes run in
/// their own tasks, each with a deadline, so one slow or silent client delays nobody.
pub struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, addr) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Answers go out as soon as they are written: without this, Nagle's algorithm
                // holds a response's last small TLS record for the client's delayed ACK
                // (some 40 ms on Linux), measured by `benches/load.rs`.
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        let _ = tx.send((tls, addr)).await;
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_key_can_announce_the_next_and_a_switch_keeps_the_old_one_aside() {
        let dir = tempfile::tempdir().unwrap();
        let current = DepotKey::current(dir.path()).unwrap();
        assert_eq!(DepotKey::current(dir.path()).unwrap().fingerprint, current.fingerprint, "made once, then read");
        let next = DepotKey::generate(dir.path(), Slot::Next).unwrap();
        let stranger = DepotKey::generate(tempfile::tempdir().unwrap().path(), Slot::Current).unwrap();
        let leaf = current.chain[0].as_ref();

        let a = current.announce(&next.fingerprint).unwrap();
        assert!(a.is_signed_by(leaf));
        let parsed = KeyAnnouncement::parse(&a.to_header()).unwrap();
        assert!(parsed.is_signed_by(leaf), "the header form keeps the signature");
        // Signed by another key, or naming another next key than was signed: refused.
        assert!(!stranger.announce(&next.fingerprint).unwrap().is_signed_by(leaf));
        let swapped = KeyAnnouncement { next: stranger.fingerprint.clone(), ..a.clone() };
        assert!(!swapped.is_signed_by(leaf));
        assert!(!a.is_signed_by(next.chain[0].as_ref()), "checked against the key that signed it only");

        assert_eq!(switch_to_next(dir.path()).unwrap(), next.fingerprint);
        assert_eq!(DepotKey::current(dir.path()).unwrap().fingerprint, next.fingerprint);
        assert_eq!(DepotKey::in_slot(dir.path(), Slot::Previous).unwrap().unwrap().fingerprint, current.fingerprint);
        assert!(DepotKey::in_slot(dir.path(), Slot::Next).unwrap().is_none());
        assert!(matches!(switch_to_next(dir.path()), Err(TlsSetupError::NoNextKey)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("tls/current.key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the private key is readable by the depot's user only");
        }
    }
}
