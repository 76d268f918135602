//! A page's `<title>` from text people typed (a room's or a product's name).
//!
//! leptos_meta 0.8 writes the title into the server's `<head>` as it is,
//! unescaped, so a room named `</title><script>…` would run its script in
//! every viewer's page. [`PageTitle`] hands it the text escaped on the
//! server; in the browser, where the title is set as `document.title` (no
//! HTML is parsed), the text goes as typed.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageTitle(text: String) -> impl IntoView {
    view! { <Title text=for_head(text)/> }
}

/// The title's text as the server writes it into the HTML, or as it is in the browser.
fn for_head(text: String) -> String {
    if cfg!(feature = "ssr") {
        escape(&text)
    } else {
        text
    }
}

/// Text as the content of an HTML element: `&`, `<` and `>` as references.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn no_title_can_end_the_title_element() {
        assert_eq!(escape("A&B </title><script>x</script>"), "A&amp;B &lt;/title&gt;&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(escape("直播好物"), "直播好物");
    }
}
