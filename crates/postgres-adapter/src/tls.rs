//! TLS towards PostgreSQL, over rustls with the ring provider.

use crate::{PgError, PgSettings, SslMode};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore,
    SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::ring,
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use std::{fs::File, io::BufReader, path::Path, sync::Arc};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for `settings.ssl_mode`, or `None` for plain TCP.
pub(crate) fn connector(settings: &PgSettings) -> Result<Option<MakeRustlsConnect>, PgError> {
    if settings.ssl_mode == SslMode::Disable {
        return Ok(None);
    }
    // Explicit provider: never depends on which rustls features some other
    // crate switched on (two providers make the implicit default panic).
    let provider = Arc::new(ring::default_provider());
    let roots = Arc::new(trusted_roots(settings.ssl_root_cert.as_deref())?);
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| PgError::Tls(e.to_string()))?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Tls(e.to_string()))?;
    let config = match settings.ssl_mode {
        SslMode::VerifyFull => builder.with_webpki_verifier(verifier),
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnly(verifier))),
    }
    .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// The system's roots plus those in `extra` (a PEM file).
fn trusted_roots(extra: Option<&Path>) -> Result<RootCertStore, PgError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!(%error, "skipping a system certificate");
    }
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = extra {
        let unreadable = |e: std::io::Error| PgError::Tls(format!("{}: {e}", path.display()));
        let mut reader = BufReader::new(File::open(path).map_err(unreadable)?);
        let certs = rustls_pemfile::certs(&mut reader)
            .collect::<Result<Vec<CertificateDer<'static>>, _>>()
            .map_err(unreadable)?;
        if certs.is_empty() {
            return Err(PgError::Tls(format!(
                "{}: no PEM certificate in it",
                path.display()
            )));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| PgError::Tls(format!("{}: {e}", path.display())))?;
        }
    }
    Ok(roots)
}

/// Verifies the certificate chain (and the handshake signatures) like
/// `verify-full`, but accepts a certificate that names another host.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        // webpki checks the name only after the chain has verified, so this
        // error means "trusted, but for another name".
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
