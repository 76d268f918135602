//! Percent-encoding of query values (RFC 3986: everything but unreserved
//! characters is escaped) and parsing a query back.

/// Escapes every byte that is not `A–Z a–z 0–9 - . _ ~`.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode_component(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The `key=value` pairs of a query string (without its `?`), decoded.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode_component(k)?, decode_component(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_pass_and_everything_else_is_escaped() {
        assert_eq!(encode_component("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
        assert_eq!(encode_component("a b&c=d/e?f#g"), "a%20b%26c%3Dd%2Fe%3Ff%23g");
        assert_eq!(encode_component("直播"), "%E7%9B%B4%E6%92%AD");
    }

    #[test]
    fn encoded_values_decode_back() {
        let pairs = query_pairs(&format!("a={}&b=2", encode_component("x&y=z 直播")));
        assert_eq!(pairs, vec![("a".into(), "x&y=z 直播".into()), ("b".into(), "2".into())]);
    }
}
