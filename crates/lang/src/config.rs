//! Settings: the `config = { key = value; ... }` block of a script and the
//! `BPFTRACE_*` environment variables, as bpftrace v0.26.1 reads them.
//!
//! A key is written as bpftrace's name (`max_strlen`), in any case, or as
//! its environment variable (`BPFTRACE_MAX_STRLEN`). The environment wins
//! over the script. Every key bpftrace knows is accepted; the ones that
//! change nothing in Sonde (there is no symbol cache to tune, for
//! instance) are checked and then ignored. This module only interprets:
//! the checker, code generator and session apply what it found.

use crate::ast::{self, ConfigValue};
use crate::diag::Diagnostic;
use crate::sema::types::StackMode;
use crate::span::Span;

/// What `missing_probes` asks for an attach point that matches nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingProbes {
    #[default]
    Error,
    Warn,
    Ignore,
}

/// What an `unstable_*` setting allows of its feature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unstable {
    Enable,
    /// Allowed, with a warning.
    #[default]
    Warn,
    Error,
}

/// Every setting, with bpftrace's default where nothing sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Entries of a map with no declaration.
    pub max_map_keys: u64,
    /// Bytes of a string read from memory, NUL included; `None` when
    /// nothing sets it (Sonde's own default then applies).
    pub max_strlen: Option<u64>,
    pub print_maps_on_exit: bool,
    /// `None` when nothing sets it.
    pub stack_mode: Option<StackMode>,
    pub show_debug_info: bool,
    pub missing_probes: MissingProbes,
    /// Pages of the event ring buffer; `None` for Sonde's default.
    pub perf_rb_pages: Option<u64>,
    pub str_trunc_trailer: String,
    pub on_stack_limit: u64,
    pub max_probes: u64,
    pub max_bpf_progs: u64,
    pub max_cat_bytes: u64,
    pub log_size: u64,
    pub license: String,
    pub cpp_demangle: bool,
    pub lazy_symbolication: bool,
    pub unstable_tseries: Unstable,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_map_keys: 4096,
            max_strlen: None,
            print_maps_on_exit: true,
            stack_mode: None,
            show_debug_info: true,
            missing_probes: MissingProbes::Error,
            perf_rb_pages: None,
            str_trunc_trailer: "..".into(),
            on_stack_limit: 32,
            max_probes: 1024,
            max_bpf_progs: 1024,
            max_cat_bytes: 10240,
            log_size: 1_000_000,
            license: "GPL".into(),
            cpp_demangle: true,
            lazy_symbolication: false,
            unstable_tseries: Unstable::Warn,
        }
    }
}

/// Keys bpftrace knows whose values Sonde checks but has no use for.
const ACCEPTED: &[(&str, Kind)] = &[
    ("cache_user_symbols", Kind::CacheUserSymbols),
    ("use_blazesym", Kind::Bool),
    ("unstable_import_statement", Kind::Unstable),
    ("unstable_typeinfo", Kind::Unstable),
    ("unstable_dw_ustack", Kind::Unstable),
];

/// Keys bpftrace has dropped: setting one does nothing.
const DEPRECATED: &[&str] = &[
    "symbol_source",
    "max_type_res_iterations",
    "unstable_addr",
    "unstable_import",
    "unstable_macro",
    "unstable_map_decl",
];

/// Old names and the keys they became.
const RENAMED: &[(&str, &str)] = &[
    ("strlen", "max_strlen"),
    ("no_cpp_demangle", "cpp_demangle"),
    ("cat_bytes_max", "max_cat_bytes"),
    ("map_keys_max", "max_map_keys"),
];

/// Variables only the environment can set (they choose kernel headers and
/// BTF, which a script cannot).
const ENV_ONLY: &[&str] = &["btf", "kernel_build", "kernel_source", "vmlinux"];

/// The license strings the kernel accepts for GPL-only helpers, in the
/// order bpftrace lists them.
const LICENSES: &[&str] = &[
    "Dual MIT/GPL",
    "Dual BSD/GPL",
    "Dual MPL/GPL",
    "GPL and additional rights",
    "GPL v2",
    "GPL",
];

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    CacheUserSymbols,
    Unstable,
}

/// A value as either place writes it: the script has typed values, the
/// environment only strings.
enum Value<'a> {
    Int(u64),
    Bool(bool),
    Text(&'a str),
}

/// A setting that could not be applied: where it came from and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// An item of the script's config block.
    Script(Diagnostic),
    /// A `BPFTRACE_*` variable.
    Env(String),
}

impl Settings {
    /// The settings of `script` (its config block, if any), then of the
    /// `BPFTRACE_*` variables among `env`, which take precedence.
    pub fn resolve(
        script: Option<&ast::Config>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        for item in script.map_or(&[][..], |c| &c.items[..]) {
            let value = match &item.value {
                ConfigValue::Int(v) => Value::Int(*v),
                ConfigValue::Bool(b) => Value::Bool(*b),
                ConfigValue::Str(s) | ConfigValue::Ident(s) => Value::Text(s),
            };
            settings
                .set(&item.key, value)
                .map_err(|why| ConfigError::Script(Diagnostic::error(item.span, why)))?;
        }
        for (name, value) in env {
            let Some(key) = name.strip_prefix("BPFTRACE_") else {
                continue;
            };
            // Only the variables bpftrace itself reads as settings.
            if !is_known(&key.to_ascii_lowercase()) {
                continue;
            }
            settings
                .set(name, Value::Text(value))
                .map_err(ConfigError::Env)?;
        }
        Ok(settings)
    }

    /// Applies one `key = value`; the error is bpftrace's message.
    fn set(&mut self, written: &str, value: Value<'_>) -> Result<(), String> {
        let mut key = written.to_ascii_lowercase();
        if let Some(rest) = key.strip_prefix("bpftrace_") {
            key = rest.to_string();
        }
        if DEPRECATED.contains(&key.as_str()) {
            return Ok(());
        }
        if let Some((_, new)) = RENAMED.iter().find(|(old, _)| *old == key) {
            key = new.to_string();
        }
        if ENV_ONLY.contains(&key.as_str()) {
            return Err(format!(
                "{written}: can only be set as an environment variable"
            ));
        }
        let number = |v: &Value<'_>| -> Result<u64, String> {
            match v {
                Value::Int(n) => Ok(*n),
                Value::Bool(b) => Ok(u64::from(*b)),
                Value::Text(t) => {
                    parse_number(t).ok_or_else(|| format!("{written}: expecting a number, got {t}"))
                }
            }
        };
        let boolean = |v: &Value<'_>| -> Result<bool, String> {
            match v {
                Value::Int(n) => Ok(*n != 0),
                Value::Bool(b) => Ok(*b),
                Value::Text(t) => truth(t).ok_or_else(|| {
                    format!("{written}: Invalid bool value: valid values are true, false, 1 or 0.")
                }),
            }
        };
        let text = |v: &Value<'_>| -> String {
            match v {
                Value::Int(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Text(t) => t.to_string(),
            }
        };
        match key.as_str() {
            "max_map_keys" => self.max_map_keys = number(&value)?,
            "max_strlen" => self.max_strlen = Some(number(&value)?),
            "perf_rb_pages" => self.perf_rb_pages = Some(number(&value)?),
            "on_stack_limit" => self.on_stack_limit = number(&value)?,
            "max_probes" => self.max_probes = number(&value)?,
            "max_bpf_progs" => self.max_bpf_progs = number(&value)?,
            "max_cat_bytes" => self.max_cat_bytes = number(&value)?,
            "log_size" => self.log_size = number(&value)?,
            "print_maps_on_exit" => self.print_maps_on_exit = boolean(&value)?,
            "show_debug_info" => self.show_debug_info = boolean(&value)?,
            "cpp_demangle" => self.cpp_demangle = boolean(&value)?,
            "lazy_symbolication" => self.lazy_symbolication = boolean(&value)?,
            "str_trunc_trailer" => self.str_trunc_trailer = text(&value),
            "stack_mode" => {
                let mode = text(&value);
                self.stack_mode = Some(StackMode::from_name(&mode.to_ascii_lowercase()).ok_or_else(
                    || format!("{written}: Invalid value for stack_mode: valid values are bpftrace, raw, perf, and build_id."),
                )?);
            }
            "missing_probes" => {
                let Value::Text(t) = value else {
                    return Err(format!("{written}: Invalid value for missing_probes: valid values are ignore, warn, and error."));
                };
                self.missing_probes = match t.to_ascii_lowercase().as_str() {
                    "ignore" => MissingProbes::Ignore,
                    "warn" => MissingProbes::Warn,
                    "error" => MissingProbes::Error,
                    _ => return Err(format!("{written}: Invalid value for missing_probes: valid values are ignore, warn, and error.")),
                };
            }
            "unstable_tseries" => self.unstable_tseries = unstable(written, &value)?,
            "license" => {
                let license = text(&value);
                if !LICENSES.contains(&license.as_str()) {
                    return Err(format!(
                        "Invalid value for license. Found: {license}. Valid values: {}.",
                        LICENSES.join(", ")
                    ));
                }
                self.license = license;
            }
            _ => match ACCEPTED.iter().find(|(k, _)| *k == key) {
                Some((_, Kind::Bool)) => {
                    boolean(&value)?;
                }
                Some((_, Kind::CacheUserSymbols)) => {
                    let ok = match &value {
                        Value::Int(_) => true,
                        Value::Bool(_) => false,
                        Value::Text(t) => matches!(
                            t.to_ascii_lowercase().as_str(),
                            "1" | "0" | "per_pid" | "per_program" | "none"
                        ),
                    };
                    if !ok {
                        return Err(format!("{written}: Invalid value for cache_user_symbols: valid values are PER_PID, PER_PROGRAM, and NONE."));
                    }
                }
                Some((_, Kind::Unstable)) => {
                    unstable(written, &value)?;
                }
                None => return Err(format!("{written}: not a known configuration option")),
            },
        }
        Ok(())
    }
}

/// An `unstable_*` value: `enable`, `warn` or `error`, or a boolean
/// (true enables, false is an error).
fn unstable(written: &str, value: &Value<'_>) -> Result<Unstable, String> {
    let parsed = match value {
        Value::Int(n) => Some(if *n != 0 {
            Unstable::Enable
        } else {
            Unstable::Error
        }),
        Value::Bool(b) => Some(if *b {
            Unstable::Enable
        } else {
            Unstable::Error
        }),
        Value::Text(t) => match t.to_ascii_lowercase().as_str() {
            "enable" => Some(Unstable::Enable),
            "warn" => Some(Unstable::Warn),
            "error" => Some(Unstable::Error),
            _ => truth(t).map(|b| if b { Unstable::Enable } else { Unstable::Error }),
        },
    };
    parsed.ok_or_else(|| {
        format!(
            "{written}: Invalid value for unstable config: valid values are enable, warn, and error."
        )
    })
}

/// Whether bpftrace reads `key` (lower case, no prefix) as a setting.
fn is_known(key: &str) -> bool {
    const DIRECT: &[&str] = &[
        "max_map_keys",
        "max_strlen",
        "perf_rb_pages",
        "on_stack_limit",
        "max_probes",
        "max_bpf_progs",
        "max_cat_bytes",
        "log_size",
        "print_maps_on_exit",
        "show_debug_info",
        "cpp_demangle",
        "lazy_symbolication",
        "str_trunc_trailer",
        "stack_mode",
        "missing_probes",
        "license",
        "unstable_tseries",
    ];
    DIRECT.contains(&key) || ACCEPTED.iter().any(|(k, _)| *k == key)
}

/// bpftrace's spellings of true and false.
fn truth(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// A decimal or `0x` hexadecimal integer.
fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// A config error found while reading the environment, placed at the
/// start of the script so it can be a [`Diagnostic`] like the others.
pub fn env_diagnostic(message: String) -> Diagnostic {
    Diagnostic::error(Span::new(0, 0), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(src: &str) -> Result<Settings, ConfigError> {
        let program = crate::parse(&format!("{src} BEGIN {{}}")).unwrap();
        Settings::resolve(program.config.as_ref(), &[])
    }

    fn script_error(src: &str) -> String {
        match script(src) {
            Err(ConfigError::Script(d)) => d.message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys_in_every_spelling() {
        let s = script(
            "config = { max_map_keys = 2; BPFTRACE_MAX_STRLEN = 32; Stack_Mode = raw; \
             print_maps_on_exit = false; missing_probes = \"warn\"; strlen = 16; }",
        )
        .unwrap();
        assert_eq!(s.max_map_keys, 2);
        assert_eq!(s.max_strlen, Some(16));
        assert_eq!(s.stack_mode, Some(StackMode::Raw));
        assert!(!s.print_maps_on_exit);
        assert_eq!(s.missing_probes, MissingProbes::Warn);
        assert!(
            !script("config = { print_maps_on_exit = 0 }")
                .unwrap()
                .print_maps_on_exit
        );
        // Deprecated and inert keys are accepted.
        script("config = { symbol_source = x; cache_user_symbols = PER_PID; use_blazesym = 1 }")
            .unwrap();
    }

    #[test]
    fn the_environment_wins() {
        let program =
            crate::parse("config = { stack_mode = perf; max_map_keys = 5 } BEGIN {}").unwrap();
        let env = vec![
            ("BPFTRACE_STACK_MODE".to_string(), "raw".to_string()),
            ("BPFTRACE_NOT_A_SETTING".to_string(), "x".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let s = Settings::resolve(program.config.as_ref(), &env).unwrap();
        assert_eq!(s.stack_mode, Some(StackMode::Raw));
        assert_eq!(s.max_map_keys, 5);
        let bad = vec![("BPFTRACE_MAX_MAP_KEYS".to_string(), "lots".to_string())];
        assert_eq!(
            Settings::resolve(None, &bad),
            Err(ConfigError::Env(
                "BPFTRACE_MAX_MAP_KEYS: expecting a number, got lots".into()
            ))
        );
    }

    #[test]
    fn bad_settings_are_bpftrace_errors() {
        assert_eq!(
            script_error("config = { bad_config=raw }"),
            "bad_config: not a known configuration option"
        );
        assert_eq!(
            script_error("config = { max_map_keys = \"many\" }"),
            "max_map_keys: expecting a number, got many"
        );
        assert_eq!(
            script_error("config = { missing_probes = 1 }"),
            "missing_probes: Invalid value for missing_probes: valid values are ignore, warn, and error."
        );
        assert_eq!(
            script_error("config = { btf = x }"),
            "btf: can only be set as an environment variable"
        );
        assert_eq!(
            script_error("config = { print_maps_on_exit = maybe }"),
            "print_maps_on_exit: Invalid bool value: valid values are true, false, 1 or 0."
        );
    }
}
