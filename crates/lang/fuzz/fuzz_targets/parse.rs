//! Feeds arbitrary text to the parser and renders any error: neither may
//! panic, and an error's span must lie within the text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(diag) = sonde_lang::parse(src) {
        assert!(diag.span.start <= diag.span.end && diag.span.end <= src.len());
        assert!(src.is_char_boundary(diag.span.start) && src.is_char_boundary(diag.span.end));
        let text = sonde_lang::render(&diag, src, "stdin");
        assert!(text.ends_with('\n'));
    }
});
