//! Tokens of the language.
