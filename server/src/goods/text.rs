//! Checks for user-written text: lengths in characters, no control characters,
//! and URLs limited to http(s) or a site path. HTML is allowed in titles and is
//! escaped wherever it is shown.

use app::error::{AppError, Field, Reason};

fn clean(field: Field, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::Invalid(Reason::TooLong { field, max }));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::Invalid(Reason::ControlCharacters { field }));
    }
    Ok(value.to_owned())
}

pub fn required(field: Field, value: &str, max: usize) -> Result<String, AppError> {
    let value = clean(field, value, max)?;
    if value.is_empty() {
        return Err(AppError::Invalid(Reason::Empty { field }));
    }
    if value.contains('\n') {
        return Err(AppError::Invalid(Reason::MultiLine { field }));
    }
    Ok(value)
}

pub fn optional(field: Field, value: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    value.map(|v| clean(field, v, max)).transpose().map(|v| v.filter(|s| !s.is_empty()))
}

/// An absolute http(s) URL or a path on this site (`/demo/x.svg`, not `//host`).
pub fn url(field: Field, value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(value) = optional(field, value, 2048)? else { return Ok(None) };
    let lower = value.to_ascii_lowercase();
    let site_path = value.starts_with('/') && !value.starts_with("//") && !value.starts_with("/\\");
    let web = (lower.starts_with("https://") || lower.starts_with("http://")) && value.len() > 8;
    if !(site_path || web) || value.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '\\')) {
        return Err(AppError::Invalid(Reason::NotAUrl { field }));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_must_not_be_empty_or_too_long() {
        assert_eq!(required(Field::Title, "  Tea  ", 10).unwrap(), "Tea");
        assert_eq!(required(Field::Title, "   ", 10), Err(AppError::Invalid(Reason::Empty { field: Field::Title })));
        let too_long = Reason::TooLong { field: Field::Title, max: 10 };
        assert_eq!(required(Field::Title, "abcdefghijk", 10), Err(AppError::Invalid(too_long)));
        assert!(required(Field::Title, "中文标题", 4).is_ok(), "lengths count characters, not bytes");
        assert!(required(Field::Title, "a\u{0}b", 10).is_err());
    }

    #[test]
    fn html_in_a_title_is_kept_as_text() {
        assert_eq!(required(Field::Title, "<script>x</script>", 50).unwrap(), "<script>x</script>");
    }

    #[test]
    fn urls_are_http_or_site_paths_only() {
        assert!(url(Field::CoverUrl, Some("https://cdn.example.com/a.png")).unwrap().is_some());
        assert!(url(Field::CoverUrl, Some("/demo/a.svg")).unwrap().is_some());
        assert_eq!(url(Field::CoverUrl, Some("  ")).unwrap(), None);
        for bad in ["javascript:alert(1)", "//evil.example", "data:text/html,x", "ftp://x", "https://a b", "/\\evil"] {
            assert!(url(Field::CoverUrl, Some(bad)).is_err(), "{bad} accepted");
        }
    }
}
