//! The 12-digit MSIX identification number: 11 payload digits and a Damm check digit.
//!
//! The Damm algorithm detects every single-digit error and every adjacent transposition, so a
//! mistyped ID is caught before it reaches a lookup.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The weakly totally anti-symmetric quasigroup of order 10 used by the Damm algorithm.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Largest payload (11 digits).
pub const MAX_PAYLOAD: u64 = 99_999_999_999;

fn damm_interim(digits: impl Iterator<Item = u8>) -> u8 {
    digits.fold(0u8, |acc, d| DAMM[acc as usize][d as usize])
}

/// Why a text is not an MSIX ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsixIdError {
    #[error("an MSIX ID has exactly 12 digits; this value has {0} characters")]
    Length(usize),
    #[error("an MSIX ID contains digits only")]
    NotDigits,
    #[error("the check digit does not match: the MSIX ID was probably mistyped")]
    CheckDigit,
    #[error("the payload {0} does not fit in 11 digits")]
    Payload(u64),
}

/// A valid 12-digit MSIX ID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MsixId([u8; 12]);

impl MsixId {
    /// Builds the ID for an 11-digit payload, appending its check digit.
    pub fn from_payload(payload: u64) -> Result<Self, MsixIdError> {
        if payload > MAX_PAYLOAD {
            return Err(MsixIdError::Payload(payload));
        }
        let mut digits = [0u8; 12];
        let mut p = payload;
        for slot in digits[..11].iter_mut().rev() {
            *slot = (p % 10) as u8;
            p /= 10;
        }
        digits[11] = damm_interim(digits[..11].iter().copied());
        Ok(Self(digits))
    }

    /// Parses and verifies a 12-digit ID (surrounding white space and inner spaces/hyphens are
    /// tolerated, as people type IDs in groups).
    pub fn parse(text: &str) -> Result<Self, MsixIdError> {
        let cleaned: Vec<char> = text
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if cleaned.len() != 12 {
            return Err(MsixIdError::Length(cleaned.len()));
        }
        let mut digits = [0u8; 12];
        for (slot, c) in digits.iter_mut().zip(&cleaned) {
            *slot = c.to_digit(10).ok_or(MsixIdError::NotDigits)? as u8;
        }
        if damm_interim(digits.iter().copied()) != 0 {
            return Err(MsixIdError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The 11-digit payload.
    pub fn payload(&self) -> u64 {
        self.0[..11]
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(*d))
    }

    /// The ID as 12 digits.
    pub fn as_string(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl fmt::Display for MsixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl fmt::Debug for MsixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsixId({self})")
    }
}

impl FromStr for MsixId {
    type Err = MsixIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for MsixId {
    type Error = MsixIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MsixId> for String {
    fn from(id: MsixId) -> String {
        id.as_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_rejections() {
        let id = MsixId::from_payload(12_345_678_901).unwrap();
        assert_eq!(MsixId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(id.payload(), 12_345_678_901);
        assert_eq!(MsixId::parse("1234"), Err(MsixIdError::Length(4)));
        assert_eq!(MsixId::parse("12345678901a"), Err(MsixIdError::NotDigits));
        assert!(MsixId::from_payload(MAX_PAYLOAD + 1).is_err());
        let grouped = format!("{} {}", &id.to_string()[..6], &id.to_string()[6..]);
        assert_eq!(MsixId::parse(&grouped).unwrap(), id);
    }

    proptest! {
        #[test]
        fn every_single_digit_error_is_detected(payload in 0u64..=MAX_PAYLOAD, pos in 0usize..12, delta in 1u8..10) {
            let id = MsixId::from_payload(payload).unwrap().to_string();
            let mut bytes = id.into_bytes();
            let d = bytes[pos] - b'0';
            bytes[pos] = b'0' + (d + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(MsixId::parse(&typo), Err(MsixIdError::CheckDigit));
        }

        #[test]
        fn every_adjacent_transposition_is_detected(payload in 0u64..=MAX_PAYLOAD, pos in 0usize..11) {
            let id = MsixId::from_payload(payload).unwrap().to_string();
            let mut bytes = id.into_bytes();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(MsixId::parse(&typo), Err(MsixIdError::CheckDigit));
        }
    }

    #[test]
    fn exhaustive_over_digit_pairs() {
        // Every single-digit error and adjacent transposition, at every position, for a fixed set
        // of payloads: complements the random property test with a deterministic sweep.
        for payload in [0u64, 1, 9_876_543_210, MAX_PAYLOAD, 55_555_555_555] {
            let id = MsixId::from_payload(payload)
                .unwrap()
                .to_string()
                .into_bytes();
            for pos in 0..12 {
                for delta in 1..10u8 {
                    let mut b = id.clone();
                    b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
                    assert!(MsixId::parse(std::str::from_utf8(&b).unwrap()).is_err());
                }
                if pos < 11 && id[pos] != id[pos + 1] {
                    let mut b = id.clone();
                    b.swap(pos, pos + 1);
                    assert!(MsixId::parse(std::str::from_utf8(&b).unwrap()).is_err());
                }
            }
        }
    }
}
