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

/// The title's text as the server writes it into the HTML (`&`, `<` and `>`
/// as references), or as it is in the browser.
fn for_head(text: String) -> String {
    #[cfg(feature = "ssr")]
    let text = html_escape::encode_text(&text).into_owned();
    text
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::for_head;

    #[test]
    fn no_title_can_end_the_title_element() {
        assert_eq!(
            for_head("A&B </title><script>x</script>".into()),
            "A&amp;B &lt;/title&gt;&lt;script&gt;x&lt;/script&gt;"
        );
        assert_eq!(for_head("直播好物".into()), "直播好物");
    }
}
