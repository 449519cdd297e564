//! Readable names of C++ (Itanium ABI) and Rust symbols.

/// The demangled form of `name` without parameter lists (`ns::f`, not
/// `ns::f(int)`), or `None` when it is not a mangled name.
pub fn demangle(name: &str) -> Option<String> {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        // `{:#}` leaves out the hash suffix.
        return Some(format!("{rust:#}"));
    }
    if name.starts_with("_Z") {
        let symbol = cpp_demangle::Symbol::new(name).ok()?;
        let options = cpp_demangle::DemangleOptions::new()
            .no_params()
            .no_return_type();
        return symbol.demangle_with_options(&options).ok();
    }
    None
}

/// The full demangled form, parameters included, for display.
pub fn demangle_full(name: &str) -> Option<String> {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return Some(format!("{rust:#}"));
    }
    if name.starts_with("_Z") {
        return cpp_demangle::Symbol::new(name).ok()?.demangle().ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_and_rust() {
        assert_eq!(demangle("_ZN2ns1fEi").as_deref(), Some("ns::f"));
        assert_eq!(demangle_full("_ZN2ns1fEi").as_deref(), Some("ns::f(int)"));
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE").as_deref(),
            Some("core::fmt::write")
        );
        assert_eq!(demangle("main"), None);
    }
}
