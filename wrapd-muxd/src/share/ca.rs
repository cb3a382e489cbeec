//! The daemon's certificate authority, and the certificates it issues.
//!
//! Made with `rcgen` when sharing first needs it (the first share, not the
//! daemon's start: see [`DaemonCa`]) in the share state directory (`ca.pem`,
//! and `ca.key` with mode 0600 in a 0700 directory), reloaded afterwards. It
//! signs the TLS server's certificate (DNS name [`SERVER_NAME`]) each time the
//! share port opens, and one client certificate per enrollment. Team CAs
//! (`wrapd-muxd team init`) are made the same way, in their own directory.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, CertificateSigningRequestDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use wrapd_common::paths;
use wrapd_proto::link::SERVER_NAME;

use super::identity::CertIdentity;

/// How long the daemon's own CA and a team CA are valid.
const CA_VALIDITY: Duration = Duration::from_secs(20 * 365 * 24 * 3600);
/// How long the TLS server certificate is valid (remade at every start).
const SERVER_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
/// Team member identities.
pub const MEMBER_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
/// Issued certificates are valid from a little before now (clocks drift).
const BACKDATE: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the email `{0}` cannot be written in a certificate: use a plain address like \
         name@example.com (ASCII letters, digits and punctuation only)"
    )]
    BadEmail(String),
    #[error("{what}: {source}")]
    Cert {
        what: String,
        #[source]
        source: rcgen::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CaError + use<> {
    let path = path.to_owned();
    move |source| CaError::Io { path, source }
}

fn cert_err(what: impl Into<String>) -> impl FnOnce(rcgen::Error) -> CaError {
    let what = what.into();
    move |source| CaError::Cert { what, source }
}

/// A CA that can sign: its certificate and its key.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert_der: CertificateDer<'static>,
    cert_pem: String,
}

/// The daemon's own CA, loaded (or made) the first time sharing needs it: a
/// daemon that never shares makes no key and runs no certificate code.
pub struct DaemonCa {
    dir: PathBuf,
    /// Why sharing is off for good (until a restart), if it is.
    off: Option<String>,
    loaded: Mutex<Option<Arc<Ca>>>,
}

impl DaemonCa {
    /// The CA that lives in `dir`; with `off`, a CA sharing must not use.
    pub fn new(dir: PathBuf, off: Option<String>) -> DaemonCa {
        DaemonCa {
            dir,
            off,
            loaded: Mutex::new(None),
        }
    }

    /// The CA, loaded or made on the first call; or why sharing is off, as
    /// the owner should read it. A failed load is tried again next time.
    pub fn get(&self) -> Result<Arc<Ca>, String> {
        if let Some(why) = &self.off {
            return Err(format!("sharing is off: {why}"));
        }
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ca) = loaded.as_ref() {
            return Ok(ca.clone());
        }
        let ca = Ca::load_or_create(&self.dir, "wrapd-muxd CA")
            .map(Arc::new)
            .map_err(|e| {
                format!(
                    "sharing is off: cannot load or make the CA in {}: {e}",
                    self.dir.display()
                )
            })?;
        *loaded = Some(ca.clone());
        Ok(ca)
    }
}

/// A certificate and its private key, for a TLS server or a team member.
pub struct Identity {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    pub key_der: PrivateKeyDer<'static>,
    pub key_pem: String,
}

/// A certificate request whose signature checked out (its key is the joiner's).
pub struct Csr(CertificateSigningRequestParams);

impl Csr {
    pub fn parse(der: &[u8]) -> Result<Csr, CaError> {
        CertificateSigningRequestParams::from_der(&CertificateSigningRequestDer::from(der))
            .map(Csr)
            .map_err(cert_err("the certificate request"))
    }
}

/// What an enrollment's certificate says (see [`CertIdentity`]), and when it ends.
pub struct Issued {
    pub cert_pem: String,
    pub serial: String,
    pub expires_at: SystemTime,
}

impl Ca {
    /// Load the CA from `dir` (`ca.pem`, `ca.key`), or make one there.
    pub fn load_or_create(dir: &Path, common_name: &str) -> Result<Ca, CaError> {
        paths::ensure_private_dir(dir).map_err(io_err(dir))?;
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca.key");
        if cert_path.exists() && key_path.exists() {
            let cert_pem = std::fs::read_to_string(&cert_path).map_err(io_err(&cert_path))?;
            let key_pem = std::fs::read_to_string(&key_path).map_err(io_err(&key_path))?;
            return Ca::from_pem(&cert_pem, &key_pem, &cert_path.display().to_string());
        }
        let ca = Ca::generate(common_name)?;
        write_private(&key_path, ca.issuer.key().serialize_pem().as_bytes())?;
        write_private(&cert_path, ca.cert_pem.as_bytes())?;
        tracing::info!(dir = %dir.display(), fingerprint = %ca.fingerprint(), "made a new certificate authority");
        Ok(ca)
    }

    pub fn from_pem(cert_pem: &str, key_pem: &str, what: &str) -> Result<Ca, CaError> {
        let key = KeyPair::from_pem(key_pem).map_err(cert_err(format!("{what} (key)")))?;
        let cert_der = pem_to_der(cert_pem).ok_or_else(|| CaError::Cert {
            what: what.to_owned(),
            source: rcgen::Error::CouldNotParseCertificate,
        })?;
        let issuer = Issuer::from_ca_cert_der(&cert_der, key).map_err(cert_err(what))?;
        Ok(Ca {
            issuer,
            cert_der,
            cert_pem: cert_pem.to_owned(),
        })
    }

    fn generate(common_name: &str) -> Result<Ca, CaError> {
        let key = KeyPair::generate().map_err(cert_err("a CA key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, CA_VALIDITY);
        params.serial_number = Some(random_serial().0);
        let cert = params.self_signed(&key).map_err(cert_err("a CA"))?;
        let cert_der = cert.der().clone();
        let cert_pem = cert.pem();
        let issuer = Issuer::from_ca_cert_der(&cert_der, key).map_err(cert_err("a CA"))?;
        Ok(Ca {
            issuer,
            cert_der,
            cert_pem,
        })
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// SHA-256 of the CA certificate (DER), lower-case hex: the links' `ca=` pin.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(self.cert_der.as_ref()))
    }

    /// A fresh TLS server certificate for [`SERVER_NAME`] (and loopback).
    pub fn server_identity(&self) -> Result<Identity, CaError> {
        let key = KeyPair::generate().map_err(cert_err("the server key"))?;
        let mut params = CertificateParams::new(vec![SERVER_NAME.to_owned()])
            .map_err(cert_err("the server certificate"))?;
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, SERVER_NAME);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        set_validity(&mut params, SERVER_VALIDITY);
        params.serial_number = Some(random_serial().0);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(cert_err("the server certificate"))?;
        Ok(identity(cert, key))
    }

    /// A client certificate for the key in `csr_der`, naming `who`. Nothing
    /// but the public key is taken from the request.
    pub fn issue_client(
        &self,
        csr: Csr,
        who: &CertIdentity,
        validity: Duration,
    ) -> Result<Issued, CaError> {
        let mut params = client_params(&who.name, &who.email, validity)?;
        params.subject_alt_names.push(SanType::URI(
            who.uri().try_into().map_err(cert_err("the URI"))?,
        ));
        let (serial, serial_hex) = random_serial();
        params.serial_number = Some(serial);
        let expires_at = SystemTime::now() + validity;
        let cert = CertificateSigningRequestParams {
            params,
            public_key: csr.0.public_key,
        }
        .signed_by(&self.issuer)
        .map_err(cert_err("the client certificate"))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            serial: serial_hex,
            expires_at,
        })
    }

    /// A team member's identity: a new key and a certificate naming `email`.
    pub fn issue_member(&self, name: &str, email: &str) -> Result<Identity, CaError> {
        let key = KeyPair::generate().map_err(cert_err("a member key"))?;
        let mut params = client_params(name, email, MEMBER_VALIDITY)?;
        params.serial_number = Some(random_serial().0);
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(cert_err("the member certificate"))?;
        Ok(identity(cert, key))
    }
}

/// Parameters of a client certificate: CN `name`, email SAN, client auth.
fn client_params(
    name: &str,
    email: &str,
    validity: Duration,
) -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    if !email.is_empty() {
        params.subject_alt_names.push(SanType::Rfc822Name(
            email
                .try_into()
                .map_err(|_| CaError::BadEmail(email.to_owned()))?,
        ));
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, validity);
    Ok(params)
}

fn identity(cert: rcgen::Certificate, key: KeyPair) -> Identity {
    Identity {
        cert_der: cert.der().clone(),
        cert_pem: cert.pem(),
        key_der: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        key_pem: key.serialize_pem(),
    }
}

fn set_validity(params: &mut CertificateParams, validity: Duration) {
    let now = SystemTime::now();
    params.not_before = to_offset(now - BACKDATE);
    params.not_after = to_offset(now + validity);
}

fn to_offset(t: SystemTime) -> time::OffsetDateTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// 16 random bytes, positive (top bit clear), and their hex.
fn random_serial() -> (SerialNumber, String) {
    let mut bytes = super::secret::random_bytes::<16>();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    (SerialNumber::from_slice(&bytes), hex(&bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first certificate in a PEM text.
pub fn pem_to_der(pem: &str) -> Option<CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes()).ok()
}

/// Write a secret file: mode 0600, replacing what was there.
pub fn write_private(path: &Path, data: &[u8]) -> Result<(), CaError> {
    let tmp = path.with_extension("tmp");
    // A leftover temp file keeps its own mode if opened: start from nothing.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(&tmp)(e)),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    f.write_all(data).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_private_does_not_inherit_a_leftover_temp_files_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, "old").unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}
