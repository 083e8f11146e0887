//! The security options of a socket turned into the mechanism setting every new connection
//! starts from, and the reasons a combination of options cannot work.

use crate::error::{Error, ErrorCode};
use crate::options::Options;
use crate::wire::security::{CurvePublicKey, CurveSecretKey, Security};

/// The mechanism the options ask for: CURVE wins over PLAIN, which wins over NULL (libzmq takes
/// whichever was set last; an explicit order is easier to reason about).
pub fn security_of(options: &Options) -> Result<Security, Error> {
    let invalid = |why: String| Error::new(ErrorCode::Einval, why);
    // Another handle to the socket's key, not a copy of it.
    let secret = options.curve_secret_key.0.clone().map(CurveSecretKey::from);
    if options.curve_server {
        let secret =
            secret.ok_or_else(|| invalid("curveServer needs curveSecretKey".to_owned()))?;
        return Ok(Security::curve_server(secret));
    }
    if let Some(server) = options.curve_server_key {
        let secret =
            secret.ok_or_else(|| invalid("curveServerKey needs curveSecretKey".to_owned()))?;
        let public = options.curve_public_key.map(CurvePublicKey::from_bytes);
        return Security::curve_client(secret, public, CurvePublicKey::from_bytes(server))
            .map_err(|e| invalid(e.to_string()));
    }
    if options.plain_server {
        return Ok(Security::PlainServer);
    }
    if options.plain_username.is_some() || options.plain_password.0.is_some() {
        let username = options.plain_username.as_deref().unwrap_or_default();
        let password = options.plain_password.0.as_deref().unwrap_or_default();
        return Security::plain_client(username, password).map_err(|e| invalid(e.to_string()));
    }
    Ok(Security::Null)
}
