//! A username as accounts are named: 3–32 ASCII letters, digits, `_`, `.` or
//! `-`, unique whatever its case. Parsed once where it enters; the lowercased
//! form names the account in the sign-in lockout's keys.

use app::error::{AppError, Reason};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username {
    name: String,
    key: String,
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let valid =
            (3..=32).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !valid {
            return Err(AppError::Invalid(Reason::UsernameShape));
        }
        Ok(Self { name: raw.to_owned(), key: raw.to_ascii_lowercase() })
    }

    /// As the person wrote it.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The same for every spelling of one account: its name lowercased.
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_is_short_plain_ascii_and_keyed_without_case() {
        let name = Username::parse("Demo_Streamer.1").unwrap();
        assert_eq!((name.as_str(), name.key()), ("Demo_Streamer.1", "demo_streamer.1"));
        for bad in ["ab", "has space", "a:b:c", "{tag}", "名字名字", &"x".repeat(33)] {
            assert_eq!(Username::parse(bad), Err(AppError::Invalid(Reason::UsernameShape)), "{bad}");
        }
    }
}
