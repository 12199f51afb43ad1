//! Authentication: password rules (NIST SP 800-63B), Argon2id, login throttling and lockout,
//! TOTP (RFC 6238) with recovery codes, and server-side sessions (random token in the cookie,
//! its SHA-256 in the database; idle and absolute timeouts read from [`App::clock`]).
//!
//! Every login outcome is audited in the same transaction as its state change; no password,
//! code or token is ever logged.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use hmac::{KeyInit, Mac};
use puente_store::{NewAuditEvent, SessionRow, UserRow};
use sha2::{Digest, Sha256};

use crate::accounts::hash_password;
use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Numbers of the authentication policy (defaults from NIST SP 800-63B / 800-53 AC-2, AC-7, AC-12).
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Lifetime of the half-open session between password and MFA code.
    pub mfa_step_timeout: Duration,
    pub lockout_failures: i64,
    pub lockout_duration: Duration,
    /// Failed logins from one address within `ip_window` before it is throttled.
    pub ip_max_failures: i64,
    pub ip_window: Duration,
    pub inactivity_disable: Duration,
    pub rules_reacceptance: Duration,
    pub password_min: usize,
    pub password_max: usize,
    /// Set the cookie's `Secure` flag (behind TLS).
    pub secure_cookies: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            session_idle: Duration::minutes(30),
            session_absolute: Duration::hours(12),
            mfa_step_timeout: Duration::minutes(10),
            lockout_failures: 5,
            lockout_duration: Duration::minutes(15),
            ip_max_failures: 20,
            ip_window: Duration::minutes(15),
            inactivity_disable: Duration::days(90),
            rules_reacceptance: Duration::days(365),
            password_min: 12,
            password_max: 128,
            secure_cookies: false,
        }
    }
}

// ---------------------------------------------------------------- passwords

const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    ContainsEmail,
    Repetitive,
}

impl PasswordProblem {
    /// Message id (Fluent) explaining the problem.
    pub fn message_id(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password-too-short",
            PasswordProblem::TooLong => "password-too-long",
            PasswordProblem::Common => "password-common",
            PasswordProblem::ContainsEmail => "password-contains-email",
            PasswordProblem::Repetitive => "password-repetitive",
        }
    }
}

/// Checks a new password: 12 to 128 characters (any characters, no composition rules), not a
/// common password (also with digits or symbols appended or prepended), not containing the
/// e-mail local part, not a single repeated character or a run of one keyboard sequence.
pub fn check_password(
    password: &str,
    email: &str,
    policy: &AuthPolicy,
) -> std::result::Result<(), PasswordProblem> {
    let n = password.chars().count();
    if n < policy.password_min {
        return Err(PasswordProblem::TooShort);
    }
    if n > policy.password_max {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let list = common_passwords();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if list.contains(lower.as_str()) || (core.len() >= 4 && list.contains(core)) {
        return Err(PasswordProblem::Common);
    }
    // A common password repeated ("qwertyqwerty") or doubled with digits.
    for cut in 4..=lower.len() / 2 {
        if lower.is_char_boundary(cut) && list.contains(&lower[..cut]) {
            let head = &lower[..cut];
            if lower
                .trim_start_matches(head)
                .trim_matches(|c: char| !c.is_alphabetic())
                .is_empty()
                || lower.matches(head).count() * head.len() * 2 >= lower.len() * 2 - 2
            {
                return Err(PasswordProblem::Common);
            }
        }
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 3 && lower.contains(&local) {
        return Err(PasswordProblem::ContainsEmail);
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() <= 2 {
        return Err(PasswordProblem::Repetitive);
    }
    let sequential = lower
        .as_bytes()
        .windows(2)
        .all(|w| w[1] as i16 - w[0] as i16 == 1);
    if sequential {
        return Err(PasswordProblem::Repetitive);
    }
    Ok(())
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that no password matches, verified for unknown accounts so that they take as long as
/// known ones.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("puente timing equaliser").unwrap_or_default())
}

// ---------------------------------------------------------------- tokens and TOTP

/// 256 random bits as 64 hex characters.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// SHA-256 (hex) of a token: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(B32[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = B32
            .iter()
            .position(|&x| x as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buf >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new TOTP secret (160 bits, base32).
pub fn new_totp_secret() -> String {
    let mut b = [0u8; 20];
    OsRng.fill_bytes(&mut b);
    base32_encode(&b)
}

/// The deterministic TOTP secret of a demo account (demo databases only).
pub fn demo_totp_secret(email: &str) -> String {
    let d = Sha256::digest(format!("puente-demo-totp:{email}").as_bytes());
    base32_encode(&d[..20])
}

/// HOTP (RFC 4226) with HMAC-SHA1, 6 digits.
pub fn hotp(secret: &[u8], counter: u64) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[off]) & 0x7f) << 24
        | u32::from(h[off + 1]) << 16
        | u32::from(h[off + 2]) << 8
        | u32::from(h[off + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The TOTP code (RFC 6238, 30-second steps) of a base32 secret at a time.
pub fn totp_at(secret_b32: &str, at: DateTime<Utc>) -> Option<String> {
    let key = base32_decode(secret_b32)?;
    let step = u64::try_from(at.timestamp()).ok()? / 30;
    Some(hotp(&key, step))
}

/// Whether `code` is the TOTP code at `at`, one step either side allowed (clock drift).
pub fn totp_check(secret_b32: &str, code: &str, at: DateTime<Utc>) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return false;
    }
    [-30i64, 0, 30].iter().any(|d| {
        totp_at(secret_b32, at + Duration::seconds(*d))
            .is_some_and(|c| constant_eq(c.as_bytes(), code.as_bytes()))
    })
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(secret_b32: &str, email: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/Puente:{}?secret={secret_b32}&issuer=Puente&algorithm=SHA1&digits=6&period=30",
        enc(email)
    )
}

/// The QR code of `text` as an SVG document (no script, no style element).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
    )
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ten recovery codes (xxxx-xxxx-xxxx, lower-case hex).
fn new_recovery_codes() -> Vec<String> {
    (0..10)
        .map(|_| {
            let mut b = [0u8; 6];
            OsRng.fill_bytes(&mut b);
            let h = hex::encode(b);
            format!("{}-{}-{}", &h[0..4], &h[4..8], &h[8..12])
        })
        .collect()
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

// ---------------------------------------------------------------- login flow

/// Result of the password step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStep {
    /// Password accepted. `token` is a half-open session: the MFA code comes next, or MFA
    /// enrolment when `enroll` (the account has no confirmed authenticator yet).
    NeedMfa { token: String, enroll: bool },
    /// Refused. Deliberately the same for unknown accounts, wrong passwords, locked, disabled and
    /// deactivated accounts and throttled addresses.
    Failed,
}

/// A valid session, as the web layer sees it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// SHA-256 of the token (the session's key).
    pub id: String,
    pub user: UserRow,
    pub csrf_token: String,
    pub mfa_passed: bool,
    /// The actor, only when MFA is passed.
    pub actor: Option<Actor>,
    /// The annual rules of behavior must be (re-)accepted before anything else.
    pub needs_rules: bool,
}

/// What MFA enrolment shows once: the secret (as text and QR code).
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

fn ev(actor: &str, action: &str, ip: Option<&str>, details: Option<&str>) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.into(),
        action: action.into(),
        source_ip: ip.map(str::to_owned),
        details: details.map(str::to_owned),
        ..Default::default()
    }
}

impl App {
    /// Step 1: e-mail and password. Unknown accounts cost the same Argon2 verification as known
    /// ones and get the same answer.
    pub async fn login_password(
        &self,
        email: &str,
        password: &str,
        source_ip: Option<&str>,
    ) -> Result<LoginStep> {
        let now = self.clock.now();
        let p = &self.auth;
        let ip = source_ip.unwrap_or("unknown");
        let throttled =
            self.store.ip_failures_since(ip, now - p.ip_window).await? >= p.ip_max_failures;
        let user = self.store.user_by_email(email).await?;
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or(false);
        let reason = match &user {
            _ if throttled => Some("throttled"),
            None => Some("unknown_account"),
            Some(u) if u.status == "deactivated" => Some("deactivated"),
            Some(u) if u.status == "disabled" => Some("disabled"),
            Some(u) if u.status != "active" => Some("inactive"),
            Some(u) if u.locked_until.is_some_and(|t| t > now) => Some("locked"),
            Some(_) if !ok => Some("bad_password"),
            Some(_) => None,
        };
        let mut tx = self.store.begin().await?;
        match (reason, &user) {
            (Some(reason), u) => {
                let actor = u.as_ref().map(|u| u.id.as_str()).unwrap_or("anonymous");
                if let Some(u) = u
                    && reason == "bad_password"
                {
                    let lock = (u.failed_logins + 1 >= p.lockout_failures)
                        .then(|| now + p.lockout_duration);
                    tx.record_user_failure(&u.id, lock).await?;
                    if lock.is_some() {
                        tx.append_audit(&ev(actor, "account.locked", source_ip, None), now);
                    }
                }
                tx.append_audit(&ev(actor, "login.failure", source_ip, Some(reason)), now);
                tx.commit().await?;
                if reason != "throttled" {
                    self.store.record_ip_failure(ip, now).await?;
                }
                Ok(LoginStep::Failed)
            }
            (None, Some(u)) => {
                let token = random_token();
                tx.create_session(&SessionRow {
                    id: token_hash(&token),
                    user_id: u.id.clone(),
                    created_at: now,
                    last_seen_at: now,
                    csrf_token: random_token(),
                    mfa_passed: false,
                    source_ip: source_ip.map(str::to_owned),
                })
                .await?;
                tx.append_audit(&ev(&u.id, "login.password_ok", source_ip, None), now);
                tx.commit().await?;
                Ok(LoginStep::NeedMfa {
                    token,
                    enroll: !u.mfa_enrolled,
                })
            }
            (None, None) => Ok(LoginStep::Failed),
        }
    }

    /// The half-open session of a token (password passed, MFA not yet), if still valid.
    async fn pending(&self, token: &str) -> Result<Option<(SessionRow, UserRow)>> {
        let now = self.clock.now();
        let Some(s) = self.store.session(&token_hash(token)).await? else {
            return Ok(None);
        };
        if s.mfa_passed || now - s.created_at > self.auth.mfa_step_timeout {
            return Ok(None);
        }
        match self.store.user_by_id(&s.user_id).await? {
            Some(u) if u.status == "active" => Ok(Some((s, u))),
            _ => Ok(None),
        }
    }

    /// Step 2: a TOTP code or a recovery code. On success the half-open session is replaced by
    /// a new one (new token); returns the new token.
    pub async fn login_mfa(
        &self,
        pending_token: &str,
        code: &str,
        source_ip: Option<&str>,
    ) -> Result<Option<String>> {
        let now = self.clock.now();
        let Some((s, u)) = self.pending(pending_token).await? else {
            return Ok(None);
        };
        if !u.mfa_enrolled || u.locked_until.is_some_and(|t| t > now) {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        let mut method = None;
        if u.totp_secret
            .as_deref()
            .is_some_and(|sec| totp_check(sec, code, now))
        {
            method = Some("totp");
        } else {
            let want = token_hash(&normalise_recovery(code));
            for (id, h) in self.store.unused_recovery_codes(&u.id).await? {
                if constant_eq(h.as_bytes(), want.as_bytes())
                    && tx.use_recovery_code(&id, now).await?
                {
                    method = Some("recovery_code");
                    break;
                }
            }
        }
        let Some(method) = method else {
            let lock = (u.failed_logins + 1 >= self.auth.lockout_failures)
                .then(|| now + self.auth.lockout_duration);
            tx.record_user_failure(&u.id, lock).await?;
            tx.append_audit(
                &ev(&u.id, "login.failure", source_ip, Some("bad_mfa_code")),
                now,
            );
            tx.commit().await?;
            return Ok(None);
        };
        let token = self
            .open_session(&mut tx, &s, &u, source_ip, method)
            .await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    async fn open_session(
        &self,
        tx: &mut puente_store::Tx,
        pending: &SessionRow,
        u: &UserRow,
        source_ip: Option<&str>,
        method: &str,
    ) -> Result<String> {
        let now = self.clock.now();
        tx.delete_session(&pending.id).await?;
        let token = random_token();
        tx.create_session(&SessionRow {
            id: token_hash(&token),
            user_id: u.id.clone(),
            created_at: now,
            last_seen_at: now,
            csrf_token: random_token(),
            mfa_passed: true,
            source_ip: source_ip.map(str::to_owned),
        })
        .await?;
        tx.record_user_login(&u.id, now).await?;
        tx.append_audit(&ev(&u.id, "login.success", source_ip, Some(method)), now);
        Ok(token)
    }

    /// MFA enrolment, shown after the password step when the account has no authenticator:
    /// creates (or re-shows) an unconfirmed secret.
    pub async fn mfa_enrollment(&self, pending_token: &str) -> Result<Option<Enrollment>> {
        let Some((_, u)) = self.pending(pending_token).await? else {
            return Ok(None);
        };
        if u.mfa_enrolled {
            return Ok(None);
        }
        let secret = match u.totp_secret.clone() {
            Some(s) => s,
            None => {
                let s = new_totp_secret();
                let mut tx = self.store.begin().await?;
                tx.set_totp(&u.id, Some(&s), false).await?;
                tx.commit().await?;
                s
            }
        };
        let uri = otpauth_uri(&secret, &u.email);
        let qr = qr_svg(&uri).ok_or_else(|| AppError::Invalid("QR code".into()))?;
        Ok(Some(Enrollment {
            secret,
            otpauth_uri: uri,
            qr_svg: qr,
        }))
    }

    /// Confirms enrolment with a first code; returns the new session token and the ten recovery
    /// codes (shown once; only their hashes are kept).
    pub async fn confirm_mfa_enrollment(
        &self,
        pending_token: &str,
        code: &str,
        source_ip: Option<&str>,
    ) -> Result<Option<(String, Vec<String>)>> {
        let now = self.clock.now();
        let Some((s, u)) = self.pending(pending_token).await? else {
            return Ok(None);
        };
        let Some(secret) = u.totp_secret.as_deref().filter(|_| !u.mfa_enrolled) else {
            return Ok(None);
        };
        if !totp_check(secret, code, now) {
            self.store
                .append_audit(&ev(&u.id, "mfa.enroll_failure", source_ip, None), now)
                .await?;
            return Ok(None);
        }
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| token_hash(&normalise_recovery(c)))
            .collect();
        let mut tx = self.store.begin().await?;
        tx.set_totp(&u.id, Some(secret), true).await?;
        tx.replace_recovery_codes(&u.id, &hashes).await?;
        tx.append_audit(&ev(&u.id, "mfa.enrolled", source_ip, None), now);
        let token = self
            .open_session(&mut tx, &s, &u, source_ip, "totp_enrolment")
            .await?;
        tx.commit().await?;
        Ok(Some((token, codes)))
    }

    /// The session of a cookie token when it is valid (not idle past the idle timeout, not older
    /// than the absolute timeout, account active). Refreshes its last-seen time.
    pub async fn session(
        &self,
        token: &str,
        source_ip: Option<&str>,
    ) -> Result<Option<SessionInfo>> {
        let now = self.clock.now();
        let id = token_hash(token);
        let Some(s) = self.store.session(&id).await? else {
            return Ok(None);
        };
        let limit_idle = if s.mfa_passed {
            self.auth.session_idle
        } else {
            self.auth.mfa_step_timeout
        };
        if now - s.last_seen_at > limit_idle || now - s.created_at > self.auth.session_absolute {
            self.store.delete_session(&id).await?;
            return Ok(None);
        }
        let Some(user) = self.store.user_by_id(&s.user_id).await? else {
            self.store.delete_session(&id).await?;
            return Ok(None);
        };
        if user.status != "active" {
            self.store.delete_session(&id).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > Duration::seconds(30) {
            self.store.touch_session(&id, now).await?;
        }
        let actor = if s.mfa_passed {
            Actor::from_user(&user, source_ip.map(str::to_owned))
        } else {
            None
        };
        let needs_rules = user
            .rules_accepted_at
            .is_none_or(|t| now - t > self.auth.rules_reacceptance);
        Ok(Some(SessionInfo {
            id,
            csrf_token: s.csrf_token,
            mfa_passed: s.mfa_passed,
            user,
            actor,
            needs_rules,
        }))
    }

    /// Ends a session (logout).
    pub async fn logout(&self, token: &str, source_ip: Option<&str>) -> Result<()> {
        let id = token_hash(token);
        let now = self.clock.now();
        if let Some(s) = self.store.session(&id).await? {
            let mut tx = self.store.begin().await?;
            tx.delete_session(&id).await?;
            tx.append_audit(&ev(&s.user_id, "logout", source_ip, None), now);
            tx.commit().await?;
        }
        Ok(())
    }

    /// The user accepts the rules of behavior (yearly) and confirms this year's security and
    /// privacy training.
    pub async fn accept_rules_of_behavior(&self, actor: &Actor, training_done: bool) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_rules_accepted(&actor.user_id, now).await?;
        if training_done {
            tx.set_training_completed(&actor.user_id, now).await?;
        }
        tx.append_audit(
            &ev(
                &actor.user_id,
                "account.rules_accepted",
                actor.source_ip.as_deref(),
                training_done.then_some("training_completed"),
            ),
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    /// Changes the actor's own password (checked against the rules); ends their other sessions.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new: &str,
    ) -> Result<std::result::Result<(), PasswordProblem>> {
        let now = self.clock.now();
        let Some(u) = self.store.user_by_id(&actor.user_id).await? else {
            return Err(AppError::NotFound);
        };
        let hash = u.password_hash.clone().unwrap_or_default();
        let cur = current.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &cur))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(AppError::Forbidden);
        }
        if let Err(p) = check_password(new, &u.email, &self.auth) {
            return Ok(Err(p));
        }
        let h = hash_password(new)?;
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(&u.id, &h, now).await?;
        tx.append_audit(
            &ev(
                &u.id,
                "account.password_changed",
                actor.source_ip.as_deref(),
                None,
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits truncated to 6 here.
        let key = b"12345678901234567890";
        let secret = base32_encode(key);
        assert_eq!(base32_decode(&secret).unwrap(), key);
        for (t, code8) in [
            (59i64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            let at = DateTime::from_timestamp(t, 0).unwrap();
            assert_eq!(totp_at(&secret, at).unwrap(), code8[2..], "t={t}");
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
    }

    #[test]
    fn totp_window_is_one_step() {
        let s = demo_totp_secret("a@b.c");
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let code = totp_at(&s, at).unwrap();
        assert!(totp_check(&s, &code, at));
        assert!(totp_check(&s, &code, at + Duration::seconds(30)));
        assert!(!totp_check(&s, &code, at + Duration::seconds(90)));
        assert!(!totp_check(&s, "12345", at));
    }

    #[test]
    fn password_rules() {
        let p = AuthPolicy::default();
        let e = "maria.garcia@example.org";
        assert_eq!(
            check_password("short pass", e, &p),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_password(&"x".repeat(129), e, &p),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check_password("passwordpassword", e, &p),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_password("password12345678", e, &p),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_password("qwertyuiop123", e, &p),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_password("my maria.garcia pw", e, &p),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check_password("aaaaaaaaaaaaaa", e, &p),
            Err(PasswordProblem::Repetitive)
        );
        assert_eq!(
            check_password("abcdefghijklmn", e, &p),
            Err(PasswordProblem::Repetitive)
        );
        // No composition rules: a long passphrase of lower-case words is fine, so is Unicode.
        assert_eq!(
            check_password("correct horse battery staple", e, &p),
            Ok(())
        );
        assert_eq!(check_password("camión rojo en la carretera", e, &p), Ok(()));
        assert!(common_passwords().len() > 5000);
    }

    #[test]
    fn qr_is_plain_svg() {
        let svg = qr_svg(&otpauth_uri(&demo_totp_secret("a@b.c"), "a@b.c")).unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<script"));
    }
}
