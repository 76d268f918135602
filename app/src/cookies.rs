//! One cookie's value out of a `Cookie` header, the way the server reads the
//! browser's session (`server::http::session`) and the language switch's
//! choice ([`crate::locale`]).

/// The value of the cookie `name` in a `Cookie` header, if it is there.
pub fn value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim())
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn a_cookie_is_found_by_its_whole_name_among_others() {
        assert_eq!(value("a=1; lc_session=tok; b=2", "lc_session"), Some("tok"));
        assert_eq!(value(" lang = en ;x=1", "lang"), Some("en"));
        assert_eq!(value("my_lc_session=tok", "lc_session"), None);
        assert_eq!(value("lc_session", "lc_session"), None);
        assert_eq!(value("", "lc_session"), None);
    }
}
