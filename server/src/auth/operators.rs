//! Operators: the accounts allowed the global operations (rebuilding every
//! room's cache), named by `LIVE_OPERATORS`. Self-registered streamers are not.

use app::model::SessionUser;

pub struct Operators(Vec<String>);

impl Operators {
    /// `names` lowercased, as the configuration holds them.
    pub fn new(names: Vec<String>) -> Self {
        Self(names)
    }

    pub fn allows(&self, user: &SessionUser) -> bool {
        let name = user.username.to_ascii_lowercase();
        self.0.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::{ids::UserId, model::Role};

    fn user(name: &str) -> SessionUser {
        SessionUser { user_id: UserId::new(1).unwrap(), username: name.into(), role: Role::Streamer }
    }

    #[test]
    fn only_named_accounts_are_operators_whatever_the_case() {
        let operators = Operators::new(vec!["ops".into()]);
        assert!(operators.allows(&user("OPS")));
        assert!(!operators.allows(&user("streamer")));
        assert!(!Operators::new(Vec::new()).allows(&user("ops")));
    }
}
