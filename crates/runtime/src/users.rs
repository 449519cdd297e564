//! User ids to names, as `username` prints them: from `/etc/passwd`, read
//! once; an id without an entry prints as its number.

use std::collections::HashMap;
use std::sync::OnceLock;

fn table() -> &'static HashMap<u64, String> {
    static TABLE: OnceLock<HashMap<u64, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::fs::read_to_string("/etc/passwd")
            .map(|text| parse_passwd(&text))
            .unwrap_or_default()
    })
}

fn parse_passwd(text: &str) -> HashMap<u64, String> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

pub fn name(uid: u64) -> String {
    table()
        .get(&uid)
        .cloned()
        .unwrap_or_else(|| uid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_map_ids_to_names() {
        let t =
            parse_passwd("root:x:0:0:root:/root:/bin/sh\nbad line\nnobody:x:65534:65534::/:/x\n");
        assert_eq!(t.get(&0).map(String::as_str), Some("root"));
        assert_eq!(t.get(&65534).map(String::as_str), Some("nobody"));
        assert_eq!(t.len(), 2);
    }
}
